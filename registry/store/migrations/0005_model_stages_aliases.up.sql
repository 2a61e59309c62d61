-- Model version stages and model aliases (alias -> version).
ALTER TABLE model_versions ADD COLUMN stage TEXT NOT NULL DEFAULT 'NONE'
  CHECK (stage IN ('NONE', 'STAGING', 'PRODUCTION', 'ARCHIVED'));

CREATE TABLE model_aliases (
  model_id  TEXT    NOT NULL,
  alias     TEXT    NOT NULL CHECK (length(alias) BETWEEN 1 AND 63),
  version   INTEGER NOT NULL,
  PRIMARY KEY (model_id, alias),
  FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
) STRICT;
