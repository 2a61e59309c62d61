DROP TABLE agreement_reports;
DROP INDEX annotations_by_path;
DROP TABLE annotations;
DROP TABLE annotation_sets;
