-- Registered trees (folder manifests) and the blobs each one references.
CREATE TABLE trees (
  sha256            TEXT    NOT NULL,
  size_bytes        INTEGER NOT NULL,
  entry_count       INTEGER NOT NULL CHECK (entry_count >= 0),
  total_size_bytes  INTEGER NOT NULL CHECK (total_size_bytes >= 0),
  create_time       INTEGER NOT NULL,
  PRIMARY KEY (sha256, size_bytes),
  FOREIGN KEY (sha256, size_bytes) REFERENCES blobs (sha256, size_bytes)
) STRICT, WITHOUT ROWID;

CREATE TABLE tree_refs (
  tree_sha256  TEXT    NOT NULL,
  tree_size    INTEGER NOT NULL,
  blob_sha256  TEXT    NOT NULL,
  blob_size    INTEGER NOT NULL,
  PRIMARY KEY (tree_sha256, tree_size, blob_sha256, blob_size),
  FOREIGN KEY (tree_sha256, tree_size) REFERENCES trees (sha256, size_bytes),
  FOREIGN KEY (blob_sha256, blob_size) REFERENCES blobs (sha256, size_bytes)
) STRICT, WITHOUT ROWID;

-- Finds the trees that reference a blob (garbage collection, fsck).
CREATE INDEX tree_refs_by_blob ON tree_refs (blob_sha256, blob_size);
