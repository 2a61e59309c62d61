-- Indexes for the ListModelVersions filters that used to read every version
-- of a model when few or none match (docs/filtering.md): mlmodel.flavor as
-- rows (like tags, migration 0007), mlmodel.mlflow_version as an index on
-- the very expression the filter compiles to, source_run as a column index.
-- mlmodel_json stays the source returned to clients; the flavor rows are
-- written in the same transaction as the version.
CREATE TABLE model_version_flavors (
  model_id  TEXT    NOT NULL,
  flavor    TEXT    NOT NULL,
  version   INTEGER NOT NULL,
  PRIMARY KEY (model_id, flavor, version),
  FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO model_version_flavors (model_id, flavor, version)
  SELECT v.model_id, f.value, v.version FROM model_versions v, json_each(v.mlmodel_json, '$.flavors') f
  WHERE f.type = 'text';

CREATE INDEX model_versions_by_mlflow_version
  ON model_versions (model_id, json_extract(mlmodel_json, '$.mlflow_version'), version);

CREATE INDEX model_versions_by_source_run ON model_versions (model_id, source_run, version);
