-- Field encryption (Fernet, envelope). A candidate gets its own data key,
-- stored wrapped (a Fernet token) under a key of the server's keyring in
-- data_key; key_id names that keyring key. name, email, phone, location,
-- resume_text, source_filename and source_file then hold Fernet tokens
-- under the data key. Rows written before this migration keep key_id NULL
-- and their plaintext until a key rotation converts them (the same pass).
-- email_index is an HMAC blind index of the lower-cased email, for lookup
-- and de-duplication without the plaintext.
ALTER TABLE candidates ADD COLUMN data_key TEXT;
ALTER TABLE candidates ADD COLUMN key_id TEXT;
ALTER TABLE candidates ADD COLUMN email_index TEXT;
ALTER TABLE candidates ADD COLUMN source_file TEXT;
CREATE INDEX candidates_email_index ON candidates(email_index);
CREATE INDEX candidates_key_id ON candidates(key_id);

-- TOTP secrets become Fernet tokens under the keyring (key_id beside them);
-- NULL means still sealed the old way (ChaCha20-Poly1305 under secret.key).
ALTER TABLE users ADD COLUMN totp_key_id TEXT;
