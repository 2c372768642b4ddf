//! The `totp` action of tests/scenario/README.md: the code an authenticator
//! app shows for a base32 secret (RFC 6238: HMAC-SHA-1 of the number of
//! 30-second steps since the Unix epoch, dynamic truncation).

use data_encoding::{Encoding, Specification};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha1::Sha1;

use super::matcher::{ScenarioError, resolve};

/// The length of a TOTP step, in seconds.
const STEP_SECONDS: i64 = 30;

/// RFC 4648 base32 without padding, lenient about unused trailing bits (as
/// the Python and JavaScript runners are).
fn base32() -> Encoding {
    let mut spec = Specification::new();
    spec.symbols.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    spec.check_trailing_bits = false;
    spec.encoding().expect("a valid base32 specification")
}

fn key(secret: &Value) -> Result<Vec<u8>, ScenarioError> {
    let invalid = || {
        ScenarioError(format!(
            "totp: the secret must be base32 (RFC 4648, either case, `=` padding optional), not {secret}"
        ))
    };
    let text = secret.as_str().ok_or_else(invalid)?.to_ascii_uppercase();
    let unpadded = text.trim_end_matches('=');
    if unpadded.is_empty() {
        return Err(invalid());
    }
    base32().decode(unpadded.as_bytes()).map_err(|_| invalid())
}

/// The code of `secret` when the clock reads `now` (Unix seconds) moved by
/// `offset_steps` steps, `digits` long with its leading zeros.
pub fn code(
    secret: &Value,
    now: i64,
    offset_steps: &Value,
    digits: &Value,
) -> Result<String, ScenarioError> {
    let key = key(secret)?;
    let offset = offset_steps.as_i64().ok_or_else(|| {
        ScenarioError(format!(
            "totp: offset_steps must be an integer, not {offset_steps}"
        ))
    })?;
    let digits = digits
        .as_u64()
        .filter(|d| (6..=8).contains(d))
        .and_then(|d| u32::try_from(d).ok())
        .ok_or_else(|| ScenarioError(format!("totp: digits is 6, 7 or 8, not {digits}")))?;
    let counter = u64::try_from(now.div_euclid(STEP_SECONDS) + offset).map_err(|_| {
        ScenarioError(format!(
            "totp: no step before the Unix epoch ({now} s, {offset} steps)"
        ))
    })?;
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let start = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[start],
        hash[start + 1],
        hash[start + 2],
        hash[start + 3],
    ]) & 0x7fff_ffff;
    Ok(format!(
        "{:0width$}",
        binary % 10u32.pow(digits),
        width = digits as usize
    ))
}

/// What a `totp` step gives when the clock reads `now`, its references
/// resolved against `saved`.
pub fn step_code(
    fields: &Map<String, Value>,
    saved: &Map<String, Value>,
    now: i64,
) -> Result<String, ScenarioError> {
    let input = |key: &str, default: Value| {
        fields
            .get(key)
            .map_or(Ok(default), |value| resolve(value, saved))
    };
    code(
        &input("totp", Value::Null)?,
        now,
        &input("offset_steps", Value::from(0))?,
        &input("digits", Value::from(6))?,
    )
}
