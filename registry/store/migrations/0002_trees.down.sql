DROP INDEX tree_refs_by_blob;
DROP TABLE tree_refs;
DROP TABLE trees;
