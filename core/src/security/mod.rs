//! Security logic, free of HTTP and SQL: the API-key format and its hash,
//! the role and scope policy, and values sealed under a client's secret.
//! User sessions: signed access and 2FA challenge tokens with their rotating
//! keyring (`token`), and single-use refresh tokens (`refresh`).

pub mod api_key;
pub mod policy;
pub mod refresh;
pub mod sealed;
pub mod token;

pub use policy::{Grant, PolicyError, Role, Scope, effective_scopes};
pub use refresh::{RefreshRecord, Rotation, decide_rotation};
pub use token::{
    AccessClaims, ChallengeClaims, IssueError, IssuedToken, Jwk, Jwks, KeyError, Keyring,
    SigningKey, TokenAuthority, VerifyError,
};
