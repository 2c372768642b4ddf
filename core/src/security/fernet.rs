//! Fernet field encryption, its keyring, blind indexes, MACs and per-record
//! data keys.
//!
//! Tokens are plain Fernet (AES-128-CBC + HMAC-SHA256, the spec Python's
//! `cryptography.fernet` implements), so an operator can open a value with
//! stock tools. A `Keyring` holds the configured keys in order: the first
//! (the primary) encrypts, every key decrypts, which is what an online
//! rotation needs. Each key has a `KeyId`, a short fingerprint stored beside
//! every encrypted value so a rotation knows which rows are still to do
//! without opening them.
//!
//! Values that must be found by equality (an email) also get a blind index:
//! an HMAC of the normalised value under a key derived (HKDF-SHA256) from a
//! ring key, one derivation per purpose. A lookup during a rotation asks for
//! the index under every key (`blind_indexes`). Signed checkpoints use `mac`,
//! derived the same way under another label, so no derived key ever serves
//! two uses.
//!
//! Envelope encryption: a record gets its own random `DataKey`; its fields
//! are Fernet tokens under that key, and the data key is stored wrapped
//! (Fernet-encrypted) under the ring's primary. Forgetting the wrapped key
//! shreds the record, and rotating the ring re-wraps keys (or, as the server
//! does, re-encrypts the record under a fresh data key).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

const KEY_LEN: usize = 32;
const BLIND_INDEX_LABEL: &str = "mismatch blind index v1";
const MAC_LABEL: &str = "mismatch mac v1";

/// A short, stable fingerprint of one key: the first 8 bytes of the
/// SHA-256 of its 32 raw bytes, in hex. Naming a key this way reveals
/// nothing usable about it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    fn of(raw: &[u8; KEY_LEN]) -> Self {
        Self(hex::encode(&Sha256::digest(raw)[..8]))
    }

    /// A key id read back from storage (no check: an id that names no ring
    /// key simply matches none).
    pub fn from_stored(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// Why configured key text is not a keyring. Never holds key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// No key at all.
    #[error("no encryption key given (expected comma-separated url-safe base64 Fernet keys)")]
    Empty,
    /// The key at this 1-based position is not 32 bytes of url-safe base64.
    #[error(
        "encryption key #{position} is not a Fernet key (32 bytes, url-safe base64, as Fernet.generate_key() prints)"
    )]
    Malformed {
        /// 1-based position in the list.
        position: usize,
    },
    /// The same key appears twice.
    #[error("encryption key #{position} repeats an earlier key")]
    Duplicate {
        /// 1-based position in the list.
        position: usize,
    },
}

/// A token no key opens: wrong key, altered or truncated value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no encryption key opens this value")]
pub struct FernetError;

/// One Fernet key with the raw bytes the derivations need.
#[derive(Clone)]
struct RingKey {
    id: KeyId,
    raw: Zeroizing<[u8; KEY_LEN]>,
    fernet: fernet::Fernet,
}

impl RingKey {
    fn from_raw(raw: [u8; KEY_LEN]) -> Self {
        let raw = Zeroizing::new(raw);
        let text = Zeroizing::new(URL_SAFE.encode(*raw));
        let fernet = fernet::Fernet::new(&text).expect("32 bytes always make a Fernet key");
        Self {
            id: KeyId::of(&raw),
            raw,
            fernet,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?);
        let raw: [u8; KEY_LEN] = bytes.as_slice().try_into().ok()?;
        Some(Self::from_raw(raw))
    }

    fn generate() -> Self {
        let mut raw = [0u8; KEY_LEN];
        getrandom::fill(&mut raw).expect("the operating system gives random bytes");
        Self::from_raw(raw)
    }

    fn encrypt(&self, plaintext: &[u8]) -> String {
        self.fernet.encrypt(plaintext)
    }

    fn decrypt(&self, token: &str) -> Result<Vec<u8>, FernetError> {
        // The crate refuses a token stamped more than 60 s in the future even
        // without a TTL; Python only does so with a TTL. Values at rest have
        // no TTL and may come from a replica whose clock runs ahead, so the
        // token is judged at its own time, as Python would.
        let at = token_timestamp(token).ok_or(FernetError)?;
        self.fernet
            .decrypt_at_time(token, None, at)
            .map_err(|_| FernetError)
    }

    /// A 32-byte key for `label` and `purpose`, apart from the Fernet keys.
    fn derive(&self, label: &str, purpose: &str) -> Zeroizing<[u8; 32]> {
        let hk = Hkdf::<Sha256>::new(None, self.raw.as_slice());
        let mut okm = Zeroizing::new([0u8; 32]);
        hk.expand_multi_info(&[label.as_bytes(), b"\0", purpose.as_bytes()], okm.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 length");
        okm
    }

    fn hmac(&self, label: &str, purpose: &str, data: &[u8]) -> [u8; 32] {
        let key = self.derive(label, purpose);
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key.as_slice())
            .expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

/// The seconds since the epoch a Fernet token was made at (its bytes 1..9).
fn token_timestamp(token: &str) -> Option<u64> {
    // Only the first 12 characters are needed (9 bytes); decoding them alone
    // keeps this cheap for large values.
    let head = token.get(..12)?;
    let bytes = URL_SAFE_NO_PAD.decode(head).ok()?;
    if bytes.first() != Some(&0x80) {
        return None;
    }
    Some(u64::from_be_bytes(bytes.get(1..9)?.try_into().ok()?))
}

/// The configured Fernet keys: the first encrypts, all decrypt.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<RingKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field(
                "key_ids",
                &self.keys.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Keyring {
    /// Parses `MISMATCH_ENCRYPTION_KEYS`: comma-separated url-safe base64
    /// Fernet keys (padding optional, whitespace around each ignored).
    pub fn parse(text: &str) -> Result<Self, KeyringError> {
        let mut keys: Vec<RingKey> = Vec::new();
        for (i, part) in text.split(',').map(str::trim).enumerate() {
            let position = i + 1;
            if part.is_empty() {
                if text.trim().is_empty() {
                    return Err(KeyringError::Empty);
                }
                return Err(KeyringError::Malformed { position });
            }
            let key = RingKey::parse(part).ok_or(KeyringError::Malformed { position })?;
            if keys.iter().any(|k| k.id == key.id) {
                return Err(KeyringError::Duplicate { position });
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty);
        }
        Ok(Self { keys })
    }

    /// A ring of one fresh random key (for tests and tools that keep
    /// nothing).
    pub fn ephemeral() -> Self {
        Self {
            keys: vec![RingKey::generate()],
        }
    }

    /// A fresh random key as text, the form `parse` reads (and Python's
    /// `Fernet.generate_key()` prints).
    pub fn generate_key_text() -> String {
        let mut raw = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(raw.as_mut()).expect("the operating system gives random bytes");
        URL_SAFE.encode(*raw)
    }

    /// The id of the key that encrypts.
    pub fn primary_id(&self) -> &KeyId {
        &self.keys[0].id
    }

    /// Every key's id, primary first.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|k| &k.id)
    }

    /// Whether a key with this id is in the ring.
    pub fn contains(&self, id: &KeyId) -> bool {
        self.keys.iter().any(|k| &k.id == id)
    }

    fn key(&self, id: &KeyId) -> Option<&RingKey> {
        self.keys.iter().find(|k| &k.id == id)
    }

    /// A Fernet token of `plaintext` under the primary key.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        self.keys[0].encrypt(plaintext)
    }

    /// Opens a token made under any key of the ring.
    pub fn decrypt(&self, token: &str) -> Result<Vec<u8>, FernetError> {
        self.keys
            .iter()
            .find_map(|k| k.decrypt(token).ok())
            .ok_or(FernetError)
    }

    /// Opens a token, trying the key named `hint` first (the id stored beside
    /// the value), then the others.
    pub fn decrypt_hinted(
        &self,
        hint: Option<&KeyId>,
        token: &str,
    ) -> Result<Vec<u8>, FernetError> {
        if let Some(key) = hint.and_then(|id| self.key(id))
            && let Ok(plain) = key.decrypt(token)
        {
            return Ok(plain);
        }
        self.decrypt(token)
    }

    /// The blind index (hex HMAC-SHA256) of an already normalised value for
    /// `purpose` (e.g. `"candidate.email"`), under the primary key.
    pub fn blind_index(&self, purpose: &str, normalised: &str) -> String {
        hex::encode(self.keys[0].hmac(BLIND_INDEX_LABEL, purpose, normalised.as_bytes()))
    }

    /// The blind index under every key, primary first: what a lookup asks for
    /// while rows written under older keys remain.
    pub fn blind_indexes(&self, purpose: &str, normalised: &str) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| hex::encode(k.hmac(BLIND_INDEX_LABEL, purpose, normalised.as_bytes())))
            .collect()
    }

    /// A MAC (hex HMAC-SHA256) of `data` for `purpose` under the primary key,
    /// with the id of that key to store beside it.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> (KeyId, String) {
        let key = &self.keys[0];
        (
            key.id.clone(),
            hex::encode(key.hmac(MAC_LABEL, purpose, data)),
        )
    }

    /// Checks a MAC made by `mac` under the key `key_id`, in constant time.
    /// False when no ring key has that id.
    pub fn verify_mac(&self, purpose: &str, key_id: &KeyId, data: &[u8], tag: &str) -> bool {
        let Some(key) = self.key(key_id) else {
            return false;
        };
        let Ok(given) = hex::decode(tag) else {
            return false;
        };
        let expected = key.hmac(MAC_LABEL, purpose, data);
        bool::from(expected.as_slice().ct_eq(&given))
    }

    /// Wraps a data key (a Fernet token of its bytes) under the primary.
    pub fn wrap(&self, data_key: &DataKey) -> String {
        self.keys[0].encrypt(data_key.key.raw.as_slice())
    }

    /// Unwraps a data key made by `wrap` under any ring key.
    pub fn unwrap_key(&self, hint: Option<&KeyId>, wrapped: &str) -> Result<DataKey, FernetError> {
        let raw = Zeroizing::new(self.decrypt_hinted(hint, wrapped)?);
        let raw: [u8; KEY_LEN] = raw.as_slice().try_into().map_err(|_| FernetError)?;
        Ok(DataKey {
            key: RingKey::from_raw(raw),
        })
    }
}

/// A record's own Fernet key (envelope encryption), stored only wrapped.
pub struct DataKey {
    key: RingKey,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// A fresh random data key.
    pub fn generate() -> Self {
        Self {
            key: RingKey::generate(),
        }
    }

    /// A Fernet token of `plaintext` under this key.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        self.key.encrypt(plaintext)
    }

    /// Opens a token made under this key.
    pub fn decrypt(&self, token: &str) -> Result<Vec<u8>, FernetError> {
        self.key.decrypt(token)
    }

    /// `encrypt` of UTF-8 text.
    pub fn encrypt_str(&self, plaintext: &str) -> String {
        self.encrypt(plaintext.as_bytes())
    }

    /// `decrypt` to UTF-8 text (anything else is an error: these tokens only
    /// ever hold text written by `encrypt_str`).
    pub fn decrypt_string(&self, token: &str) -> Result<String, FernetError> {
        String::from_utf8(self.decrypt(token)?).map_err(|_| FernetError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // From the Fernet spec's generate.json / verify.json test vectors.
    const SPEC_KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    const SPEC_TOKEN: &str = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==";

    #[test]
    fn opens_the_spec_vector() {
        let ring = Keyring::parse(SPEC_KEY).unwrap();
        assert_eq!(ring.decrypt(SPEC_TOKEN).unwrap(), b"hello");
    }

    #[test]
    fn first_key_encrypts_every_key_decrypts() {
        let old = Keyring::generate_key_text();
        let new = Keyring::generate_key_text();
        let before = Keyring::parse(&old).unwrap();
        let token = before.encrypt(b"jane@example.com");
        let during = Keyring::parse(&format!("{new}, {old}")).unwrap();
        assert_eq!(during.decrypt(&token).unwrap(), b"jane@example.com");
        let fresh = during.encrypt(b"x");
        assert!(
            before.decrypt(&fresh).is_err(),
            "the new primary encrypted it"
        );
        let after = Keyring::parse(&new).unwrap();
        assert!(after.decrypt(&token).is_err());
        assert_eq!(after.decrypt(&fresh).unwrap(), b"x");
        assert_eq!(during.primary_id(), after.primary_id());
        assert_eq!(during.key_ids().count(), 2);
    }

    #[test]
    fn bad_key_text_is_refused_without_echoing_it() {
        let good = Keyring::generate_key_text();
        assert_eq!(Keyring::parse("").unwrap_err(), KeyringError::Empty);
        assert_eq!(Keyring::parse("  ").unwrap_err(), KeyringError::Empty);
        assert_eq!(
            Keyring::parse(&format!("{good},not-a-key")).unwrap_err(),
            KeyringError::Malformed { position: 2 }
        );
        assert_eq!(
            Keyring::parse(&format!("{good},")).unwrap_err(),
            KeyringError::Malformed { position: 2 }
        );
        // 16 bytes: valid base64, wrong length.
        assert_eq!(
            Keyring::parse("AAAAAAAAAAAAAAAAAAAAAA==").unwrap_err(),
            KeyringError::Malformed { position: 1 }
        );
        assert_eq!(
            Keyring::parse(&format!("{good},{good}")).unwrap_err(),
            KeyringError::Duplicate { position: 2 }
        );
        let err = Keyring::parse(&format!("{good},zz{good}"))
            .unwrap_err()
            .to_string();
        assert!(!err.contains(&good[..10]));
    }

    #[test]
    fn debug_shows_ids_not_keys() {
        let text = Keyring::generate_key_text();
        let ring = Keyring::parse(&text).unwrap();
        let shown = format!("{ring:?} {:?}", DataKey::generate());
        assert!(!shown.contains(&text[..12]));
        assert!(!shown.contains(text.trim_end_matches('=')));
        assert!(shown.contains(ring.primary_id().as_str()));
        assert_eq!(ring.primary_id().as_str().len(), 16);
    }

    #[test]
    fn key_id_is_stable_and_ignores_padding() {
        let text = Keyring::generate_key_text();
        let a = Keyring::parse(&text).unwrap();
        let b = Keyring::parse(text.trim_end_matches('=')).unwrap();
        assert_eq!(a.primary_id(), b.primary_id());
        assert_ne!(a.primary_id(), Keyring::ephemeral().primary_id());
    }

    #[test]
    fn blind_index_is_deterministic_per_key_and_purpose() {
        let old = Keyring::generate_key_text();
        let new = Keyring::generate_key_text();
        let before = Keyring::parse(&old).unwrap();
        let during = Keyring::parse(&format!("{new},{old}")).unwrap();
        let idx = before.blind_index("candidate.email", "jane@example.com");
        assert_eq!(
            idx,
            before.blind_index("candidate.email", "jane@example.com")
        );
        assert_ne!(idx, before.blind_index("user.email", "jane@example.com"));
        assert_ne!(
            idx,
            before.blind_index("candidate.email", "john@example.com")
        );
        let all = during.blind_indexes("candidate.email", "jane@example.com");
        assert_eq!(all.len(), 2);
        assert_eq!(all[1], idx, "rows under the old key still match");
        assert_eq!(
            all[0],
            during.blind_index("candidate.email", "jane@example.com")
        );
        assert_ne!(all[0], idx);
    }

    #[test]
    fn mac_verifies_under_its_key_only() {
        let old = Keyring::generate_key_text();
        let new = Keyring::generate_key_text();
        let before = Keyring::parse(&old).unwrap();
        let (id, tag) = before.mac("audit.checkpoint", b"chain head");
        assert!(before.verify_mac("audit.checkpoint", &id, b"chain head", &tag));
        assert!(!before.verify_mac("audit.checkpoint", &id, b"chain heaD", &tag));
        assert!(!before.verify_mac("audit.other", &id, b"chain head", &tag));
        assert!(!before.verify_mac("audit.checkpoint", &id, b"chain head", "zz"));
        let mut flipped = tag.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert!(!before.verify_mac("audit.checkpoint", &id, b"chain head", &flipped));
        // After the rotation the old key still verifies while it is in the ring.
        let during = Keyring::parse(&format!("{new},{old}")).unwrap();
        assert!(during.verify_mac("audit.checkpoint", &id, b"chain head", &tag));
        let after = Keyring::parse(&new).unwrap();
        assert!(!after.verify_mac("audit.checkpoint", &id, b"chain head", &tag));
        // The MAC key differs from the blind-index key for the same purpose.
        assert_ne!(tag, before.blind_index("audit.checkpoint", "chain head"));
    }

    #[test]
    fn data_keys_wrap_and_unwrap_across_a_rotation() {
        let old = Keyring::generate_key_text();
        let new = Keyring::generate_key_text();
        let before = Keyring::parse(&old).unwrap();
        let dk = DataKey::generate();
        let wrapped = before.wrap(&dk);
        let field = dk.encrypt_str("Jane Doe");
        let during = Keyring::parse(&format!("{new},{old}")).unwrap();
        let back = during
            .unwrap_key(Some(before.primary_id()), &wrapped)
            .unwrap();
        assert_eq!(back.decrypt_string(&field).unwrap(), "Jane Doe");
        let back = during.unwrap_key(None, &wrapped).unwrap();
        assert_eq!(back.decrypt_string(&field).unwrap(), "Jane Doe");
        let after = Keyring::parse(&new).unwrap();
        assert_eq!(after.unwrap_key(None, &wrapped).unwrap_err(), FernetError);
        // Another record's key does not open this field.
        assert!(DataKey::generate().decrypt(&field).is_err());
    }

    #[test]
    fn tampered_and_garbage_tokens_fail() {
        let ring = Keyring::ephemeral();
        let token = ring.encrypt(b"secret");
        let mut bytes = URL_SAFE.decode(&token).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(ring.decrypt(&URL_SAFE.encode(&bytes)).is_err());
        assert!(ring.decrypt("").is_err());
        assert!(ring.decrypt("gAAAA").is_err());
        assert!(ring.decrypt("not base64 at all!").is_err());
    }

    #[test]
    fn a_token_from_a_clock_ahead_still_opens() {
        // A replica whose clock runs 10 minutes ahead wrote this value.
        let text = Keyring::generate_key_text();
        let ring = Keyring::parse(&text).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let token = fernet::Fernet::new(&text)
            .unwrap()
            .encrypt_at_time(b"v", now + 600);
        assert_eq!(ring.decrypt(&token).unwrap(), b"v");
    }
}
