-- Annotation sets per annotator on a dataset version, their parsed
-- annotations, and agreement reports (docs/annotations.md,
-- docs/agreement.md).
CREATE TABLE annotation_sets (
  dataset_id        TEXT    NOT NULL,
  version           INTEGER NOT NULL,
  set_id            TEXT    NOT NULL CHECK (length(set_id) BETWEEN 1 AND 63),
  uid               TEXT    NOT NULL UNIQUE,
  version_uid       TEXT    NOT NULL,
  digest            TEXT    NOT NULL CHECK (length(digest) = 64),
  annotator         TEXT    NOT NULL,
  task              TEXT    NOT NULL,
  format            TEXT    NOT NULL,
  source_digest     TEXT    NOT NULL,
  source_size       INTEGER NOT NULL,
  -- protocol, tool, categories and replaces (AnnotationSet fields as JSON).
  meta_json         TEXT    NOT NULL,
  annotation_count  INTEGER NOT NULL,
  item_count        INTEGER NOT NULL,
  created_by        TEXT    NOT NULL,
  create_time       INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, version, set_id)
) STRICT;

-- The parsed index of a set, in file order.
CREATE TABLE annotations (
  set_uid        TEXT    NOT NULL,
  seq            INTEGER NOT NULL,
  path           TEXT    NOT NULL,
  source_id      INTEGER NOT NULL,
  category_id    INTEGER NOT NULL,
  value          REAL    NOT NULL,
  bbox_x         REAL    NOT NULL,
  bbox_y         REAL    NOT NULL,
  bbox_w         REAL    NOT NULL,
  bbox_h         REAL    NOT NULL,
  -- Polygons ({"polygons": [[x, y, ...], ...]}) or RLE ({"h": .., "w": ..,
  -- "rle": [...]}); "" for labels, measurements and boxes.
  geometry_json  TEXT    NOT NULL,
  mask_digest    TEXT    NOT NULL,
  PRIMARY KEY (set_uid, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX annotations_by_path ON annotations (set_uid, path);

CREATE TABLE agreement_reports (
  dataset_id       TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  report_id        TEXT    NOT NULL CHECK (length(report_id) BETWEEN 1 AND 63),
  uid              TEXT    NOT NULL UNIQUE,
  task             TEXT    NOT NULL,
  -- JSON array of the set names, in request order.
  sets_json        TEXT    NOT NULL,
  document_digest  TEXT    NOT NULL CHECK (length(document_digest) = 64),
  document_size    INTEGER NOT NULL,
  -- JSON array of the overall coefficients (AgreementCoefficient as JSON).
  overall_json     TEXT    NOT NULL,
  created_by       TEXT    NOT NULL,
  create_time      INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, version, report_id)
) STRICT;
