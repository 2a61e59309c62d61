-- Where every 1,024th entry of a tree starts in its manifest, so that
-- GetTree reads one page of a 1,000,000-entry tree instead of parsing the
-- whole manifest per page (docs/limits.md). Derived data: CommitTree writes
-- it with the tree; trees stored before get theirs on first GetTree.
CREATE TABLE tree_page_index (
  tree_sha256  TEXT    NOT NULL,
  tree_size    INTEGER NOT NULL,
  entry        INTEGER NOT NULL CHECK (entry >= 0),
  byte_offset  INTEGER NOT NULL CHECK (byte_offset >= 0),
  PRIMARY KEY (tree_sha256, tree_size, entry),
  FOREIGN KEY (tree_sha256, tree_size) REFERENCES trees (sha256, size_bytes)
) STRICT, WITHOUT ROWID;
