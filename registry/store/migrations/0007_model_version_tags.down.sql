DROP TABLE model_version_tags;
