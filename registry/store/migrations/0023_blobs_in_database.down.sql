-- Refused (a NOT NULL constraint fails) while any blob is kept only in the
-- database: dropping the column would lose its bytes.
CREATE TEMP TABLE blobs_in_database_guard (none_left INTEGER NOT NULL);
INSERT INTO blobs_in_database_guard
  SELECT CASE WHEN EXISTS (SELECT 1 FROM blobs WHERE inline_bytes IS NOT NULL) THEN NULL ELSE 1 END;
DROP TABLE blobs_in_database_guard;
ALTER TABLE blobs DROP COLUMN inline_bytes;
