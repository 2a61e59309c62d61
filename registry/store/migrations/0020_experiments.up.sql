-- MLflow experiments as fairtrace resources (docs/mlflow-door.md):
-- experiments/{experiment_id}. Ids are assigned by the server (MLflow's
-- "0" is the default experiment, created by the server through an audited
-- write). A deleted experiment keeps its row (lifecycle 'deleted') and
-- frees its name: names are unique among active experiments only.
CREATE TABLE experiments (
  experiment_id     INTEGER PRIMARY KEY CHECK (experiment_id >= 0),
  uid               TEXT    NOT NULL UNIQUE,
  name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 1000),
  artifact_location TEXT    NOT NULL,
  lifecycle_stage   TEXT    NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
  tags_json         TEXT    NOT NULL,
  create_time       INTEGER NOT NULL,
  update_time       INTEGER NOT NULL,
  project           TEXT    NOT NULL DEFAULT 'default'
) STRICT;
CREATE UNIQUE INDEX experiments_active_name ON experiments (name) WHERE lifecycle_stage = 'active';
CREATE INDEX experiments_by_project ON experiments (project, experiment_id);
