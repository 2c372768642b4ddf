//! Integration tests of mismatch-server: the real router (via `oneshot`) on
//! SQLite and PostgreSQL, the committed OpenAPI document, and the binary.

mod support;

mod access;

mod api_keys;
mod audit;
mod backup;
mod binary;
mod candidates;
mod encryption;
mod errors;
mod idempotency;
mod identity;
mod interview;
mod jobs;
mod key_hygiene;
mod listener;
mod matches;
mod openapi;
mod privacy;
mod rate_limit;
mod salary;
mod salary_models;
mod security_headers;
mod storage;
mod tls;
