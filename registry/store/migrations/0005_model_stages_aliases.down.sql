DROP TABLE model_aliases;
ALTER TABLE model_versions DROP COLUMN stage;
