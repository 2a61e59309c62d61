-- Model registry: registered models, their immutable versions, the request
-- ids that make creates idempotent, and the server's page-token key.
CREATE TABLE registered_models (
  model_id      TEXT    PRIMARY KEY CHECK (length(model_id) BETWEEN 1 AND 63),
  uid           TEXT    NOT NULL UNIQUE,
  description   TEXT    NOT NULL,
  owner         TEXT    NOT NULL,
  license       TEXT    NOT NULL,
  tags_json     TEXT    NOT NULL,
  create_time   INTEGER NOT NULL,
  update_time   INTEGER NOT NULL,
  delete_time   INTEGER,
  revision      INTEGER NOT NULL,
  next_version  INTEGER NOT NULL
) STRICT;

CREATE TABLE model_versions (
  model_id      TEXT    NOT NULL REFERENCES registered_models (model_id),
  version       INTEGER NOT NULL CHECK (version > 0),
  uid           TEXT    NOT NULL UNIQUE,
  tree_sha256   TEXT    NOT NULL,
  tree_size     INTEGER NOT NULL,
  mlmodel_json  TEXT    NOT NULL,
  source_run    TEXT    NOT NULL,
  description   TEXT    NOT NULL,
  tags_json     TEXT    NOT NULL,
  create_time   INTEGER NOT NULL,
  update_time   INTEGER NOT NULL,
  revision      INTEGER NOT NULL,
  PRIMARY KEY (model_id, version),
  FOREIGN KEY (tree_sha256, tree_size) REFERENCES trees (sha256, size_bytes)
) STRICT;

CREATE INDEX model_versions_by_tree ON model_versions (tree_sha256, tree_size);

CREATE TABLE request_ids (
  request_id   TEXT    PRIMARY KEY,
  method       TEXT    NOT NULL,
  resource     TEXT    NOT NULL,
  create_time  INTEGER NOT NULL
) STRICT;

CREATE TABLE server_secrets (
  name   TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) STRICT;
