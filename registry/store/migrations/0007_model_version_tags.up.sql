-- Model version tags as rows, so that tag filters of ListModelVersions use
-- an index instead of parsing every version's tags_json (docs/filtering.md).
-- tags_json stays the source returned to clients; both are written in the
-- same transaction.
CREATE TABLE model_version_tags (
  model_id  TEXT    NOT NULL,
  key       TEXT    NOT NULL,
  value     TEXT    NOT NULL,
  version   INTEGER NOT NULL,
  PRIMARY KEY (model_id, key, value, version),
  FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
) STRICT, WITHOUT ROWID;

CREATE INDEX model_version_tags_by_version ON model_version_tags (model_id, version);

INSERT INTO model_version_tags (model_id, key, value, version)
  SELECT v.model_id, t.key, t.value, v.version FROM model_versions v, json_each(v.tags_json) t
  WHERE t.type = 'text';
