-- Splits of dataset versions, their item assignments and leakage reports
-- (docs/splits.md, docs/split-algorithm.md).
CREATE TABLE splits (
  dataset_id    TEXT    NOT NULL,
  version       INTEGER NOT NULL,
  split_id      TEXT    NOT NULL CHECK (length(split_id) BETWEEN 1 AND 63),
  uid           TEXT    NOT NULL UNIQUE,
  version_uid   TEXT    NOT NULL,
  digest        TEXT    NOT NULL CHECK (length(digest) = 64),
  method        TEXT    NOT NULL,
  -- The Split fields given (ratios, folds, seed, group_by, stratify_by,
  -- assignment) as proto JSON.
  params_json   TEXT    NOT NULL,
  -- JSON array of {part, digest, item_count, group_count}, in part order.
  parts_json    TEXT    NOT NULL,
  created_by    TEXT    NOT NULL,
  create_time   INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, version, split_id)
) STRICT;

CREATE TABLE split_items (
  split_uid  TEXT NOT NULL,
  part       TEXT NOT NULL,
  path       TEXT NOT NULL,
  PRIMARY KEY (split_uid, part, path)
) STRICT, WITHOUT ROWID;

CREATE TABLE leakage_reports (
  split_uid        TEXT    NOT NULL,
  report_id        TEXT    NOT NULL CHECK (length(report_id) BETWEEN 1 AND 63),
  uid              TEXT    NOT NULL UNIQUE,
  split_name       TEXT    NOT NULL,
  leakage_found    INTEGER NOT NULL,
  document_digest  TEXT    NOT NULL CHECK (length(document_digest) = 64),
  document_size    INTEGER NOT NULL,
  -- JSON array of the findings (LeakageFinding as proto JSON).
  findings_json    TEXT    NOT NULL,
  created_by       TEXT    NOT NULL,
  create_time      INTEGER NOT NULL,
  PRIMARY KEY (split_uid, report_id)
) STRICT;

-- Perceptual hashes (dHash, docs/splits.md "Near duplicates"), computed once
-- per blob: 16 hex characters, or "" with the decoder's refusal.
CREATE TABLE perceptual_hashes (
  blob_digest  TEXT NOT NULL PRIMARY KEY,
  dhash        TEXT NOT NULL,
  error        TEXT NOT NULL
) STRICT, WITHOUT ROWID;
