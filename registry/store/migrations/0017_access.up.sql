-- Tokens and grants (docs/security.md). A token row keeps the SHA-256 of
-- its secret, never the secret. Grants give a principal a role in a project
-- ('*': every project); roles add up.
CREATE TABLE access_tokens (
  token_id TEXT PRIMARY KEY,
  principal TEXT NOT NULL,
  secret_sha256 BLOB NOT NULL CHECK (length(secret_sha256) = 32),
  description TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  expire_time INTEGER NOT NULL DEFAULT 0,  -- 0: never
  revoke_time INTEGER NOT NULL DEFAULT 0   -- 0: not revoked
) WITHOUT ROWID;

CREATE TABLE access_grants (
  principal TEXT NOT NULL,
  role TEXT NOT NULL,
  project TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  PRIMARY KEY (principal, role, project)
) WITHOUT ROWID;
