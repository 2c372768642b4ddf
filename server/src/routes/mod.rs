//! HTTP routes: health probes at the root, the versioned API under `/v1`.

pub mod health;
pub mod v1;
pub mod well_known;
