//! Refresh tokens: opaque, stored only as a hash, single-use and rotating.
//!
//! A login starts a *family*. Each refresh spends the presented token and
//! issues the next one of the same family, which inherits the family's
//! expiry: a session lasts at most [`FAMILY_LIFETIME_MS`] after the login,
//! however often it is refreshed, and then the user logs in again.
//!
//! A spent token presented again means two parties hold the family's tokens
//! (the client and whoever copied one) and the server cannot tell which is
//! which, so the whole family is revoked and both must log in again (OAuth
//! 2.0 Security BCP, RFC 9700 §4.14.2). [`decide_rotation`] says which case
//! applies; storage carries it out.
//!
//! Deciding on a record read earlier is not enough when two refreshes race:
//! the server must spend a token with a conditional write (`… SET used = true
//! WHERE token_hash = $1 AND NOT used`) and treat a lost race as reuse.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Every refresh token starts with this, so that secret scanners recognise
/// one and nobody mistakes it for an API key (`mm_`).
pub const TOKEN_PREFIX: &str = "mmr_";
const SECRET_BYTES: usize = 32;
/// 32 bytes in unpadded base64url.
const SECRET_LEN: usize = 43;
/// Length of a whole token string.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + SECRET_LEN;
/// Every family id starts with this.
pub const FAMILY_ID_PREFIX: &str = "rtf_";
/// How long a login lasts, refreshed or not: 30 days (Unix ms).
pub const FAMILY_LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// A freshly generated refresh token. Its `Debug` never shows the secret.
pub struct NewRefreshToken {
    /// The whole token string, `mmr_…`: given to the client once, never
    /// stored.
    pub secret: String,
}

impl NewRefreshToken {
    /// What storage keeps: see [`hash`].
    pub fn hash(&self) -> String {
        hash(&self.secret)
    }
}

impl std::fmt::Debug for NewRefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewRefreshToken(mmr_…)")
    }
}

/// A new token from 32 bytes of the operating system's CSPRNG.
pub fn generate() -> Result<NewRefreshToken, getrandom::Error> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(NewRefreshToken {
        secret: from_secret_bytes(&bytes),
    })
}

/// The token string for 32 secret bytes.
pub fn from_secret_bytes(bytes: &[u8; SECRET_BYTES]) -> String {
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `token` has the shape of a refresh token: the prefix and 32
/// bytes of canonical base64url. Used to refuse garbage before hashing and
/// looking up.
pub fn is_well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|secret| URL_SAFE_NO_PAD.decode(secret).ok())
            .is_some_and(|bytes| bytes.len() == SECRET_BYTES)
}

/// SHA-256 of the token, hex encoded: what the database stores and looks up.
///
/// A plain hash is enough, as for API keys: the token holds 256 random
/// bits, so there is nothing to guess, and the lookup stays one indexed
/// query.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` hashes to `stored_hash`, compared in constant time.
pub fn verify(token: &str, stored_hash: &str) -> bool {
    super::api_key::same_hash(&hash(token), stored_hash)
}

/// A new random family id, `rtf_` + 128 random bits in base64url.
pub fn new_family_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "{FAMILY_ID_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// When a family started by a login at `login_at_ms` ends; every token of
/// the family has this `expires_at`.
pub fn family_expiry(login_at_ms: i64) -> i64 {
    login_at_ms.saturating_add(FAMILY_LIFETIME_MS)
}

/// What storage knows about a presented refresh token (found by its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// The login it descends from.
    pub family_id: String,
    /// Already exchanged for a successor.
    pub used: bool,
    /// When it stops working (Unix ms): the family's expiry.
    pub expires_at: i64,
    /// Its family was revoked (logout, reuse, an admin).
    pub revoked: bool,
}

/// What to do with a presented refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// Spend it and issue a successor in `family_id` expiring at
    /// `expires_at`, with a new access token.
    Rotate {
        /// The family the successor joins.
        family_id: String,
        /// The successor's expiry: the family's, never extended.
        expires_at: i64,
    },
    /// A spent token came back: revoke every token of `family_id` and refuse.
    ReuseDetected {
        /// The family to revoke.
        family_id: String,
    },
    /// Too old: refuse, the user logs in again.
    Expired,
    /// Its family was revoked: refuse.
    Revoked,
}

/// The decision for `record` at `now_ms`.
///
/// Reuse is checked before expiry, so a theft is reported (and the family
/// revoked, which costs nothing if it has expired anyway) rather than
/// hidden behind an ordinary "expired".
pub fn decide_rotation(record: &RefreshRecord, now_ms: i64) -> Rotation {
    if record.revoked {
        Rotation::Revoked
    } else if record.used {
        Rotation::ReuseDetected {
            family_id: record.family_id.clone(),
        }
    } else if now_ms >= record.expires_at {
        Rotation::Expired
    } else {
        Rotation::Rotate {
            family_id: record.family_id.clone(),
            expires_at: record.expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn record(used: bool, revoked: bool, expires_at: i64) -> RefreshRecord {
        RefreshRecord {
            family_id: "rtf_family".to_owned(),
            used,
            expires_at,
            revoked,
        }
    }

    #[test]
    fn generated_tokens_are_well_formed_and_distinct() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a.secret, b.secret);
        for token in [&a.secret, &b.secret] {
            assert_eq!(token.len(), TOKEN_LEN);
            assert_eq!(TOKEN_LEN, 47);
            assert!(token.starts_with("mmr_"));
            assert!(is_well_formed(token), "{token}");
        }
        assert!(!format!("{a:?}").contains(&a.secret[4..]));
    }

    #[test]
    fn shape_checks() {
        assert_eq!(
            from_secret_bytes(&[0; 32]),
            format!("mmr_{}", "A".repeat(43))
        );
        assert_eq!(
            from_secret_bytes(&[0xff; 32]),
            format!("mmr_{}8", "_".repeat(42))
        );
        let token = from_secret_bytes(&[7; 32]);
        assert!(is_well_formed(&token));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("mmr_short"));
        assert!(!is_well_formed(&token.replace("mmr_", "mm_x")));
        assert!(!is_well_formed(&format!("{token}A")));
        // Not base64url: standard-alphabet characters and padding.
        assert!(!is_well_formed(&format!("mmr_{}+", "A".repeat(42))));
        assert!(!is_well_formed(&format!("mmr_{}=", "A".repeat(42))));
        // Non-canonical: the last character carries bits beyond the 32 bytes.
        assert!(!is_well_formed(&format!("mmr_{}B", "A".repeat(42))));
        // An API key is not a refresh token.
        assert!(!is_well_formed(
            &crate::security::api_key::generate().unwrap().secret
        ));
    }

    #[test]
    fn hashes_are_sha256_hex_and_compare_in_constant_time() {
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = generate().unwrap();
        let stored = token.hash();
        assert_eq!(stored.len(), 64);
        assert_eq!(stored, hash(&token.secret));
        assert!(!stored.contains(&token.secret[4..]));
        assert!(verify(&token.secret, &stored));
        assert!(!verify(&generate().unwrap().secret, &stored));
        assert!(!verify(&token.secret, &stored[..63]));
        assert!(!verify(&token.secret, ""));
    }

    #[test]
    fn family_ids_are_random_and_prefixed() {
        let a = new_family_id().unwrap();
        let b = new_family_id().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("rtf_"));
        assert_eq!(a.len(), 4 + 22);
        assert_eq!(family_expiry(NOW), NOW + 2_592_000_000);
        assert_eq!(family_expiry(i64::MAX - 1), i64::MAX);
    }

    #[test]
    fn a_live_unused_token_rotates_within_its_family_and_expiry() {
        assert_eq!(
            decide_rotation(&record(false, false, NOW + 1), NOW),
            Rotation::Rotate {
                family_id: "rtf_family".to_owned(),
                expires_at: NOW + 1,
            }
        );
    }

    #[test]
    fn a_spent_token_presented_again_revokes_its_family() {
        let reuse = Rotation::ReuseDetected {
            family_id: "rtf_family".to_owned(),
        };
        assert_eq!(decide_rotation(&record(true, false, NOW + 1), NOW), reuse);
        // Even once expired: a theft is still a theft.
        assert_eq!(decide_rotation(&record(true, false, NOW - 1), NOW), reuse);
    }

    #[test]
    fn expiry_is_exclusive() {
        assert_eq!(
            decide_rotation(&record(false, false, NOW), NOW),
            Rotation::Expired
        );
        assert_eq!(
            decide_rotation(&record(false, false, NOW - 1), NOW),
            Rotation::Expired
        );
        assert!(matches!(
            decide_rotation(&record(false, false, NOW), NOW - 1),
            Rotation::Rotate { .. }
        ));
    }

    #[test]
    fn a_revoked_family_refuses_everything() {
        for used in [false, true] {
            for expires_at in [NOW - 1, NOW + 1] {
                assert_eq!(
                    decide_rotation(&record(used, true, expires_at), NOW),
                    Rotation::Revoked
                );
            }
        }
    }
}
