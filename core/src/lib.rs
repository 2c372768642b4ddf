//! Domain logic of mismatch-recruiter.
