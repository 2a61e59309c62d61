DROP TABLE perceptual_hashes;
DROP TABLE leakage_reports;
DROP TABLE split_items;
DROP TABLE splits;
