-- Optimistic concurrency for job updates: every update bumps the version
-- and names the version it read (the ETag of a job).
ALTER TABLE jobs ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Stored idempotent responses are found by a hash of (user, key) and sealed
-- under a key derived from the client's Idempotency-Key, so the table holds
-- neither the key nor the response in clear (a response may carry a new API
-- key's secret or personal data). resource_id names the resource a response
-- describes, so deleting that resource deletes its replays. The old rows
-- held responses in clear: they are dropped, not converted.
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    key_hash         TEXT PRIMARY KEY NOT NULL,
    user_id          TEXT NOT NULL,
    method           TEXT NOT NULL,
    path             TEXT NOT NULL,
    body_sha256      TEXT NOT NULL,
    status           INTEGER,
    response_sealed  TEXT,
    resource_id      TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys(created_at);
CREATE INDEX idempotency_keys_resource_id ON idempotency_keys(resource_id);
