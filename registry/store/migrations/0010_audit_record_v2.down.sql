ALTER TABLE audit_log DROP COLUMN state_digest;
ALTER TABLE audit_log DROP COLUMN version;
