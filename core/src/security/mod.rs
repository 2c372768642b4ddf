//! Security logic, free of HTTP and SQL: the API-key format and its hash,
//! the role and scope policy, and values sealed under a client's secret.
//! User logins: password hashing and policy (`password`), and the TOTP
//! second factor with its QR code and backup codes (`totp`).
//! User sessions: signed access and 2FA challenge tokens with their rotating
//! keyring (`token`), and single-use refresh tokens (`refresh`).
//! Data at rest: Fernet field encryption with its keyring, blind indexes,
//! MACs and per-record data keys (`fernet`).
//! The audit log's hash chain and its verifier (`audit`).

pub mod api_key;
pub mod audit;
pub mod fernet;
pub mod password;
pub mod policy;
pub mod refresh;
pub mod sealed;
pub mod token;
pub mod totp;

pub use password::{PasswordError, PasswordPolicyError};
pub use policy::{Grant, PolicyError, Role, Scope, effective_scopes};
pub use refresh::{RefreshRecord, Rotation, decide_rotation};
pub use token::{
    AccessClaims, ChallengeClaims, IssueError, IssuedToken, Jwk, Jwks, KeyError, Keyring,
    SigningKey, TokenAuthority, VerifyError,
};
pub use totp::TotpError;
