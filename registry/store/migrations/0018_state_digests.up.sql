-- State digests (docs/audit-log.md, "State digests").
--
-- Each lineage edge belongs to the resource whose call made it (its
-- origin), so that the edge enters that resource's state document only.
-- Edges stored before this migration get the origin the code of the time
-- gave them: a run's outputs (X wasGeneratedBy run) belong to the run, a
-- model version's source-run edge to the version, every other edge to its
-- subject.
ALTER TABLE lineage_edges ADD COLUMN origin TEXT NOT NULL DEFAULT '';
-- (The version is looked up by its key, parsed from the subject
-- "models/<id>/versions/<n>", so that the update stays linear in the edges.)
UPDATE lineage_edges SET origin = CASE
  WHEN predicate = 'wasGeneratedBy' AND NOT (role = 'model' AND subject LIKE 'models/%/versions/%'
       AND EXISTS (SELECT 1 FROM model_versions v
                   WHERE v.model_id = substr(subject, 8, instr(substr(subject, 8), '/') - 1)
                     AND v.version = CAST(substr(subject, 8 + instr(substr(subject, 8), '/versions/') + 9)
                                          AS INTEGER)
                     AND v.source_run = object))
    THEN object
  ELSE subject
END;
CREATE INDEX lineage_edges_by_origin ON lineage_edges (origin);

-- The chain over a run's metrics in the order they were logged, kept up to
-- date by every write so that logging a metric does not re-read the others.
-- '' for a run without metrics; filled for older runs when the anchors are
-- written.
ALTER TABLE runs ADD COLUMN metrics_chain TEXT NOT NULL DEFAULT '';

-- Set once the server has appended one anchor record per resource stored
-- before state digests existed (SqliteDatabase::AnchorResourceStates).
CREATE TABLE state_anchors (
  anchored_at_sequence INTEGER NOT NULL,
  resource_count       INTEGER NOT NULL,
  anchor_time          INTEGER NOT NULL
) STRICT;
