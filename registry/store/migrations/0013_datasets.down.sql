DROP TABLE dataset_item_links;
DROP TABLE dataset_items;
DROP TABLE dataset_versions;
DROP TABLE datasets;
