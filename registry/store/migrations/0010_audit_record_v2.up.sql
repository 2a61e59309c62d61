-- Audit record version 2 (docs/audit-log.md): records appended from now on
-- hold their fields escaped into valid UTF-8 and a state digest (empty until
-- signed checkpoints exist). Existing rows are version 1 and keep verifying
-- as their stored bytes.
ALTER TABLE audit_log ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE audit_log ADD COLUMN state_digest TEXT NOT NULL DEFAULT '';
