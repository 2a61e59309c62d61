DROP INDEX experiments_by_project;
DROP INDEX experiments_active_name;
DROP TABLE experiments;
