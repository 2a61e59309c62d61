-- A run's artifacts as the MLflow artifact proxy stores them
-- (docs/mlflow-door.md, "Artifacts"): the bytes are CAS blobs; this table
-- is the history of what each path of the run's artifact folder held. A
-- row with a NULL sha256 deletes its path. The current folder is, for each
-- path, its row with the highest seq, unless that row deletes it. Rows are
-- never changed or removed: an overwritten artifact's bytes stay named.
CREATE TABLE run_artifacts (
  seq         INTEGER PRIMARY KEY,  -- rows are never deleted: max + 1 keeps the order
  run_id      TEXT    NOT NULL REFERENCES runs (run_id),
  path        TEXT    NOT NULL CHECK (length(path) BETWEEN 1 AND 1024),
  sha256      TEXT    CHECK (sha256 IS NULL OR length(sha256) = 64),
  size_bytes  INTEGER CHECK ((sha256 IS NULL AND size_bytes IS NULL) OR size_bytes >= 0),
  create_time INTEGER NOT NULL
) STRICT;
CREATE INDEX run_artifacts_by_path ON run_artifacts (run_id, path, seq);
