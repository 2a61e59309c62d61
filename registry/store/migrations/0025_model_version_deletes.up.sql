-- Soft deletes of model versions (docs/models.md, "Deleting"): a deleted
-- version keeps its row, tree, lineage and audit trail; reads and lists
-- hide it unless asked to show deleted versions, and its number is never
-- given again.
ALTER TABLE model_versions ADD COLUMN delete_time INTEGER;
