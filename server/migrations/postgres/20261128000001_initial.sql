-- Timestamps are Unix epoch milliseconds (BIGINT here, INTEGER in SQLite) so the
-- same SQL compares them in both backends; ids are prefixed ULIDs, so ordering
-- by id is ordering by creation time.
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    ttl_seconds   BIGINT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    replaced_by   TEXT,
    last_used_at  BIGINT,
    last_used_ip  TEXT
);
CREATE INDEX api_keys_user_id ON api_keys(user_id);

CREATE TABLE candidates (
    id                   TEXT PRIMARY KEY,
    name                 TEXT,
    email                TEXT,
    phone                TEXT,
    location             TEXT,
    skills               TEXT NOT NULL,
    years_experience     DOUBLE PRECISION,
    seniority            TEXT NOT NULL,
    education            TEXT,
    languages            TEXT NOT NULL,
    salary_expectation   BIGINT,
    source_filename      TEXT,
    source_content_type  TEXT,
    source_format        TEXT,
    resume_text          TEXT NOT NULL,
    created_at           BIGINT NOT NULL
);

CREATE TABLE jobs (
    id                   TEXT PRIMARY KEY,
    title                TEXT NOT NULL,
    company              TEXT,
    description          TEXT NOT NULL,
    required_skills      TEXT NOT NULL,
    nice_to_have_skills  TEXT NOT NULL,
    seniority            TEXT,
    min_years            DOUBLE PRECISION NOT NULL,
    location             TEXT,
    remote               TEXT NOT NULL,
    salary_min           BIGINT,
    salary_max           BIGINT,
    currency             TEXT NOT NULL,
    status               TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX jobs_status ON jobs(status, id);

CREATE TABLE idempotency_keys (
    user_id        TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    method         TEXT NOT NULL,
    path           TEXT NOT NULL,
    body_sha256    TEXT NOT NULL,
    status         BIGINT,
    response_body  TEXT,
    content_type   TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys(created_at);
