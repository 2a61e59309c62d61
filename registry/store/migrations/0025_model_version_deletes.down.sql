-- Refused (a NOT NULL constraint fails) while any version is deleted:
-- dropping the column would bring deleted versions back to life.
CREATE TEMP TABLE model_version_deletes_guard (none_deleted INTEGER NOT NULL);
INSERT INTO model_version_deletes_guard
  SELECT CASE WHEN EXISTS (SELECT 1 FROM model_versions WHERE delete_time IS NOT NULL) THEN NULL ELSE 1 END;
DROP TABLE model_version_deletes_guard;
ALTER TABLE model_versions DROP COLUMN delete_time;
