DROP TABLE server_secrets;
DROP TABLE request_ids;
DROP INDEX model_versions_by_tree;
DROP TABLE model_versions;
DROP TABLE registered_models;
