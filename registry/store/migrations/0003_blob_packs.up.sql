-- Small blobs that arrive in one batch are stored together in a pack file;
-- a blob row names its pack and offset (NULL: a loose file of its own).
ALTER TABLE blobs ADD COLUMN pack TEXT CHECK (pack IS NULL OR length(pack) = 32);
ALTER TABLE blobs ADD COLUMN pack_offset INTEGER CHECK (pack_offset IS NULL OR pack_offset >= 0);
