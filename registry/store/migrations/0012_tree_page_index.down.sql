DROP TABLE tree_page_index;
