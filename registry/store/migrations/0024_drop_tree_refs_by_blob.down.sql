CREATE INDEX tree_refs_by_blob ON tree_refs (blob_sha256, blob_size);
