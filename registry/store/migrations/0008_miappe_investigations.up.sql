-- MIAPPE investigations: immutable revisions (whole validated submissions)
-- and their entities, addressable by section and id (docs/investigations.md).
CREATE TABLE investigations (
  investigation_id  TEXT    PRIMARY KEY CHECK (length(investigation_id) BETWEEN 1 AND 63),
  uid               TEXT    NOT NULL UNIQUE,
  latest_revision   INTEGER NOT NULL,
  create_time       INTEGER NOT NULL,
  update_time       INTEGER NOT NULL
) STRICT;

CREATE TABLE investigation_revisions (
  investigation_id   TEXT    NOT NULL REFERENCES investigations (investigation_id),
  revision           INTEGER NOT NULL CHECK (revision > 0),
  digest             TEXT    NOT NULL CHECK (length(digest) = 64),
  profile            TEXT    NOT NULL,
  validator_version  TEXT    NOT NULL,
  title              TEXT    NOT NULL,
  study_count        INTEGER NOT NULL,
  entity_count       INTEGER NOT NULL,
  report_json        TEXT    NOT NULL,
  create_time        INTEGER NOT NULL,
  PRIMARY KEY (investigation_id, revision)
) STRICT;

CREATE TABLE miappe_entities (
  investigation_id  TEXT    NOT NULL,
  revision          INTEGER NOT NULL,
  seq               INTEGER NOT NULL,
  section           TEXT    NOT NULL,
  entity_id         TEXT    NOT NULL,
  record_json       TEXT    NOT NULL,
  location          TEXT    NOT NULL,
  PRIMARY KEY (investigation_id, revision, seq),
  FOREIGN KEY (investigation_id, revision) REFERENCES investigation_revisions (investigation_id, revision)
) STRICT, WITHOUT ROWID;

CREATE INDEX miappe_entities_by_id ON miappe_entities (investigation_id, revision, section, entity_id, seq);
