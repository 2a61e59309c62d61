DROP TABLE state_anchors;
ALTER TABLE runs DROP COLUMN metrics_chain;
DROP INDEX lineage_edges_by_origin;
ALTER TABLE lineage_edges DROP COLUMN origin;
