-- The RFC 6962 Merkle tree over the audit log (docs/audit-log.md): the root
-- of every perfect subtree, (level, idx) = leaves [idx·2^level,
-- (idx+1)·2^level). Level 0 holds the leaf hashes SHA-256(0x00 ‖ canonical
-- record bytes). Written in the transaction that appends the record;
-- records older than this migration are hashed in when the server opens.
CREATE TABLE audit_merkle (
  level INTEGER NOT NULL CHECK (level >= 0 AND level < 63),
  idx INTEGER NOT NULL CHECK (idx >= 0),
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- Witness cosignatures (C2SP tlog-cosignature lines) of checkpoints this log
-- issued, kept as they came and returned with the checkpoint of that size.
CREATE TABLE checkpoint_cosignatures (
  tree_size INTEGER NOT NULL CHECK (tree_size > 0),
  key_name TEXT NOT NULL,
  key_id INTEGER NOT NULL,
  signature BLOB NOT NULL,
  create_time INTEGER NOT NULL,
  PRIMARY KEY (tree_size, key_name, key_id)
) WITHOUT ROWID;
