-- tree_refs_by_blob was made for a garbage collector that does not exist:
-- no query looks trees up by blob (fsck's dangling check joins from
-- tree_refs to blobs by the blobs' key), and blob rows are never deleted or
-- re-keyed, so no foreign-key check needs it either. Each new tree paid one
-- index entry per file, on a page of its own (the keys are random): 10 of
-- the 35 pages a model version from a new folder wrote (docs/benchmarks.md,
-- "Stop 26"). A collector that deletes blobs must recreate it first.
DROP INDEX tree_refs_by_blob;
