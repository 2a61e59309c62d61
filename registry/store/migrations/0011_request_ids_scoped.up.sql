-- Request ids are scoped per principal and remember what was asked
-- (docs/models.md, "Retries"): the same id with another request body is
-- REQUEST_ID_CONFLICT instead of silently answering the first call. Rows
-- from before keep principal '' and body_sha256 '' and match any caller and
-- any body.
CREATE TABLE request_ids_scoped (
  principal    TEXT    NOT NULL,
  request_id   TEXT    NOT NULL,
  method       TEXT    NOT NULL,
  resource     TEXT    NOT NULL,
  create_time  INTEGER NOT NULL,
  body_sha256  TEXT    NOT NULL,
  PRIMARY KEY (principal, request_id)
) STRICT;
INSERT INTO request_ids_scoped (principal, request_id, method, resource, create_time, body_sha256)
  SELECT '', request_id, method, resource, create_time, '' FROM request_ids;
DROP TABLE request_ids;
ALTER TABLE request_ids_scoped RENAME TO request_ids;
CREATE INDEX request_ids_by_id ON request_ids (request_id);
