//! Values sealed under a secret the server does not keep.
//!
//! A stored idempotent response may hold a secret (a new API key) or personal
//! data. It is sealed (ChaCha20-Poly1305) under a key derived from the
//! client's `Idempotency-Key`, and the row is found by a hash of that key
//! under a different derivation. The database alone then yields neither the
//! idempotency key nor the response; a replay, which presents the key again,
//! opens it. Clients must therefore use unguessable idempotency keys (the
//! SDKs send random UUIDs).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Why a sealed value could not be made or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The operating system gave no random bytes.
    #[error("no secure random numbers available")]
    Random,
    /// Wrong secret, or the stored value was altered or truncated.
    #[error("the sealed value cannot be opened")]
    Invalid,
}

/// SHA-256 over `purpose` and each part, every piece length-prefixed so that
/// different splits of the same bytes never collide.
fn derive(purpose: &str, parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for piece in std::iter::once(purpose).chain(parts.iter().copied()) {
        h.update((piece.len() as u64).to_be_bytes());
        h.update(piece.as_bytes());
    }
    h.finalize().into()
}

/// The hex lookup hash of `parts` (e.g. a user id and an idempotency key):
/// what the database stores instead of the parts themselves.
pub fn lookup_hash(parts: &[&str]) -> String {
    hex::encode(derive("mismatch lookup v1", parts))
}

fn cipher(parts: &[&str]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(&Key::from(derive("mismatch seal v1", parts)))
}

/// Seals `plaintext` under a key derived from `parts`; text (base64) so that
/// it fits a text column.
pub fn seal(parts: &[&str], plaintext: &[u8]) -> Result<String, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
    let sealed = cipher(parts)
        .encrypt(&Nonce::from(nonce), plaintext)
        .map_err(|_| SealError::Invalid)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(STANDARD_NO_PAD.encode(out))
}

/// Opens what [`seal`] made with the same `parts`.
pub fn open(parts: &[&str], sealed: &str) -> Result<Vec<u8>, SealError> {
    let bytes = STANDARD_NO_PAD
        .decode(sealed)
        .map_err(|_| SealError::Invalid)?;
    if bytes.len() < 1 + NONCE_LEN || bytes[0] != VERSION {
        return Err(SealError::Invalid);
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&bytes[1..1 + NONCE_LEN]);
    cipher(parts)
        .decrypt(&Nonce::from(nonce), &bytes[1 + NONCE_LEN..])
        .map_err(|_| SealError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_parts() {
        let secret = b"mm_0123456789 and a name";
        let sealed = seal(&["usr_1", "idem-key"], secret).unwrap();
        assert!(!sealed.contains("mm_"));
        assert_eq!(open(&["usr_1", "idem-key"], &sealed).unwrap(), secret);
        assert!(open(&["usr_2", "idem-key"], &sealed).is_err());
        assert!(open(&["usr_1", "idem-kez"], &sealed).is_err());
        // Same bytes, split differently.
        assert!(open(&["usr_1idem-key"], &sealed).is_err());
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(
            open(
                &["usr_1", "idem-key"],
                &String::from_utf8(tampered).unwrap()
            )
            .is_err()
        );
        assert!(open(&["usr_1", "idem-key"], "").is_err());
        // A fresh nonce each time.
        assert_ne!(sealed, seal(&["usr_1", "idem-key"], secret).unwrap());
    }

    #[test]
    fn lookup_hashes_separate_parts_and_purposes() {
        let a = lookup_hash(&["usr_1", "k"]);
        assert_eq!(a.len(), 64);
        assert_ne!(a, lookup_hash(&["usr_1k"]));
        assert_ne!(a, lookup_hash(&["usr_1", "K"]));
        assert_ne!(a, hex::encode(derive("mismatch seal v1", &["usr_1", "k"])));
    }
}
