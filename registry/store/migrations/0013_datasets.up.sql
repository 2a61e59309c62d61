-- Datasets and their immutable versions: a tree plus an item table whose
-- rows link files to MIAPPE entities (docs/datasets.md,
-- docs/dataset-format.md).
CREATE TABLE datasets (
  dataset_id         TEXT    PRIMARY KEY CHECK (length(dataset_id) BETWEEN 1 AND 63),
  uid                TEXT    NOT NULL UNIQUE,
  -- The datasheet (Datasheet proto as JSON): mutable, not in any digest.
  datasheet_json     TEXT    NOT NULL,
  latest_version     INTEGER NOT NULL,
  revision           INTEGER NOT NULL,
  create_time        INTEGER NOT NULL,
  update_time        INTEGER NOT NULL
) STRICT;

CREATE TABLE dataset_versions (
  dataset_id              TEXT    NOT NULL REFERENCES datasets (dataset_id),
  version                 INTEGER NOT NULL CHECK (version > 0),
  -- Items and links are keyed by this one value.
  uid                     TEXT    NOT NULL UNIQUE,
  digest                  TEXT    NOT NULL CHECK (length(digest) = 64),
  tree_digest             TEXT    NOT NULL CHECK (length(tree_digest) = 64),
  tree_size               INTEGER NOT NULL,
  item_table_digest       TEXT    NOT NULL,
  item_table_size         INTEGER NOT NULL,
  investigation_revision  TEXT    NOT NULL,
  investigation_digest    TEXT    NOT NULL,
  item_count              INTEGER NOT NULL,
  linked_item_count       INTEGER NOT NULL,
  total_bytes             INTEGER NOT NULL,
  observation_unit_count  INTEGER NOT NULL,
  biological_material_count INTEGER NOT NULL,
  sample_count            INTEGER NOT NULL,
  create_time             INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, version)
) STRICT;

CREATE TABLE dataset_items (
  version_uid     TEXT    NOT NULL,
  path            TEXT    NOT NULL,
  blob_digest     TEXT    NOT NULL,
  blob_size       INTEGER NOT NULL,
  media_type      TEXT    NOT NULL,
  acquired_at     TEXT    NOT NULL,
  sensor          TEXT    NOT NULL,
  view            TEXT    NOT NULL,
  station         TEXT    NOT NULL,
  -- JSON object of the other columns; JSON array of sorted link names.
  attributes_json TEXT    NOT NULL,
  links_json      TEXT    NOT NULL,
  item_digest     TEXT    NOT NULL,
  PRIMARY KEY (version_uid, path)
) STRICT, WITHOUT ROWID;

-- One row per (item, link): ListItems by link, and the entities a version
-- shows.
CREATE TABLE dataset_item_links (
  version_uid  TEXT NOT NULL,
  link         TEXT NOT NULL,
  path         TEXT NOT NULL,
  PRIMARY KEY (version_uid, link, path)
) STRICT, WITHOUT ROWID;
