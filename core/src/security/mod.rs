//! Security logic, free of HTTP and SQL: the API-key format and its hash,
//! the role and scope policy, and values sealed under a client's secret.

pub mod api_key;
pub mod policy;
pub mod sealed;

pub use policy::{Grant, PolicyError, Role, Scope, effective_scopes};
