-- Projects (docs/security.md, "Projects"): each top-level resource belongs
-- to one project, set when it is created and never changed; its children
-- (versions, annotation sets, splits, reports, entities) are in its project.
-- Existing resources move to "default".
ALTER TABLE investigations ADD COLUMN project TEXT NOT NULL DEFAULT 'default';
ALTER TABLE datasets ADD COLUMN project TEXT NOT NULL DEFAULT 'default';
ALTER TABLE registered_models ADD COLUMN project TEXT NOT NULL DEFAULT 'default';
ALTER TABLE runs ADD COLUMN project TEXT NOT NULL DEFAULT 'default';
-- Lists filtered by the caller's projects page by their keys.
CREATE INDEX investigations_by_project ON investigations (project, investigation_id);
CREATE INDEX datasets_by_project ON datasets (project, dataset_id);
CREATE INDEX registered_models_by_project ON registered_models (project, model_id);
