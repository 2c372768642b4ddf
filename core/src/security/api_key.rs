//! The API key format: `mm_` + 43 base62 characters of secret (32 random
//! bytes) + 6 base62 characters of the CRC32 of those 43 characters.
//!
//! The checksum lets [`is_well_formed`] reject typos and random strings
//! without touching the database, and lets secret scanners recognise a leaked
//! key by pattern. Only [`hash`] of a key is ever stored.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every key starts with this.
pub const KEY_PREFIX: &str = "mm_";
const SECRET_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
/// Length of a whole key string.
pub const KEY_LEN: usize = KEY_PREFIX.len() + SECRET_LEN + CHECKSUM_LEN;
/// How many characters after `mm_` are kept in clear to let people tell keys apart.
pub const PUBLIC_PREFIX_LEN: usize = 8;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly generated key. Its `Debug` never shows the secret.
pub struct NewKey {
    /// The whole key string, `mm_…`.
    pub secret: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewKey({}…)", public_prefix(&self.secret))
    }
}

/// Generates a new key from 32 bytes of the operating system's CSPRNG.
pub fn generate() -> Result<NewKey, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(NewKey {
        secret: from_secret_bytes(&bytes),
    })
}

/// Builds the key string for 32 secret bytes.
pub fn from_secret_bytes(bytes: &[u8; 32]) -> String {
    let body = base62_fixed(bytes, SECRET_LEN);
    let checksum = checksum(&body);
    format!("{KEY_PREFIX}{body}{checksum}")
}

fn checksum(body: &str) -> String {
    base62_fixed(
        &crc32fast::hash(body.as_bytes()).to_be_bytes(),
        CHECKSUM_LEN,
    )
}

/// Whether `key` has the shape of a key and a valid checksum. Cheap and
/// offline: used to reject garbage before hashing and looking up.
pub fn is_well_formed(key: &str) -> bool {
    if key.len() != KEY_LEN || !key.starts_with(KEY_PREFIX) {
        return false;
    }
    let rest = &key[KEY_PREFIX.len()..];
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (body, sum) = rest.split_at(SECRET_LEN);
    checksum(body) == sum
}

/// The part of a key shown in listings: the first 8 characters after `mm_`.
pub fn public_prefix(key: &str) -> &str {
    let start = KEY_PREFIX.len().min(key.len());
    let end = (KEY_PREFIX.len() + PUBLIC_PREFIX_LEN).min(key.len());
    key.get(start..end).unwrap_or("")
}

/// SHA-256 of the key, hex encoded: what the database stores and looks up.
///
/// A plain hash (no salt, no stretching) is enough because the key holds 256
/// random bits: there is nothing to guess, and lookups by hash stay one
/// indexed query.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Whether `key` hashes to `stored_hash`, compared in constant time.
pub fn verify(key: &str, stored_hash: &str) -> bool {
    same_hash(&hash(key), stored_hash)
}

/// Whether two hashes are equal, compared in constant time (for a caller
/// that already computed [`hash`] to look the key up).
pub fn same_hash(computed: &str, stored_hash: &str) -> bool {
    computed.len() == stored_hash.len()
        && bool::from(computed.as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// Big-endian bytes as a base62 number, left-padded with '0' to `width`.
///
/// Written by hand because it is a dozen lines and the common base62 crates
/// encode integers, not 256-bit values.
fn base62_fixed(bytes: &[u8], width: usize) -> String {
    let mut number: Vec<u8> = bytes.to_vec();
    let mut digits = Vec::with_capacity(width);
    while number.iter().any(|&b| b != 0) {
        let mut remainder: u32 = 0;
        for byte in number.iter_mut() {
            let acc = (remainder << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8;
            remainder = acc % 62;
        }
        digits.push(ALPHABET[remainder as usize]);
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate().unwrap().secret;
        let b = generate().unwrap().secret;
        assert_ne!(a, b);
        for key in [&a, &b] {
            assert_eq!(key.len(), KEY_LEN);
            assert!(key.starts_with("mm_"));
            assert!(is_well_formed(key), "{key}");
        }
    }

    #[test]
    fn extreme_secrets_fit_in_43_characters() {
        let max = from_secret_bytes(&[0xff; 32]);
        let zero = from_secret_bytes(&[0; 32]);
        assert_eq!(max.len(), KEY_LEN);
        assert_eq!(zero.len(), KEY_LEN);
        assert!(is_well_formed(&max));
        assert!(is_well_formed(&zero));
        assert!(zero.starts_with("mm_0000000000"));
    }

    #[test]
    fn base62_matches_known_values() {
        assert_eq!(base62_fixed(&[0, 61], 2), "0z");
        assert_eq!(base62_fixed(&[0, 62], 2), "10");
        assert_eq!(base62_fixed(&u32::MAX.to_be_bytes(), 6), "4gfFC3");
    }

    #[test]
    fn a_changed_character_breaks_the_checksum() {
        let key = generate().unwrap().secret;
        let mut chars: Vec<char> = key.chars().collect();
        chars[10] = if chars[10] == 'a' { 'b' } else { 'a' };
        let tampered: String = chars.into_iter().collect();
        assert!(!is_well_formed(&tampered));
        assert!(!is_well_formed("mm_short"));
        assert!(!is_well_formed(&key.replace("mm_", "xx_")));
        assert!(!is_well_formed(&format!("{key}0")));
    }

    #[test]
    fn hash_is_sha256_hex_known_answer() {
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let key = from_secret_bytes(&[7; 32]);
        assert!(verify(&key, &hash(&key)));
        assert!(!verify(&key, &hash("mm_other")));
        assert!(!verify(&key, "short"));
    }

    #[test]
    fn hash_and_prefix() {
        let key = from_secret_bytes(&[7; 32]);
        assert_eq!(hash(&key).len(), 64);
        assert_eq!(hash(&key), hash(&key.clone()));
        assert_eq!(public_prefix(&key), &key[3..11]);
        assert!(
            !format!(
                "{:?}",
                NewKey {
                    secret: key.clone()
                }
            )
            .contains(&key[11..])
        );
    }
}
