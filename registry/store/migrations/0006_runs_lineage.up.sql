-- Runs, their params and metric history, and the lineage graph (edges
-- between resources, blobs and trees; docs/runs.md).
CREATE TABLE runs (
  run_id          TEXT    PRIMARY KEY CHECK (length(run_id) = 32),
  uid             TEXT    NOT NULL UNIQUE,
  experiment      TEXT    NOT NULL,
  kind            TEXT    NOT NULL CHECK (kind IN ('TRAINING', 'EVALUATION', 'PREPROCESSING',
                                                   'ANNOTATION', 'IMPORT')),
  status          TEXT    NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
  status_message  TEXT    NOT NULL,
  start_time      INTEGER NOT NULL,
  end_time        INTEGER,
  -- Seeds, code and environment as JSON texts (docs/runs.md).
  seeds_json      TEXT    NOT NULL,
  code_json       TEXT    NOT NULL,
  code_commit     TEXT    NOT NULL,
  environment_json TEXT   NOT NULL,
  description     TEXT    NOT NULL,
  tags_json       TEXT    NOT NULL,
  create_time     INTEGER NOT NULL,
  update_time     INTEGER NOT NULL,
  revision        INTEGER NOT NULL
) STRICT;

CREATE INDEX runs_by_create_time ON runs (create_time DESC, run_id DESC);
CREATE INDEX runs_by_experiment ON runs (experiment, create_time DESC, run_id DESC);

CREATE TABLE run_params (
  run_id  TEXT NOT NULL REFERENCES runs (run_id),
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

-- value NULL stands for NaN (SQLite stores NaN as NULL).
CREATE TABLE run_metrics (
  run_id     TEXT    NOT NULL REFERENCES runs (run_id),
  key        TEXT    NOT NULL,
  step       INTEGER NOT NULL,
  timestamp  INTEGER NOT NULL,
  value      REAL,
  seq        INTEGER PRIMARY KEY
) STRICT;

CREATE INDEX run_metrics_by_key ON run_metrics (run_id, key, step, timestamp, seq);

-- subject --predicate--> object, W3C PROV style: a run `used` its inputs;
-- outputs `wasGeneratedBy` the run.
CREATE TABLE lineage_edges (
  subject     TEXT    NOT NULL,
  predicate   TEXT    NOT NULL CHECK (predicate IN ('used', 'wasGeneratedBy', 'wasDerivedFrom')),
  object      TEXT    NOT NULL,
  role        TEXT    NOT NULL,
  create_time INTEGER NOT NULL,
  PRIMARY KEY (subject, predicate, object, role)
) STRICT, WITHOUT ROWID;

CREATE INDEX lineage_edges_by_object ON lineage_edges (object, predicate, subject);

-- Filters on model versions (ListModelVersions) by stage.
CREATE INDEX model_versions_by_stage ON model_versions (model_id, stage, version);
