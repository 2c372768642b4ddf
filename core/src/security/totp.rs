//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), the
//! `otpauth://` URI and QR code that carry a secret to an authenticator app,
//! and single-use backup codes.
//!
//! Settings are the ones every authenticator app supports: HMAC-SHA1,
//! 6 digits, 30-second steps, a 20-byte secret (RFC 4226 §4 asks for 160
//! bits). [`verify`] accepts one step of clock drift either way and returns
//! the step it matched; the caller stores that step and passes it back next
//! time, so a code, once accepted, is never accepted again (RFC 6238 §5.2).
//! Guessing is bounded by the caller's rate limit, not here: a 6-digit code
//! has a one-in-a-million chance per guess, three steps are open at a time.
//!
//! HOTP is written out here rather than taken from a TOTP crate (totp-rs)
//! because it is a few lines over the `hmac` and `sha1` crates, checked
//! against the RFCs' test vectors, and the replay rule needs the step that
//! matched, where totp-rs's `check` answers only yes or no.

use hmac::{Hmac, KeyInit, Mac};
use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Secret length in bytes (160 bits, RFC 4226 §4's recommendation and what
/// authenticator apps expect for SHA-1).
pub const SECRET_LEN: usize = 20;
/// Digits in a code the server issues and accepts.
pub const DIGITS: u32 = 6;
/// Length of a time step in seconds.
pub const STEP_SECONDS: u64 = 30;
/// Steps of clock drift accepted either side of the current one.
pub const DRIFT_STEPS: u64 = 1;
/// How many backup codes a user gets at once.
pub const BACKUP_CODE_COUNT: usize = 10;
/// Longest text [`qr_svg`] and [`qr_png`] encode: an `otpauth://` URI is
/// about 150 bytes; the bound keeps the image small (at most a version-18
/// code, under 600 pixels a side) whatever a caller passes.
pub const MAX_QR_INPUT: usize = 512;
/// Pixels per QR module in the PNG: a typical URI gives about 320 pixels a
/// side, easy for a phone camera to read off a screen.
pub const QR_SCALE: u32 = 6;
/// Light modules around the code, the 4 the QR standard requires.
const QR_QUIET_ZONE: u32 = 4;

/// Why a TOTP value could not be made or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// The operating system gave no random bytes.
    #[error("no secure random numbers available")]
    Random,
    /// Not base32, or not 20 bytes once decoded.
    #[error("the secret is not 20 bytes of base32")]
    InvalidSecret,
    /// An empty issuer or account name, or one with a colon (the URI's
    /// label separates them with a colon).
    #[error("issuer and account name must be non-empty and contain no colon")]
    InvalidLabel,
    /// More than [`MAX_QR_INPUT`] bytes to put in a QR code.
    #[error("the QR code content must not be longer than {MAX_QR_INPUT} bytes")]
    QrInputTooLong,
    /// The QR encoder or PNG writer failed (not expected within the bound).
    #[error("the QR code could not be drawn")]
    Qr,
}

/// A TOTP secret. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct Secret([u8; SECRET_LEN]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A new secret from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, TotpError> {
        let mut bytes = [0u8; SECRET_LEN];
        getrandom::fill(&mut bytes).map_err(|_| TotpError::Random)?;
        Ok(Self(bytes))
    }

    /// A secret from stored bytes.
    pub fn from_bytes(bytes: [u8; SECRET_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw bytes, to store (sealed) or to compare.
    pub fn as_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    /// RFC 4648 base32 without padding, as authenticator apps take it
    /// (32 characters for 20 bytes).
    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// Reads what [`Secret::to_base32`] wrote. Lenient in the ways people
    /// copy a secret by hand: lower case, spaces and trailing `=` padding
    /// are accepted.
    pub fn from_base32(text: &str) -> Result<Self, TotpError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = data_encoding::BASE32_NOPAD
            .decode(cleaned.trim_end_matches('=').as_bytes())
            .map_err(|_| TotpError::InvalidSecret)?;
        let bytes: [u8; SECRET_LEN] = bytes.try_into().map_err(|_| TotpError::InvalidSecret)?;
        Ok(Self(bytes))
    }
}

/// The `otpauth://totp/…` URI an authenticator app scans (Google's Key Uri
/// Format): the label `issuer:account` and the `issuer` parameter, both
/// percent-encoded, and the settings spelled out although they are the
/// defaults, since some apps ignore defaults they do not see.
pub fn otpauth_uri(secret: &Secret, issuer: &str, account: &str) -> Result<String, TotpError> {
    for part in [issuer, account] {
        if part.is_empty() || part.contains(':') {
            return Err(TotpError::InvalidLabel);
        }
    }
    let issuer = percent_encode(issuer);
    Ok(format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret.to_base32(),
    ))
}

/// Percent-encodes every byte except RFC 3986's unreserved characters and
/// `@`, which is legal in both the path and the query and which the Key Uri
/// Format's own examples leave as is (`Example:alice@google.com`).
///
/// By hand rather than with the `percent-encoding` crate: one short loop
/// for the one place that needs it.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The HOTP value (RFC 4226 §5.3) for `counter`, `digits` long with
/// leading zeros. `digits` is clamped to 6..=8, the range RFC 4226 allows.
fn hotp(secret: &Secret, counter: u64, digits: u32) -> String {
    let digits = digits.clamp(6, 8);
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(&secret.0).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let hs = mac.finalize().into_bytes();
    // Dynamic truncation: the low 4 bits of the last byte pick 4 bytes.
    let offset = usize::from(hs[hs.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([hs[offset], hs[offset + 1], hs[offset + 2], hs[offset + 3]])
        & 0x7fff_ffff;
    let code = binary % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The TOTP code for `unix_time` (seconds): HOTP of the 30-second step
/// number (RFC 6238 §4, T0 = 0). `digits` is clamped to 6..=8; the server
/// itself uses [`DIGITS`].
pub fn code_at(secret: &Secret, unix_time: u64, digits: u32) -> String {
    hotp(secret, unix_time / STEP_SECONDS, digits)
}

/// Checks a 6-digit `code` typed at `now` (Unix seconds) against the
/// current step and [`DRIFT_STEPS`] either side, comparing in constant
/// time. Returns the step that matched, for the caller to store and pass
/// back as `last_used_step`: a step at or before it is refused, so a code
/// (or an older one) that was accepted once is never accepted again.
///
/// Anything but exactly six ASCII digits is refused before any work;
/// callers strip spaces people type (`123 456`) if they want to allow them.
pub fn verify(secret: &Secret, code: &str, now: u64, last_used_step: Option<u64>) -> Option<u64> {
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / STEP_SECONDS;
    let mut matched = None;
    // Every candidate step is computed and compared, match or not, so the
    // time taken does not say which step (if any) matched.
    for step in current.saturating_sub(DRIFT_STEPS)..=current.saturating_add(DRIFT_STEPS) {
        let expected = hotp(secret, step, DIGITS);
        let same = bool::from(expected.as_bytes().ct_eq(code.as_bytes()));
        let unused = last_used_step.is_none_or(|last| step > last);
        if same && unused && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

/// Crockford's base32 alphabet, lower case: digits and letters without
/// i, l, o and u. When a code is read back, o counts as 0 and i and l as 1
/// (as Crockford specifies), so the look-alike pairs cannot be mistyped,
/// and 32 symbols give exactly 5 bits each.
const BACKUP_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters in a backup code, without the dash: 10 × 5 = 50 random bits.
const BACKUP_CODE_LEN: usize = 10;

/// [`BACKUP_CODE_COUNT`] distinct new backup codes, shown as `xxxxx-xxxxx`.
/// Store only [`backup_code_hash`] of each, and show the codes once.
pub fn backup_codes() -> Result<Vec<String>, TotpError> {
    let mut codes = Vec::with_capacity(BACKUP_CODE_COUNT);
    while codes.len() < BACKUP_CODE_COUNT {
        let mut bytes = [0u8; BACKUP_CODE_LEN];
        getrandom::fill(&mut bytes).map_err(|_| TotpError::Random)?;
        let code = backup_code_from_bytes(&bytes);
        // A repeat (about 1 in 2^45 per set) is drawn again, so that every
        // code in a set is worth one login.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

/// One code from 10 random bytes: the low 5 bits of each pick a symbol
/// (256 is a multiple of 32, so every symbol is equally likely).
fn backup_code_from_bytes(bytes: &[u8; BACKUP_CODE_LEN]) -> String {
    let mut code = String::with_capacity(BACKUP_CODE_LEN + 1);
    for (i, byte) in bytes.iter().enumerate() {
        if i == BACKUP_CODE_LEN / 2 {
            code.push('-');
        }
        code.push(char::from(BACKUP_ALPHABET[usize::from(byte & 0x1f)]));
    }
    code
}

/// A backup code as typed, reduced to the form it was issued in: lower
/// case, without whitespace or dashes, with o read as 0 and i, l as 1.
fn normalise_backup_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect()
}

/// What the database stores for a backup code: hex SHA-256 of the
/// normalised code, behind a fixed prefix so that generic SHA-256 tables do
/// not apply. Codes typed with other case, spaces or dashes hash the same.
///
/// A fast hash is enough here, unlike for passwords: each code holds
/// 50 random bits, so there is no dictionary to try; an attacker holding
/// the table still faces about 2^49 hashes per code, and only for a second
/// factor, useless without the password. Argon2 would instead cost up to
/// ten password hashes (one per stored code) on every backup-code login.
pub fn backup_code_hash(code: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"mismatch backup code v1\0");
    h.update(normalise_backup_code(code).as_bytes());
    hex::encode(h.finalize())
}

/// Whether `code` hashes to `stored_hash`, compared in constant time.
pub fn matches_backup_code(code: &str, stored_hash: &str) -> bool {
    let computed = backup_code_hash(code);
    computed.len() == stored_hash.len()
        && bool::from(computed.as_bytes().ct_eq(stored_hash.as_bytes()))
}

fn qr_code(text: &str) -> Result<QrCode, TotpError> {
    if text.len() > MAX_QR_INPUT {
        return Err(TotpError::QrInputTooLong);
    }
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| TotpError::Qr)
}

/// `text` (an `otpauth://` URI) as an SVG QR code, black on white, with the
/// 4-module quiet zone, [`QR_SCALE`] units a module.
pub fn qr_svg(text: &str) -> Result<String, TotpError> {
    Ok(qr_code(text)?
        .render::<svg::Color<'_>>()
        .module_dimensions(QR_SCALE, QR_SCALE)
        .build())
}

/// `text` (an `otpauth://` URI) as an 8-bit grayscale PNG QR code, black
/// on white, with the 4-module quiet zone and [`QR_SCALE`] pixels a module.
///
/// Drawn here from the module matrix because the `qrcode` crate's own
/// raster output goes through the much larger `image` crate.
pub fn qr_png(text: &str) -> Result<Vec<u8>, TotpError> {
    let code = qr_code(text)?;
    let modules = code.width();
    let colors = code.to_colors();
    let scale = QR_SCALE as usize;
    let quiet = QR_QUIET_ZONE as usize;
    let side = (modules + 2 * quiet) * scale;
    let mut pixels = vec![0xffu8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (x0, y0) = (
            (index % modules + quiet) * scale,
            (index / modules + quiet) * scale,
        );
        for row in pixels.chunks_exact_mut(side).skip(y0).take(scale) {
            row[x0..x0 + scale].fill(0);
        }
    }
    let side = u32::try_from(side).map_err(|_| TotpError::Qr)?;
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|_| TotpError::Qr)?;
    writer
        .write_image_data(&pixels)
        .map_err(|_| TotpError::Qr)?;
    writer.finish().map_err(|_| TotpError::Qr)?;
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret of RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1).
    fn rfc_secret() -> Secret {
        Secret::from_bytes(*b"12345678901234567890")
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let secret = rfc_secret();
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(&secret, time, 8), code, "T = {time}");
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let secret = rfc_secret();
        for (counter, code) in expected.iter().enumerate() {
            let time = counter as u64 * STEP_SECONDS;
            assert_eq!(code_at(&secret, time, DIGITS), *code, "counter {counter}");
            // Any second inside the step gives the same code.
            assert_eq!(code_at(&secret, time + 29, DIGITS), *code);
        }
    }

    #[test]
    fn digits_are_clamped_to_rfc_range() {
        let secret = rfc_secret();
        assert_eq!(code_at(&secret, 59, 0).len(), 6);
        assert_eq!(code_at(&secret, 59, 12), "94287082");
    }

    #[test]
    fn verify_accepts_one_step_of_drift_and_no_more() {
        let secret = rfc_secret();
        let now = 1_700_000_015;
        let step = now / STEP_SECONDS;
        assert_eq!(
            verify(&secret, &code_at(&secret, now, DIGITS), now, None),
            Some(step)
        );
        assert_eq!(
            verify(&secret, &code_at(&secret, now - 30, DIGITS), now, None),
            Some(step - 1)
        );
        assert_eq!(
            verify(&secret, &code_at(&secret, now + 30, DIGITS), now, None),
            Some(step + 1)
        );
        assert_eq!(
            verify(&secret, &code_at(&secret, now - 60, DIGITS), now, None),
            None
        );
        assert_eq!(
            verify(&secret, &code_at(&secret, now + 60, DIGITS), now, None),
            None
        );
        // Another secret's code does not pass.
        let other = Secret::from_bytes([7; SECRET_LEN]);
        assert_eq!(
            verify(&other, &code_at(&secret, now, DIGITS), now, None),
            None
        );
    }

    #[test]
    fn an_accepted_code_is_never_accepted_again() {
        let secret = rfc_secret();
        let now = 1_700_000_015;
        let code = code_at(&secret, now, DIGITS);
        let used = verify(&secret, &code, now, None).unwrap();
        assert_eq!(verify(&secret, &code, now, Some(used)), None);
        assert_eq!(verify(&secret, &code, now + 20, Some(used)), None);
        // Nor is an older code still inside the drift window.
        assert_eq!(
            verify(
                &secret,
                &code_at(&secret, now - 30, DIGITS),
                now,
                Some(used)
            ),
            None
        );
        // The next step's code is fresh.
        assert_eq!(
            verify(
                &secret,
                &code_at(&secret, now + 30, DIGITS),
                now + 30,
                Some(used)
            ),
            Some(used + 1)
        );
        // A code accepted ahead of the clock blocks the current one too.
        let ahead = verify(&secret, &code_at(&secret, now + 30, DIGITS), now, None).unwrap();
        assert_eq!(verify(&secret, &code, now, Some(ahead)), None);
    }

    #[test]
    fn malformed_codes_are_refused() {
        let secret = rfc_secret();
        let now = 1_700_000_015;
        let good = code_at(&secret, now, DIGITS);
        assert_eq!(verify(&secret, &good, now, None), Some(now / STEP_SECONDS));
        for code in [
            String::new(),
            good[..5].to_string(),
            format!("{good}0"),
            format!(" {good}"),
            format!("{good}\n"),
            format!("{} {}", &good[..3], &good[3..]),
            format!("{}a", &good[..5]),
            format!("+{}", &good[..5]),
            format!("-{}", &good[..5]),
            // Full-width digits: six characters, eighteen bytes.
            good.chars()
                .map(|c| char::from_u32(0xff10 + c.to_digit(10).unwrap()).unwrap())
                .collect(),
            code_at(&secret, now, 8),
        ] {
            assert_eq!(verify(&secret, &code, now, None), None, "{code:?}");
        }
    }

    #[test]
    fn verify_at_the_ends_of_time_does_not_overflow() {
        let secret = rfc_secret();
        assert_eq!(
            verify(&secret, &code_at(&secret, 0, DIGITS), 0, None),
            Some(0)
        );
        assert_eq!(
            verify(&secret, &code_at(&secret, 30, DIGITS), 0, None),
            Some(1)
        );
        let end = u64::MAX;
        let code = code_at(&secret, end, DIGITS);
        assert_eq!(verify(&secret, &code, end, None), Some(end / STEP_SECONDS));
        assert_eq!(verify(&secret, &code, end, Some(u64::MAX)), None);
    }

    #[test]
    fn secret_base32_round_trip() {
        let secret = rfc_secret();
        // RFC 4648 base32 of "12345678901234567890".
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let fresh = Secret::generate().unwrap();
        let text = fresh.to_base32();
        assert_eq!(text.len(), 32);
        assert!(!text.contains('='));
        assert_eq!(
            Secret::from_base32(&text).unwrap().as_bytes(),
            fresh.as_bytes()
        );
        assert_ne!(fresh.as_bytes(), Secret::generate().unwrap().as_bytes());
        // As people type it: lower case, grouped, padded.
        let typed = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq====";
        assert_eq!(
            Secret::from_base32(typed).unwrap().as_bytes(),
            secret.as_bytes()
        );
        for bad in [
            "",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ!",
        ] {
            assert_eq!(
                Secret::from_base32(bad).map(|_| ()),
                Err(TotpError::InvalidSecret),
                "{bad}"
            );
        }
    }

    #[test]
    fn secret_debug_hides_the_bytes() {
        let secret = rfc_secret();
        let shown = format!("{secret:?}");
        assert_eq!(shown, "Secret(…)");
        assert!(!shown.contains("GEZD") && !shown.contains("49"));
    }

    #[test]
    fn otpauth_uri_format_and_encoding() {
        let secret = rfc_secret();
        assert_eq!(
            otpauth_uri(&secret, "Mismatch", "ana@example.com").unwrap(),
            "otpauth://totp/Mismatch:ana@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Mismatch&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            otpauth_uri(&secret, "Mismatch Recruiter & Co", "José Ñ+1/2?#%").unwrap(),
            "otpauth://totp/Mismatch%20Recruiter%20%26%20Co:Jos%C3%A9%20%C3%91%2B1%2F2%3F%23%25\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Mismatch%20Recruiter%20%26%20Co\
             &algorithm=SHA1&digits=6&period=30"
        );
        for (issuer, account) in [
            ("", "ana"),
            ("Mismatch", ""),
            ("Mis:match", "ana"),
            ("M", "a:b"),
        ] {
            assert_eq!(
                otpauth_uri(&secret, issuer, account),
                Err(TotpError::InvalidLabel)
            );
        }
    }

    fn is_backup_symbol(c: char) -> bool {
        c.is_ascii() && BACKUP_ALPHABET.contains(&(c as u8))
    }

    #[test]
    fn backup_codes_are_ten_distinct_well_formed_codes() {
        let codes = backup_codes().unwrap();
        assert_eq!(codes.len(), BACKUP_CODE_COUNT);
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            let (left, right) = code.split_at(5);
            assert!(right.starts_with('-'), "{code}");
            assert!(
                left.chars().chain(right[1..].chars()).all(is_backup_symbol),
                "{code}"
            );
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        let next = backup_codes().unwrap();
        assert!(codes.iter().all(|c| !next.contains(c)));
    }

    #[test]
    fn backup_code_symbols_come_from_five_bits_each() {
        let code = backup_code_from_bytes(&[0, 1, 31, 32, 255, 10, 18, 20, 27, 29]);
        assert_eq!(code, "01z0z-ajmvx");
        assert!(BACKUP_ALPHABET.iter().all(|b| !b"ilou".contains(b)));
    }

    #[test]
    fn backup_codes_match_however_they_are_typed() {
        let code = "01z0z-ajmvx";
        let stored = backup_code_hash(code);
        assert_eq!(stored.len(), 64);
        assert!(stored.bytes().all(|b| b.is_ascii_hexdigit()));
        for typed in [
            "01z0z-ajmvx",
            "01Z0Z-AJMVX",
            "01z0zajmvx",
            " 01z0z ajmvx ",
            "01z0z--ajmvx",
            "OIzoz-ajmvx",
            "oLZOZ AJMVX",
        ] {
            assert!(matches_backup_code(typed, &stored), "{typed}");
        }
        for wrong in [
            "01z0z-ajmvy",
            "01z0z-ajmv",
            "01z0z-ajmvxx",
            "",
            "10z0z-ajmvx",
        ] {
            assert!(!matches_backup_code(wrong, &stored), "{wrong}");
        }
        assert!(!matches_backup_code(code, "short"));
        assert!(!matches_backup_code(code, &stored.to_uppercase()));
        // Not the bare SHA-256 of the code.
        assert_ne!(stored, hex::encode(Sha256::digest(b"01z0zajmvx")));
    }

    fn decode_png(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    #[test]
    fn qr_png_draws_the_module_matrix() {
        let uri = otpauth_uri(&rfc_secret(), "Mismatch", "ana@example.com").unwrap();
        let png_bytes = qr_png(&uri).unwrap();
        assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let code = qr_code(&uri).unwrap();
        let modules = code.width();
        let side = (modules + 8) * QR_SCALE as usize;
        let (info, pixels) = decode_png(&png_bytes);
        assert_eq!((info.width as usize, info.height as usize), (side, side));
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        assert_eq!(pixels.len(), side * side);
        let scale = QR_SCALE as usize;
        let pixel = |x: usize, y: usize| pixels[y * side + x];
        // The quiet zone is white all round.
        for i in 0..side {
            for j in 0..4 * scale {
                assert_eq!(pixel(i, j), 0xff);
                assert_eq!(pixel(j, i), 0xff);
                assert_eq!(pixel(i, side - 1 - j), 0xff);
                assert_eq!(pixel(side - 1 - j, i), 0xff);
            }
        }
        // Every pixel of every module has the module's colour.
        let colors = code.to_colors();
        for (index, color) in colors.iter().enumerate() {
            let want = if *color == Color::Dark { 0 } else { 0xff };
            let (mx, my) = (index % modules + 4, index / modules + 4);
            for dy in 0..scale {
                for dx in 0..scale {
                    assert_eq!(pixel(mx * scale + dx, my * scale + dy), want);
                }
            }
        }
        // The top-left finder pattern's corner is dark.
        assert_eq!(pixel(4 * scale, 4 * scale), 0);
    }

    #[test]
    fn qr_svg_is_an_svg_of_the_same_size() {
        let uri = otpauth_uri(&rfc_secret(), "Mismatch", "ana@example.com").unwrap();
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        let side = (qr_code(&uri).unwrap().width() + 8) * QR_SCALE as usize;
        assert!(
            svg.contains(&format!(r#"width="{side}" height="{side}""#)),
            "{svg}"
        );
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn qr_input_is_bounded() {
        let longest = "a".repeat(MAX_QR_INPUT);
        let png_bytes = qr_png(&longest).unwrap();
        let (info, _) = decode_png(&png_bytes);
        assert!(info.width <= 600, "{}", info.width);
        assert!(qr_svg(&longest).is_ok());
        let too_long = "a".repeat(MAX_QR_INPUT + 1);
        assert_eq!(qr_png(&too_long), Err(TotpError::QrInputTooLong));
        assert_eq!(qr_svg(&too_long), Err(TotpError::QrInputTooLong));
    }
}
