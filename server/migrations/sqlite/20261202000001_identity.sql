-- Users who log in: an email (stored lower-cased, unique), an argon2id
-- password hash (PHC string), and an optional TOTP second factor whose secret
-- is sealed under the server's secret key (never stored in clear).
-- totp_last_step is the last accepted 30-second step, so a code is never
-- accepted twice. failed_logins / locked_until implement the per-account
-- lockout. Users made by `keys create` have no email or password: they only
-- use API keys.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN totp_secret_sealed TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at INTEGER;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
ALTER TABLE users ADD COLUMN totp_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER;
CREATE UNIQUE INDEX users_email ON users(email) WHERE email IS NOT NULL;

-- Single-use TOTP backup codes, as SHA-256 hashes.
CREATE TABLE backup_codes (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- Refresh tokens, as SHA-256 hashes. A login starts a family; each refresh
-- spends its token and adds the next one to the family. Spending a token
-- twice (a stolen copy) revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    family_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

-- Why a key was revoked: 'manual' (revokeApiKey), 'rotation' (rotated
-- without overlap) or 'idle' (unused for MISMATCH_API_KEY_IDLE_REVOKE_DAYS,
-- revoked by the scheduled sweep). NULL for keys revoked before this column.
ALTER TABLE api_keys ADD COLUMN revoked_reason TEXT;
