-- The audit log (issue 10): one row per event, hash-chained in seq order
-- (core::security::audit). Append-only: the triggers below refuse every
-- UPDATE, and every DELETE except inside the retention purge, which inserts
-- the one row of audit_purge in its own transaction and deletes it again
-- before committing. Timestamps are Unix milliseconds like every table.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    actor_user_id TEXT,
    actor_key_id TEXT,
    action TEXT NOT NULL,
    resource_type TEXT,
    resource_id TEXT,
    details TEXT NOT NULL,
    client_ip TEXT,
    user_agent TEXT,
    request_id TEXT,
    outcome TEXT NOT NULL,
    status BIGINT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_occurred_at ON audit_events(occurred_at);
CREATE INDEX audit_events_actor ON audit_events(actor_user_id, seq);
CREATE INDEX audit_events_action ON audit_events(action, seq);
CREATE INDEX audit_events_resource ON audit_events(resource_type, resource_id, seq);

-- The last event appended. Every append updates this row first, which
-- serialises writers (several processes, or replicas on PostgreSQL) so the
-- chain never forks; verify also compares the chain's end with it.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Left by each retention purge: the last purged event's seq and hash, with
-- a MAC under the encryption keyring (key_id names the key), so the
-- remaining chain verifies from it and a forged one is refused.
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    mac TEXT NOT NULL
);

-- Present (one row) only inside a purge transaction.
CREATE TABLE audit_purge (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE is refused');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_purge)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE is refused outside the retention purge');
END;
