-- MLflow names of registered models (docs/mlflow-door.md, "Registered
-- models"): a display name kept in the model's tag "mlflow.name" and
-- mapped to its stable model_id. Unique among models not deleted, so a
-- soft delete frees the name; the index also finds a model by name.
CREATE UNIQUE INDEX registered_models_mlflow_name
  ON registered_models (json_extract(tags_json, '$."mlflow.name"'))
  WHERE delete_time IS NULL AND json_extract(tags_json, '$."mlflow.name"') IS NOT NULL;
