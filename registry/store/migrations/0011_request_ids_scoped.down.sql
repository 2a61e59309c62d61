CREATE TABLE request_ids_unscoped (
  request_id   TEXT    PRIMARY KEY,
  method       TEXT    NOT NULL,
  resource     TEXT    NOT NULL,
  create_time  INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO request_ids_unscoped (request_id, method, resource, create_time)
  SELECT request_id, method, resource, create_time FROM request_ids ORDER BY create_time;
DROP TABLE request_ids;
ALTER TABLE request_ids_unscoped RENAME TO request_ids;
