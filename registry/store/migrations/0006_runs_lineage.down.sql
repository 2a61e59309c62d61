DROP INDEX model_versions_by_stage;
DROP TABLE lineage_edges;
DROP TABLE run_metrics;
DROP TABLE run_params;
DROP TABLE runs;
