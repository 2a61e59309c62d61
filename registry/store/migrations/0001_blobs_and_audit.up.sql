-- Blobs that are visible (size and hash verified, file durable) and the
-- hash-chained audit log.
CREATE TABLE blobs (
  sha256       TEXT    NOT NULL CHECK (length(sha256) = 64),
  size_bytes   INTEGER NOT NULL CHECK (size_bytes >= 0),
  create_time  INTEGER NOT NULL,
  PRIMARY KEY (sha256, size_bytes)
) STRICT, WITHOUT ROWID;

-- The empty blob always exists.
INSERT INTO blobs (sha256, size_bytes, create_time)
VALUES ('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0, 0);

CREATE TABLE audit_log (
  sequence        INTEGER PRIMARY KEY CHECK (sequence > 0),
  time_micros     INTEGER NOT NULL,
  principal       TEXT    NOT NULL,
  method          TEXT    NOT NULL,
  resource        TEXT    NOT NULL,
  request_sha256  TEXT    NOT NULL,
  result          TEXT    NOT NULL,
  previous_hash   TEXT    NOT NULL CHECK (length(previous_hash) = 64),
  hash            TEXT    NOT NULL CHECK (length(hash) = 64)
) STRICT;
