DROP TABLE run_artifacts;
