//! Signed session tokens: the access token and the 2FA challenge token.
//!
//! Both are JWTs signed with Ed25519 (`EdDSA`). The signature is asymmetric so
//! that anything holding only the public keys (`/.well-known/jwks.json`) can
//! check a token but not mint one. Keys live in a [`Keyring`]: one key signs,
//! every key verifies, so a key is rotated by adding its successor and
//! dropping it once the last token it signed has expired.
//!
//! Verification trusts the token's header only to pick a key: the algorithm
//! is pinned to `EdDSA` (no `none`, no HS256 "signed" with the public key),
//! the `kid` must name a key in the ring, and the purpose is checked in both
//! the header `typ` (explicit typing, RFC 8725 §3.11) and the `purpose`
//! claim, so a challenge token never passes as an access token or back.
//!
//! Times are Unix milliseconds, like everywhere else in the project, and
//! always passed in (`now_ms`) so that tests can move the clock; the claims
//! themselves carry seconds (RFC 7519 NumericDate). jsonwebtoken's own `exp`
//! and `nbf` checks read the system clock, so they are off and done here.
//!
//! jsonwebtoken stays on 9.3: it signs with ring, already in the tree through
//! rustls; 10 and later need either the `rust_crypto` backend (which pulls in
//! rsa and p256) or aws-lc.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::policy::{Grant, Role, Scope};

/// How long an access token lives: an hour, after which the client uses its
/// refresh token. Access tokens cannot be revoked, so this is also the
/// longest a removed user or a narrowed role keeps working.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 60 * 60;
/// How long a 2FA challenge token lives: time enough to open an
/// authenticator app and type a code.
pub const CHALLENGE_TOKEN_TTL_SECS: i64 = 5 * 60;
/// Clock skew tolerated on `nbf` and `exp`, between this server and whoever
/// issued the token (another instance).
pub const CLOCK_LEEWAY_SECS: i64 = 30;
/// Longest token accepted. Ours are well under 1 KiB; the bound is checked
/// before any decoding, so a huge header cannot cost memory or time.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

const ALGORITHM_NAME: &str = "EdDSA";
const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// What a token is good for. Stated twice in every token, as the header
/// `typ` and the `purpose` claim, and both must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Calls the API.
    Access,
    /// Only the second step of a login with 2FA.
    Challenge,
}

impl Purpose {
    fn claim(self) -> &'static str {
        match self {
            Purpose::Access => "access",
            Purpose::Challenge => "2fa_challenge",
        }
    }

    /// The header `typ`. `at+jwt` is the media type of JWT access tokens
    /// (RFC 9068); the challenge type is ours.
    fn typ(self) -> &'static str {
        match self {
            Purpose::Access => "at+jwt",
            Purpose::Challenge => "2fa-challenge+jwt",
        }
    }
}

/// Why a signing key or keyring could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not an unencrypted Ed25519 private key in PKCS#8 (PEM or DER).
    #[error("the signing key is not an unencrypted Ed25519 private key in PKCS#8 (PEM or DER)")]
    NotEd25519Pkcs8,
    /// The operating system gave no random bytes.
    #[error("no secure random numbers available")]
    Random,
    /// A keyring needs a key to sign with.
    #[error("the keyring has no keys")]
    Empty,
    /// The same key given twice.
    #[error("the key {0} is in the keyring twice")]
    DuplicateKid(String),
    /// The key designated to sign is not in the ring.
    #[error("no key with kid {0} in the keyring")]
    UnknownKid(String),
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The operating system gave no random bytes (for the token id).
    #[error("no secure random numbers available")]
    Random,
    /// The grant the token would carry has already expired.
    #[error("the grant has expired")]
    GrantExpired,
    /// Signing failed; with a key the ring accepted, it does not.
    #[error("the token could not be signed")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

/// Why a token was refused. The server answers 401 to all of them; the
/// variants are for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Longer than [`MAX_TOKEN_BYTES`]; not even decoded.
    #[error("the token is too long")]
    TooLarge,
    /// Not a JWT, or its parts do not decode.
    #[error("the token is malformed")]
    Malformed,
    /// Signed with anything but `EdDSA` (including `none`).
    #[error("the token's algorithm is not accepted")]
    UnsupportedAlgorithm,
    /// The header names no key.
    #[error("the token names no key")]
    MissingKid,
    /// The header names a key not in the ring: never ours, or rotated out.
    #[error("the token's key is unknown")]
    UnknownKid,
    /// The signature does not match the header and claims.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Issued by someone else.
    #[error("the token has the wrong issuer")]
    WrongIssuer,
    /// Meant for someone else.
    #[error("the token has the wrong audience")]
    WrongAudience,
    /// An access token where a challenge is expected, or the reverse.
    #[error("the token is not meant for this")]
    WrongPurpose,
    /// `nbf` is in the future, beyond the leeway.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `exp` has passed, beyond the leeway.
    #[error("the token has expired")]
    Expired,
}

/// An Ed25519 private key with its key id. `Debug` shows the `kid` only.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    pkcs8: Vec<u8>,
    public: [u8; 32],
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key, from the operating system's CSPRNG. Persist it with
    /// [`SigningKey::to_pkcs8_pem`].
    pub fn generate() -> Result<SigningKey, KeyError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .map_err(|_| KeyError::Random)?;
        SigningKey::from_pkcs8_der(pkcs8.as_ref())
    }

    /// A key from PKCS#8 DER, v1 (as `openssl genpkey -algorithm ed25519`
    /// writes it) or v2 (with the public key, which must then match).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, KeyError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|_| KeyError::NotEd25519Pkcs8)?;
        let public: [u8; 32] = pair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| KeyError::NotEd25519Pkcs8)?;
        Ok(SigningKey {
            kid: thumbprint(&public),
            pkcs8: der.to_vec(),
            public,
            encoding: EncodingKey::from_ed_der(der),
            // Despite its name this takes the raw 32-byte public key.
            decoding: DecodingKey::from_ed_der(&public),
        })
    }

    /// A key from a PEM `PRIVATE KEY` block (PKCS#8).
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, KeyError> {
        SigningKey::from_pkcs8_der(&pem_to_der(pem).ok_or(KeyError::NotEd25519Pkcs8)?)
    }

    /// A key from a configuration value or key file: PEM if it looks like
    /// PEM, DER otherwise.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<SigningKey, KeyError> {
        match std::str::from_utf8(bytes) {
            Ok(text) if text.trim_start().starts_with("-----BEGIN") => {
                SigningKey::from_pkcs8_pem(text)
            }
            _ => SigningKey::from_pkcs8_der(bytes),
        }
    }

    /// The key id: the RFC 7638 JWK thumbprint of the public key, so that it
    /// follows from the key alone and configuration cannot get it wrong.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The raw 32-byte Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public
    }

    /// The private key as a PEM `PRIVATE KEY` block, for the server to store
    /// a generated key. This is the secret: it belongs in a file readable by
    /// the server alone, never in a log.
    pub fn to_pkcs8_pem(&self) -> String {
        let body = STANDARD.encode(&self.pkcs8);
        let mut pem = String::with_capacity(body.len() + 80);
        pem.push_str(PEM_BEGIN);
        pem.push('\n');
        let mut rest = body.as_str();
        while !rest.is_empty() {
            let (line, tail) = rest.split_at(rest.len().min(64));
            pem.push_str(line);
            pem.push('\n');
            rest = tail;
        }
        pem.push_str(PEM_END);
        pem.push('\n');
        pem
    }

    /// The public key as a JWK (RFC 8037).
    pub fn jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x: URL_SAFE_NO_PAD.encode(self.public),
            kid: self.kid.clone(),
            alg: ALGORITHM_NAME.to_owned(),
            key_use: "sig".to_owned(),
        }
    }
}

/// The body of a PEM `PRIVATE KEY` block.
///
/// Written by hand: one fixed label and a base64 body, where the `pem` crate
/// would be a new direct dependency for the same ten lines.
fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body = pem.trim().strip_prefix(PEM_BEGIN)?.strip_suffix(PEM_END)?;
    let base64: String = body.split_ascii_whitespace().collect();
    STANDARD.decode(base64).ok()
}

/// RFC 7638 thumbprint of an Ed25519 public key: SHA-256 of the required JWK
/// members in lexicographic order without whitespace, base64url.
fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public)
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A public key as published in the JWKS (RFC 7517, RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Always `OKP`.
    pub kty: String,
    /// Always `Ed25519`.
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// The key id tokens name in their header.
    pub kid: String,
    /// Always `EdDSA`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
}

/// The document served at `/.well-known/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// Every key that verifies, the signing key first.
    pub keys: Vec<Jwk>,
}

/// The signing keys: one signs, all verify.
///
/// To rotate: add the new key while the old one still signs (designate the
/// old one with [`Keyring::with_active`]) so that every instance and every
/// JWKS cache learns the new public key; then let the new key sign; drop the
/// old key once [`ACCESS_TOKEN_TTL_SECS`] has passed, after which every token
/// it signed has expired anyway.
#[derive(Debug, Clone)]
pub struct Keyring {
    keys: Vec<SigningKey>,
    active: usize,
}

impl Keyring {
    /// A keyring of `keys`, in configuration order: the last one signs.
    pub fn new(keys: Vec<SigningKey>) -> Result<Keyring, KeyError> {
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(KeyError::DuplicateKid(key.kid.clone()));
            }
        }
        let active = keys.len().checked_sub(1).ok_or(KeyError::Empty)?;
        Ok(Keyring { keys, active })
    }

    /// A keyring of one new random key: the embedded default when
    /// configuration names no key. The server stores
    /// `keyring.signing_key().to_pkcs8_pem()` so that tokens survive a
    /// restart.
    pub fn generate() -> Result<Keyring, KeyError> {
        Keyring::new(vec![SigningKey::generate()?])
    }

    /// The same keys, with the key `kid` signing.
    pub fn with_active(mut self, kid: &str) -> Result<Keyring, KeyError> {
        self.active = self
            .keys
            .iter()
            .position(|k| k.kid == kid)
            .ok_or_else(|| KeyError::UnknownKid(kid.to_owned()))?;
        Ok(self)
    }

    /// The key that signs new tokens.
    pub fn signing_key(&self) -> &SigningKey {
        &self.keys[self.active]
    }

    /// The key with id `kid`, if it is in the ring.
    pub fn get(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Every key, in configuration order.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The public keys, signing key first.
    pub fn jwks(&self) -> Jwks {
        let signing = self.signing_key();
        let others = self.keys.iter().filter(|k| k.kid != signing.kid);
        Jwks {
            keys: std::iter::once(signing)
                .chain(others)
                .map(SigningKey::jwk)
                .collect(),
        }
    }
}

/// A token just issued. `Debug` does not show the token, a bearer secret.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Its `jti`.
    pub token_id: String,
    /// When it expires (Unix ms, a whole second).
    pub expires_at: i64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token_id", &self.token_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What a valid access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user id (`sub`).
    pub subject: String,
    /// The role the token acts with.
    pub role: Role,
    /// The scopes it holds.
    pub scopes: Vec<Scope>,
    /// Its `jti`.
    pub token_id: String,
    /// When it was issued (Unix ms).
    pub issued_at: i64,
    /// When it expires (Unix ms).
    pub expires_at: i64,
}

impl AccessClaims {
    /// The grant a request with this token acts with.
    pub fn grant(&self) -> Grant {
        Grant {
            role: self.role,
            scopes: self.scopes.clone(),
            expires_at: Some(self.expires_at),
        }
    }
}

/// What a valid 2FA challenge token says: who passed the password step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeClaims {
    /// The user id (`sub`).
    pub subject: String,
    /// Its `jti`: the server may record it as spent after a successful
    /// second step, so that one challenge completes one login.
    pub token_id: String,
    /// When it was issued (Unix ms).
    pub issued_at: i64,
    /// When it expires (Unix ms).
    pub expires_at: i64,
}

/// The claims as they travel. `role` and `scope` are absent from challenge
/// tokens; `scope` is space-separated, as RFC 9068 and RFC 8693 spell it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WireClaims {
    iss: String,
    aud: String,
    sub: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

/// The header fields looked at before the signature is checked: only to
/// refuse early and to pick the key.
#[derive(Deserialize)]
struct PeekedHeader {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
}

/// Issues and verifies tokens for one issuer and audience with a keyring.
#[derive(Debug, Clone)]
pub struct TokenAuthority {
    keyring: Keyring,
    issuer: String,
    audience: String,
    validation: Validation,
}

impl TokenAuthority {
    /// An authority that issues tokens from `issuer` (`iss`, usually the
    /// server's public URL) for `audience` (`aud`, the API), and accepts only
    /// those.
    pub fn new(
        keyring: Keyring,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> TokenAuthority {
        let issuer = issuer.into();
        let audience = audience.into();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&audience]);
        // Checked against `now_ms` in `check_times` instead.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        TokenAuthority {
            keyring,
            issuer,
            audience,
            validation,
        }
    }

    /// The keys it signs and verifies with.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// An access token for user `subject` acting with `grant`, valid for
    /// [`ACCESS_TOKEN_TTL_SECS`] or until the grant expires, if sooner.
    pub fn issue_access(
        &self,
        subject: &str,
        grant: &Grant,
        now_ms: i64,
    ) -> Result<IssuedToken, IssueError> {
        let until = grant
            .bound_expiry(Some(
                now_ms.saturating_add(ACCESS_TOKEN_TTL_SECS.saturating_mul(1000)),
            ))
            .unwrap_or(now_ms);
        let scope = grant
            .scopes
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        self.issue(
            Purpose::Access,
            subject,
            now_ms,
            until,
            Some((grant.role, scope)),
        )
    }

    /// A 2FA challenge token for user `subject`, who has given the right
    /// password: good for [`CHALLENGE_TOKEN_TTL_SECS`], and only for
    /// [`TokenAuthority::verify_challenge`].
    pub fn issue_challenge(&self, subject: &str, now_ms: i64) -> Result<IssuedToken, IssueError> {
        let until = now_ms.saturating_add(CHALLENGE_TOKEN_TTL_SECS.saturating_mul(1000));
        self.issue(Purpose::Challenge, subject, now_ms, until, None)
    }

    /// The claims of `token` if it is a valid access token at `now_ms`.
    pub fn verify_access(&self, token: &str, now_ms: i64) -> Result<AccessClaims, VerifyError> {
        let claims = self.verify(token, Purpose::Access, now_ms)?;
        let role = claims
            .role
            .as_deref()
            .ok_or(VerifyError::Malformed)?
            .parse::<Role>()
            .map_err(|_| VerifyError::Malformed)?;
        let scopes = claims
            .scope
            .as_deref()
            .unwrap_or("")
            .split_ascii_whitespace()
            .map(str::parse::<Scope>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| VerifyError::Malformed)?;
        Ok(AccessClaims {
            subject: claims.sub,
            role,
            scopes,
            token_id: claims.jti,
            issued_at: claims.iat.saturating_mul(1000),
            expires_at: claims.exp.saturating_mul(1000),
        })
    }

    /// The claims of `token` if it is a valid 2FA challenge token at `now_ms`.
    pub fn verify_challenge(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<ChallengeClaims, VerifyError> {
        let claims = self.verify(token, Purpose::Challenge, now_ms)?;
        Ok(ChallengeClaims {
            subject: claims.sub,
            token_id: claims.jti,
            issued_at: claims.iat.saturating_mul(1000),
            expires_at: claims.exp.saturating_mul(1000),
        })
    }

    fn issue(
        &self,
        purpose: Purpose,
        subject: &str,
        now_ms: i64,
        until_ms: i64,
        access: Option<(Role, String)>,
    ) -> Result<IssuedToken, IssueError> {
        // Whole seconds, rounded down: never later than asked.
        let iat = now_ms.div_euclid(1000);
        let exp = until_ms.div_euclid(1000);
        if exp <= iat {
            return Err(IssueError::GrantExpired);
        }
        let jti = random_token_id().ok_or(IssueError::Random)?;
        let (role, scope) = match access {
            Some((role, scope)) => (Some(role.as_str().to_owned()), Some(scope)),
            None => (None, None),
        };
        let claims = WireClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_owned(),
            iat,
            nbf: iat,
            exp,
            jti: jti.clone(),
            purpose: purpose.claim().to_owned(),
            role,
            scope,
        };
        let key = self.keyring.signing_key();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(purpose.typ().to_owned());
        header.kid = Some(key.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(IssueError::Signing)?;
        Ok(IssuedToken {
            token,
            token_id: jti,
            expires_at: exp.saturating_mul(1000),
        })
    }

    fn verify(
        &self,
        token: &str,
        purpose: Purpose,
        now_ms: i64,
    ) -> Result<WireClaims, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge);
        }
        let header = peek_header(token)?;
        if header.alg != ALGORITHM_NAME {
            return Err(VerifyError::UnsupportedAlgorithm);
        }
        let kid = header.kid.ok_or(VerifyError::MissingKid)?;
        let key = self.keyring.get(&kid).ok_or(VerifyError::UnknownKid)?;
        // Checks the signature (EdDSA only, again), then `iss` and `aud`.
        let claims = jsonwebtoken::decode::<WireClaims>(token, &key.decoding, &self.validation)
            .map_err(verify_error)?
            .claims;
        if header.typ.as_deref() != Some(purpose.typ()) || claims.purpose != purpose.claim() {
            return Err(VerifyError::WrongPurpose);
        }
        check_times(claims.nbf, claims.exp, now_ms)?;
        Ok(claims)
    }
}

/// The unverified header of a compact JWT.
fn peek_header(token: &str) -> Result<PeekedHeader, VerifyError> {
    let encoded = token.split('.').next().unwrap_or_default();
    let json = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| VerifyError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| VerifyError::Malformed)
}

/// Whether `now_ms` lies in `[nbf, exp)` (seconds), widened by
/// [`CLOCK_LEEWAY_SECS`] on both sides.
fn check_times(nbf: i64, exp: i64, now_ms: i64) -> Result<(), VerifyError> {
    let leeway_ms = CLOCK_LEEWAY_SECS * 1000;
    if now_ms.saturating_add(leeway_ms) < nbf.saturating_mul(1000) {
        return Err(VerifyError::NotYetValid);
    }
    if now_ms.saturating_sub(leeway_ms) >= exp.saturating_mul(1000) {
        return Err(VerifyError::Expired);
    }
    Ok(())
}

fn verify_error(error: jsonwebtoken::errors::Error) -> VerifyError {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature => VerifyError::BadSignature,
        ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
        ErrorKind::InvalidAudience => VerifyError::WrongAudience,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            VerifyError::UnsupportedAlgorithm
        }
        ErrorKind::ExpiredSignature => VerifyError::Expired,
        ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
        _ => VerifyError::Malformed,
    }
}

/// 128 random bits, base64url: unique enough to name a token in a deny list
/// or a spent-challenge list.
fn random_token_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::policy::effective_scopes;

    const ISSUER: &str = "https://mismatch.example";
    const AUDIENCE: &str = "mismatch-api";
    /// 2023-11-14T22:13:20Z, in ms.
    const NOW: i64 = 1_700_000_000_000;

    /// RFC 8037 appendix A.1: the private key `d` and public key `x`.
    const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    /// RFC 8037 appendix A.3: its JWK thumbprint.
    const RFC8037_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

    /// PKCS#8 v1 DER of an Ed25519 seed (RFC 8410 §7), as openssl writes it.
    fn pkcs8_v1(seed: &[u8]) -> Vec<u8> {
        let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
        der.extend_from_slice(seed);
        der
    }

    fn rfc8037_key() -> SigningKey {
        SigningKey::from_pkcs8_der(&pkcs8_v1(&URL_SAFE_NO_PAD.decode(RFC8037_D).unwrap())).unwrap()
    }

    fn authority(keyring: Keyring) -> TokenAuthority {
        TokenAuthority::new(keyring, ISSUER, AUDIENCE)
    }

    fn recruiter() -> Grant {
        Grant {
            role: Role::Recruiter,
            scopes: effective_scopes(Role::Recruiter, &[Scope::JobsRead, Scope::JobsWrite]),
            expires_at: None,
        }
    }

    /// The three parts of a compact JWT.
    fn parts(token: &str) -> Vec<String> {
        token.split('.').map(str::to_owned).collect()
    }

    fn b64_json(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn decode_part(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint_and_keys_load_from_pem_and_der() {
        let key = rfc8037_key();
        assert_eq!(key.kid(), RFC8037_THUMBPRINT);
        assert_eq!(URL_SAFE_NO_PAD.encode(key.public_key()), RFC8037_X);
        // The v1 key read back from PEM, and our own v2 PEM read back.
        let v1_pem = format!(
            "{PEM_BEGIN}\r\n{}\r\n{PEM_END}\r\n",
            STANDARD.encode(pkcs8_v1(&URL_SAFE_NO_PAD.decode(RFC8037_D).unwrap()))
        );
        assert_eq!(
            SigningKey::from_pkcs8_pem(&v1_pem).unwrap().kid(),
            RFC8037_THUMBPRINT
        );
        assert_eq!(
            SigningKey::from_pkcs8(v1_pem.as_bytes()).unwrap().kid(),
            RFC8037_THUMBPRINT
        );
        let generated = SigningKey::generate().unwrap();
        let pem = generated.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64));
        assert_eq!(
            SigningKey::from_pkcs8(pem.as_bytes()).unwrap().kid(),
            generated.kid()
        );
        assert_eq!(
            SigningKey::from_pkcs8(&generated.pkcs8).unwrap().kid(),
            generated.kid()
        );
        assert_ne!(generated.kid(), SigningKey::generate().unwrap().kid());
        // Garbage, a truncated key, a public key and an encrypted key are refused.
        for bad in [
            "".as_bytes(),
            b"not a key",
            &generated.pkcs8[..20],
            generated.public_key(),
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMC4=\n-----END ENCRYPTED PRIVATE KEY-----",
            b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----",
        ] {
            assert_eq!(
                SigningKey::from_pkcs8(bad).unwrap_err(),
                KeyError::NotEd25519Pkcs8
            );
        }
    }

    #[test]
    fn signatures_match_the_rfc8037_example() {
        // RFC 8037 A.4: Ed25519 is deterministic, so the signature of the
        // example message with the example key is fixed.
        let message = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let signature = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &rfc8037_key().encoding,
            Algorithm::EdDSA,
        )
        .unwrap();
        assert_eq!(
            signature,
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }

    #[test]
    fn debug_never_shows_private_material() {
        let key = SigningKey::generate().unwrap();
        let pem = key.to_pkcs8_pem();
        let body: String = pem.lines().nth(1).unwrap().to_owned();
        let ring = Keyring::new(vec![key]).unwrap();
        let auth = authority(ring.clone());
        for shown in [
            format!("{ring:?}"),
            format!("{auth:?}"),
            format!("{:?}", ring.keys()[0]),
        ] {
            assert!(shown.contains(ring.signing_key().kid()), "{shown}");
            assert!(!shown.contains(&body[24..44]), "{shown}");
            assert!(!shown.contains("PRIVATE"), "{shown}");
        }
        let issued = auth.issue_challenge("usr_1", NOW).unwrap();
        assert!(!format!("{issued:?}").contains(&issued.token));
    }

    #[test]
    fn access_tokens_round_trip() {
        let auth = authority(Keyring::generate().unwrap());
        let issued = auth.issue_access("usr_1", &recruiter(), NOW).unwrap();
        assert_eq!(issued.expires_at, NOW + ACCESS_TOKEN_TTL_SECS * 1000);
        let claims = auth.verify_access(&issued.token, NOW + 1).unwrap();
        assert_eq!(
            claims,
            AccessClaims {
                subject: "usr_1".to_owned(),
                role: Role::Recruiter,
                scopes: vec![Scope::JobsRead, Scope::JobsWrite],
                token_id: issued.token_id.clone(),
                issued_at: NOW,
                expires_at: NOW + 3_600_000,
            }
        );
        assert_eq!(
            claims.grant(),
            Grant {
                role: Role::Recruiter,
                scopes: vec![Scope::JobsRead, Scope::JobsWrite],
                expires_at: Some(NOW + 3_600_000),
            }
        );
        // The wire format.
        let p = parts(&issued.token);
        assert_eq!(p.len(), 3);
        let header = decode_part(&p[0]);
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["kid"], auth.keyring().signing_key().kid());
        let body = decode_part(&p[1]);
        assert_eq!(body["iss"], ISSUER);
        assert_eq!(body["aud"], AUDIENCE);
        assert_eq!(body["sub"], "usr_1");
        assert_eq!(body["iat"], NOW / 1000);
        assert_eq!(body["nbf"], NOW / 1000);
        assert_eq!(body["exp"], NOW / 1000 + 3600);
        assert_eq!(body["purpose"], "access");
        assert_eq!(body["role"], "recruiter");
        assert_eq!(body["scope"], "jobs:read jobs:write");
        assert_eq!(body["jti"], issued.token_id.as_str());
        // A fresh id every time.
        let again = auth.issue_access("usr_1", &recruiter(), NOW).unwrap();
        assert_ne!(again.token_id, issued.token_id);
        assert_eq!(issued.token_id.len(), 22);
    }

    #[test]
    fn an_access_token_never_outlives_its_grant() {
        let auth = authority(Keyring::generate().unwrap());
        let mut grant = recruiter();
        grant.expires_at = Some(NOW + 600_500);
        let issued = auth.issue_access("usr_1", &grant, NOW).unwrap();
        // Rounded down to the second.
        assert_eq!(issued.expires_at, NOW + 600_000);
        assert_eq!(
            auth.verify_access(&issued.token, NOW).unwrap().expires_at,
            NOW + 600_000
        );
        grant.expires_at = Some(NOW);
        assert!(matches!(
            auth.issue_access("usr_1", &grant, NOW),
            Err(IssueError::GrantExpired)
        ));
        // No scopes is no scopes, not all of them.
        grant.expires_at = None;
        grant.scopes.clear();
        let issued = auth.issue_access("usr_1", &grant, NOW).unwrap();
        assert!(
            auth.verify_access(&issued.token, NOW)
                .unwrap()
                .scopes
                .is_empty()
        );
    }

    #[test]
    fn expiry_is_exclusive_and_widened_by_the_leeway() {
        let auth = authority(Keyring::generate().unwrap());
        let token = auth.issue_access("usr_1", &recruiter(), NOW).unwrap().token;
        let exp = NOW + 3_600_000;
        let leeway = CLOCK_LEEWAY_SECS * 1000;
        assert!(auth.verify_access(&token, exp - 1).is_ok());
        // At `exp` itself the leeway still holds it open…
        assert!(auth.verify_access(&token, exp).is_ok());
        assert!(auth.verify_access(&token, exp + leeway - 1).is_ok());
        // …up to exactly 30 s later.
        assert_eq!(
            auth.verify_access(&token, exp + leeway),
            Err(VerifyError::Expired)
        );
        assert_eq!(
            auth.verify_access(&token, exp + 86_400_000),
            Err(VerifyError::Expired)
        );
        // Clocks behind the issuer's by up to 30 s are fine.
        assert!(auth.verify_access(&token, NOW - leeway).is_ok());
        assert_eq!(
            auth.verify_access(&token, NOW - leeway - 1),
            Err(VerifyError::NotYetValid)
        );
        // The bare rule, without a token.
        assert_eq!(
            check_times(10, 20, 20_000 + leeway),
            Err(VerifyError::Expired)
        );
        assert_eq!(check_times(10, 20, 20_000 + leeway - 1), Ok(()));
        assert_eq!(
            check_times(i64::MAX, i64::MAX, i64::MIN),
            Err(VerifyError::NotYetValid)
        );
    }

    #[test]
    fn challenge_and_access_tokens_do_not_stand_in_for_each_other() {
        let auth = authority(Keyring::generate().unwrap());
        let challenge = auth.issue_challenge("usr_1", NOW).unwrap();
        assert_eq!(challenge.expires_at, NOW + CHALLENGE_TOKEN_TTL_SECS * 1000);
        let claims = auth.verify_challenge(&challenge.token, NOW).unwrap();
        assert_eq!(claims.subject, "usr_1");
        assert_eq!(claims.token_id, challenge.token_id);
        assert_eq!(claims.expires_at, NOW + 300_000);
        let body = decode_part(&parts(&challenge.token)[1]);
        assert_eq!(body["purpose"], "2fa_challenge");
        assert!(body.get("role").is_none() && body.get("scope").is_none());
        assert_eq!(
            auth.verify_access(&challenge.token, NOW),
            Err(VerifyError::WrongPurpose)
        );
        let access = auth.issue_access("usr_1", &recruiter(), NOW).unwrap();
        assert_eq!(
            auth.verify_challenge(&access.token, NOW),
            Err(VerifyError::WrongPurpose)
        );
        // Five minutes, plus the leeway.
        assert!(
            auth.verify_challenge(&challenge.token, NOW + 300_000 + 29_999)
                .is_ok()
        );
        assert_eq!(
            auth.verify_challenge(&challenge.token, NOW + 330_000),
            Err(VerifyError::Expired)
        );
    }

    /// A token signed by `key` with any header and claims.
    fn sign_raw(key: &SigningKey, header: &serde_json::Value, body: &serde_json::Value) -> String {
        let message = format!("{}.{}", b64_json(header), b64_json(body));
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key.encoding, Algorithm::EdDSA)
                .unwrap();
        format!("{message}.{signature}")
    }

    #[test]
    fn header_typ_and_purpose_claim_must_both_match() {
        let auth = authority(Keyring::generate().unwrap());
        let key = auth.keyring().signing_key();
        let access = auth.issue_access("usr_1", &recruiter(), NOW).unwrap().token;
        let header = decode_part(&parts(&access)[0]);
        let body = decode_part(&parts(&access)[1]);
        // Correctly signed by our key, but the two statements disagree.
        let mut challenge_typ = header.clone();
        challenge_typ["typ"] = "2fa-challenge+jwt".into();
        let mixed = sign_raw(key, &challenge_typ, &body);
        assert_eq!(
            auth.verify_access(&mixed, NOW),
            Err(VerifyError::WrongPurpose)
        );
        assert_eq!(
            auth.verify_challenge(&mixed, NOW),
            Err(VerifyError::WrongPurpose)
        );
        let mut no_typ = header.clone();
        no_typ.as_object_mut().unwrap().remove("typ");
        assert_eq!(
            auth.verify_access(&sign_raw(key, &no_typ, &body), NOW),
            Err(VerifyError::WrongPurpose)
        );
        // The raw signer itself is sound.
        assert!(
            auth.verify_access(&sign_raw(key, &header, &body), NOW)
                .is_ok()
        );
    }

    #[test]
    fn wrong_issuer_or_audience_is_refused() {
        let ring = Keyring::generate().unwrap();
        let auth = authority(ring.clone());
        let other_issuer = TokenAuthority::new(ring.clone(), "https://evil.example", AUDIENCE);
        let other_audience = TokenAuthority::new(ring, ISSUER, "another-api");
        let token = other_issuer
            .issue_access("usr_1", &recruiter(), NOW)
            .unwrap()
            .token;
        assert_eq!(
            auth.verify_access(&token, NOW),
            Err(VerifyError::WrongIssuer)
        );
        let token = other_audience
            .issue_access("usr_1", &recruiter(), NOW)
            .unwrap()
            .token;
        assert_eq!(
            auth.verify_access(&token, NOW),
            Err(VerifyError::WrongAudience)
        );
        let token = other_audience.issue_challenge("usr_1", NOW).unwrap().token;
        assert_eq!(
            auth.verify_challenge(&token, NOW),
            Err(VerifyError::WrongAudience)
        );
        // Missing claims are not a way around the checks.
        let key = auth.keyring().signing_key();
        let good = auth.issue_access("usr_1", &recruiter(), NOW).unwrap().token;
        let header = decode_part(&parts(&good)[0]);
        for claim in ["iss", "aud", "exp", "nbf", "sub"] {
            let mut body = decode_part(&parts(&good)[1]);
            body.as_object_mut().unwrap().remove(claim);
            assert_eq!(
                auth.verify_access(&sign_raw(key, &header, &body), NOW),
                Err(VerifyError::Malformed),
                "{claim}"
            );
        }
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let auth = authority(Keyring::generate().unwrap());
        let token = auth.issue_access("usr_1", &recruiter(), NOW).unwrap().token;
        let p = parts(&token);
        // Promote ourselves to admin, keep the signature.
        let mut body = decode_part(&p[1]);
        body["role"] = "admin".into();
        let promoted = format!("{}.{}.{}", p[0], b64_json(&body), p[2]);
        assert_eq!(
            auth.verify_access(&promoted, NOW),
            Err(VerifyError::BadSignature)
        );
        // Change one character in the middle of the signature.
        let mut signature = p[2].clone().into_bytes();
        signature[40] = if signature[40] == b'A' { b'B' } else { b'A' };
        let forged = format!(
            "{}.{}.{}",
            p[0],
            p[1],
            String::from_utf8(signature).unwrap()
        );
        assert_eq!(
            auth.verify_access(&forged, NOW),
            Err(VerifyError::BadSignature)
        );
        // Not a JWT at all.
        for garbage in ["", "abc", "a.b.c", "....", &format!("{}.{}", p[0], p[1])] {
            assert_eq!(
                auth.verify_access(garbage, NOW),
                Err(VerifyError::Malformed),
                "{garbage}"
            );
        }
        assert_eq!(
            auth.verify_access(&format!("{token}.extra"), NOW),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn oversize_tokens_are_refused_before_parsing() {
        let auth = authority(Keyring::generate().unwrap());
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(auth.verify_access(&huge, NOW), Err(VerifyError::TooLarge));
        assert_eq!(
            auth.verify_challenge(&huge, NOW),
            Err(VerifyError::TooLarge)
        );
        assert_eq!(
            auth.verify_access(&huge[..MAX_TOKEN_BYTES], NOW),
            Err(VerifyError::Malformed)
        );
        // A correctly signed token padded past the bound is refused too.
        let key = auth.keyring().signing_key();
        let good = auth.issue_access("usr_1", &recruiter(), NOW).unwrap().token;
        let header = decode_part(&parts(&good)[0]);
        let mut body = decode_part(&parts(&good)[1]);
        body["padding"] = "x".repeat(MAX_TOKEN_BYTES).into();
        assert_eq!(
            auth.verify_access(&sign_raw(key, &header, &body), NOW),
            Err(VerifyError::TooLarge)
        );
        assert!(good.len() < 1024, "{}", good.len());
    }

    #[test]
    fn tokens_from_keys_outside_the_ring_are_refused() {
        let auth = authority(Keyring::generate().unwrap());
        let stranger = authority(Keyring::generate().unwrap());
        let token = stranger
            .issue_access("usr_1", &recruiter(), NOW)
            .unwrap()
            .token;
        assert_eq!(
            auth.verify_access(&token, NOW),
            Err(VerifyError::UnknownKid)
        );
        // A stranger's key claiming to be ours.
        let our_kid = auth.keyring().signing_key().kid();
        let good = auth.issue_access("usr_1", &recruiter(), NOW).unwrap().token;
        let mut header = decode_part(&parts(&good)[0]);
        let body = decode_part(&parts(&good)[1]);
        header["kid"] = our_kid.into();
        let impostor = sign_raw(stranger.keyring().signing_key(), &header, &body);
        assert_eq!(
            auth.verify_access(&impostor, NOW),
            Err(VerifyError::BadSignature)
        );
        // No kid at all.
        header.as_object_mut().unwrap().remove("kid");
        let anonymous = sign_raw(auth.keyring().signing_key(), &header, &body);
        assert_eq!(
            auth.verify_access(&anonymous, NOW),
            Err(VerifyError::MissingKid)
        );
    }

    #[test]
    fn alg_none_and_hs256_with_the_public_key_are_refused() {
        let auth = authority(Keyring::generate().unwrap());
        let key = auth.keyring().signing_key();
        let good = auth.issue_access("usr_1", &recruiter(), NOW).unwrap().token;
        let header = decode_part(&parts(&good)[0]);
        let mut body = decode_part(&parts(&good)[1]);
        body["role"] = "admin".into();
        body["scope"] = "api_keys:manage".into();

        let mut none = header.clone();
        none["alg"] = "none".into();
        for unsigned in [
            format!("{}.{}.", b64_json(&none), b64_json(&body)),
            format!("{}.{}", b64_json(&none), b64_json(&body)),
        ] {
            assert_eq!(
                auth.verify_access(&unsigned, NOW),
                Err(VerifyError::UnsupportedAlgorithm)
            );
        }

        // HMAC "signed" with what a verifier might take for the key: the raw
        // public key, or its JWK `x`.
        let x = key.jwk().x;
        for secret in [key.public_key().as_slice(), x.as_bytes()] {
            let mut hs = Header::new(Algorithm::HS256);
            hs.typ = Some("at+jwt".to_owned());
            hs.kid = Some(key.kid().to_owned());
            let forged =
                jsonwebtoken::encode(&hs, &body, &EncodingKey::from_secret(secret)).unwrap();
            assert_eq!(
                auth.verify_access(&forged, NOW),
                Err(VerifyError::UnsupportedAlgorithm)
            );
            // The library's own check stands behind ours.
            assert!(
                jsonwebtoken::decode::<WireClaims>(&forged, &key.decoding, &auth.validation)
                    .is_err()
            );
        }
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_until_the_old_key_leaves() {
        let old = SigningKey::generate().unwrap();
        let new = SigningKey::generate().unwrap();
        let before = authority(Keyring::new(vec![old.clone()]).unwrap());
        let old_token = before
            .issue_access("usr_1", &recruiter(), NOW)
            .unwrap()
            .token;

        // Step 1: publish the new key, the old one still signs.
        let publishing = authority(
            Keyring::new(vec![old.clone(), new.clone()])
                .unwrap()
                .with_active(old.kid())
                .unwrap(),
        );
        assert_eq!(publishing.keyring().signing_key().kid(), old.kid());
        assert_eq!(publishing.keyring().jwks().keys.len(), 2);
        assert_eq!(publishing.keyring().jwks().keys[0].kid, old.kid());

        // Step 2: the new key signs (the last one by default); both verify.
        let during = authority(Keyring::new(vec![old.clone(), new.clone()]).unwrap());
        assert_eq!(during.keyring().signing_key().kid(), new.kid());
        let new_token = during
            .issue_access("usr_1", &recruiter(), NOW)
            .unwrap()
            .token;
        assert_eq!(decode_part(&parts(&new_token)[0])["kid"], new.kid());
        assert!(during.verify_access(&old_token, NOW).is_ok());
        assert!(during.verify_access(&new_token, NOW).is_ok());
        // The old instance does not know the new key yet.
        assert_eq!(
            before.verify_access(&new_token, NOW),
            Err(VerifyError::UnknownKid)
        );

        // Step 3: the old key leaves; its tokens with it.
        let after = authority(Keyring::new(vec![new.clone()]).unwrap());
        assert_eq!(
            after.verify_access(&old_token, NOW),
            Err(VerifyError::UnknownKid)
        );
        assert!(after.verify_access(&new_token, NOW).is_ok());
    }

    #[test]
    fn keyrings_refuse_empty_duplicate_and_unknown_keys() {
        let key = SigningKey::generate().unwrap();
        assert_eq!(Keyring::new(vec![]).unwrap_err(), KeyError::Empty);
        assert_eq!(
            Keyring::new(vec![key.clone(), key.clone()]).unwrap_err(),
            KeyError::DuplicateKid(key.kid().to_owned())
        );
        assert_eq!(
            Keyring::new(vec![key.clone()])
                .unwrap()
                .with_active("nope")
                .unwrap_err(),
            KeyError::UnknownKid("nope".to_owned())
        );
        let ring = Keyring::new(vec![key.clone()]).unwrap();
        assert!(ring.get(key.kid()).is_some());
        assert!(ring.get("nope").is_none());
    }

    #[test]
    fn jwks_has_the_rfc8037_shape_and_its_keys_verify_tokens() {
        let extra = SigningKey::generate().unwrap();
        let ring = Keyring::new(vec![extra, rfc8037_key()]).unwrap();
        let auth = authority(ring);
        let json = serde_json::to_value(auth.keyring().jwks()).unwrap();
        assert_eq!(
            json["keys"][0],
            serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": RFC8037_X,
                "kid": RFC8037_THUMBPRINT,
                "alg": "EdDSA",
                "use": "sig",
            })
        );
        assert_eq!(json["keys"].as_array().unwrap().len(), 2);
        assert_eq!(
            serde_json::from_value::<Jwks>(json.clone()).unwrap(),
            auth.keyring().jwks()
        );

        // A third party reads the JWKS with jsonwebtoken's own types and
        // checks a token with nothing but the published key.
        let token = auth.issue_access("usr_1", &recruiter(), NOW).unwrap().token;
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(json).unwrap();
        let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
        let jwk = set.find(&kid).unwrap();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_exp = false;
        for key in [
            DecodingKey::from_jwk(jwk).unwrap(),
            DecodingKey::from_ed_components(RFC8037_X).unwrap(),
        ] {
            let data =
                jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).unwrap();
            assert_eq!(data.claims["sub"], "usr_1");
        }
        // The other key in the set does not.
        let other = &set.keys[1];
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &DecodingKey::from_jwk(other).unwrap(),
                &validation
            )
            .is_err()
        );
    }
}
