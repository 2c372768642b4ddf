//! Rust SDK for the mismatch-recruiter API.
