DROP INDEX registered_models_by_project;
DROP INDEX datasets_by_project;
DROP INDEX investigations_by_project;
ALTER TABLE runs DROP COLUMN project;
ALTER TABLE registered_models DROP COLUMN project;
ALTER TABLE datasets DROP COLUMN project;
ALTER TABLE investigations DROP COLUMN project;
