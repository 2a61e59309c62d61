-- Small tree manifests are kept in the blob's own row (docs/cas-protocol.md,
-- "On disk"): registering a tree with its manifest, or a model version with
-- its tree, is then one transaction and one sync, with no pack file.
ALTER TABLE blobs ADD COLUMN inline_bytes BLOB;
