//! Password hashing (argon2id) and the password policy.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so
//! each stored hash carries its own parameters: [`verify`] uses the stored
//! ones, and [`needs_rehash`] tells the login path, which holds the plain
//! password at that moment, to replace a hash made with older parameters.
//!
//! The policy ([`check_policy`]) is separate from hashing on purpose: it
//! applies when a password is chosen (sign-up, change, reset). [`hash`] and
//! [`verify`] only enforce the length bound, so a stricter policy later never
//! locks anyone out, nor stops a rehash on login.
//!
//! Passwords are hashed as the UTF-8 bytes they arrive in, without Unicode
//! normalisation: clients must send what the user typed.

use argon2::password_hash::phc::PasswordHash;
use argon2::{
    ARGON2ID_IDENT, Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version,
};

/// Memory cost in KiB: 19 MiB, the first argon2id option of the OWASP
/// Password Storage Cheat Sheet (m = 19 MiB, t = 2, p = 1). It costs about
/// as much as its alternatives (46 MiB, t = 1; …; 7 MiB, t = 5) and keeps a
/// login's memory small on a server handling several at once.
pub const M_COST_KIB: u32 = 19 * 1024;
/// Iterations over that memory (OWASP: 2).
pub const T_COST: u32 = 2;
/// Lanes (OWASP: 1); one login is one thread.
pub const P_COST: u32 = 1;
/// Length of the stored hash output in bytes.
const OUTPUT_LEN: usize = 32;
/// Salt length in bytes: the PHC string format's recommendation, and what
/// OWASP asks for (unique per password, at least 16 bytes).
const SALT_LEN: usize = 16;

/// At least 12 characters, counted as Unicode scalar values (`char`s), so
/// that "pässwörd" counts 8, not 10. NIST SP 800-63B asks for at least 8
/// (15 when the password is the only factor); 12 is this project's choice
/// for accounts that may also turn on TOTP.
pub const MIN_CHARS: usize = 12;
/// At most 256 bytes of UTF-8. Argon2 first runs BLAKE2b over the whole
/// password, so an unbounded password is unbounded work per login attempt.
/// 256 bytes still allow 64 characters of any script (at most 4 bytes each),
/// the maximum NIST SP 800-63B says a verifier should permit at least.
pub const MAX_BYTES: usize = 256;

/// Largest parameters [`verify`] accepts from a stored hash: far above
/// today's, far below what would let one tampered or corrupt row exhaust the
/// server's memory or time (argon2 allocates `m` KiB per verification).
const MAX_STORED_M_COST_KIB: u32 = 256 * 1024;
const MAX_STORED_T_COST: u32 = 16;
const MAX_STORED_P_COST: u32 = 8;

/// A hash of a password nobody has, with today's parameters, for
/// [`verify_nothing`]. Computed with Python argon2-cffi 25.1.0 (salt
/// `verify-nothing!!`); its parameters are checked against today's by a test.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$dmVyaWZ5LW5vdGhpbmchIQ$4jM6dM+I+OOXs62FW3pnQ2vkdDyL1j1eJ5fC6S6g55I";

/// Why a chosen password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("the password must have at least {MIN_CHARS} characters")]
    TooShort,
    /// More than [`MAX_BYTES`] bytes.
    #[error("the password must not be longer than {MAX_BYTES} bytes")]
    TooLong,
    /// Only whitespace: easy to guess, and easy to get wrong by accident.
    #[error("the password must not be only whitespace")]
    OnlyWhitespace,
}

/// Why a password could not be hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// More than [`MAX_BYTES`] bytes.
    #[error("the password must not be longer than {MAX_BYTES} bytes")]
    TooLong,
    /// The operating system gave no random bytes for the salt.
    #[error("no secure random numbers available")]
    Random,
    /// The argon2 implementation refused its input (not expected).
    #[error("the password could not be hashed")]
    Hashing,
}

/// Whether `password` may be chosen: [`MIN_CHARS`] characters or more, at
/// most [`MAX_BYTES`] bytes, not only whitespace. Length is checked first,
/// so a short blank password is `TooShort`.
pub fn check_policy(password: &str) -> Result<(), PasswordPolicyError> {
    if password.len() > MAX_BYTES {
        return Err(PasswordPolicyError::TooLong);
    }
    if password.chars().count() < MIN_CHARS {
        return Err(PasswordPolicyError::TooShort);
    }
    if password.chars().all(char::is_whitespace) {
        return Err(PasswordPolicyError::OnlyWhitespace);
    }
    Ok(())
}

fn todays_params() -> Result<Params, PasswordError> {
    Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN)).map_err(|_| PasswordError::Hashing)
}

/// The PHC string of `password` under argon2id with today's parameters and
/// a fresh random 16-byte salt. Does not apply [`check_policy`]; only the
/// length bound.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.len() > MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|_| PasswordError::Random)?;
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, todays_params()?);
    let phc = hasher
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|_| PasswordError::Hashing)?;
    Ok(phc.to_string())
}

/// Whether `password` matches the stored PHC string. The hash outputs are
/// compared in constant time (the argon2 crate's `Output` equality).
///
/// Anything odd is `false`, never a panic: an unparsable string, another
/// algorithm than argon2id, parameters beyond sane bounds, or a password
/// longer than [`MAX_BYTES`] (refused before any hashing, as for an unknown
/// account, so the refusal says nothing about the account).
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if parsed.algorithm != ARGON2ID_IDENT {
        return false;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_STORED_M_COST_KIB
        || params.t_cost() > MAX_STORED_T_COST
        || params.p_cost() > MAX_STORED_P_COST
    {
        return false;
    }
    // The stored hash's parameters, not the instance's, decide the work.
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Does the work of [`verify`] against a fixed hash of a password nobody
/// has, and returns `false`. Call it when the account does not exist, so
/// that a login for an unknown account takes as long as one for a known
/// account and response times do not tell which accounts exist.
pub fn verify_nothing(password: &str) -> bool {
    // black_box: the result is always false, but the work must happen.
    let _ = std::hint::black_box(verify(std::hint::black_box(password), DUMMY_PHC));
    false
}

/// Whether `phc` was made with other settings than today's (algorithm,
/// version, m, t, p, output or salt length), so that the login path, which
/// has just verified the password, should store [`hash`] of it instead.
/// An unparsable string also needs a new hash.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm != ARGON2ID_IDENT
        || parsed.version != Some(Version::V0x13.into())
        || params.m_cost() != M_COST_KIB
        || params.t_cost() != T_COST
        || params.p_cost() != P_COST
        || params.output_len() != Some(OUTPUT_LEN)
        || parsed.salt.is_none_or(|salt| salt.len() < SALT_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by an independent implementation, Python argon2-cffi 25.1.0
    /// (argon2-cffi-bindings 26.2.0, the reference C library):
    /// `PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1,
    /// hash_len=32, type=Type.ID).hash("correct horse battery staple",
    /// salt=b"mismatch-kat-16b")`.
    const KAT_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg$8ps1kC4ibWkhbVbPp4K+QiIg9k0vXhp2kp/UT3uL3d0";
    /// Same salt and parameters, for "pässwörd ✓ 密码 😀" (UTF-8 bytes).
    const KAT_UNICODE_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg$/C7pGfbUrzTlLXNlAcuoHsfYiW2vwfxp8/qoov3mY7c";
    /// Same password and salt with weaker parameters (m = 4 MiB, t = 3).
    const KAT_WEAK_PHC: &str = "$argon2id$v=19$m=4096,t=3,p=1$bWlzbWF0Y2gta2F0LTE2Yg$tawBxeqCf6YjqO7IL55PudSovsFh+GF+TIHnyCNULyc";
    /// Same password, salt and parameters, but argon2i.
    const KAT_ARGON2I_PHC: &str = "$argon2i$v=19$m=19456,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg$jIDEtRtlRtSDaEzjoJ6UEjUmkstMAydSjlKqAjVyBFU";

    #[test]
    fn hash_round_trip_with_todays_parameters() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        // 16 salt bytes are 22 characters of unpadded base64, 32 output bytes 43.
        let parts: Vec<&str> = phc.split('$').collect();
        assert_eq!(parts.len(), 6, "{phc}");
        assert_eq!(parts[4].len(), 22);
        assert_eq!(parts[5].len(), 43);
        assert!(verify("correct horse battery staple", &phc));
        assert!(!verify("correct horse battery stapler", &phc));
        assert!(!verify("Correct horse battery staple", &phc));
        assert!(!verify("", &phc));
        assert!(!needs_rehash(&phc));
    }

    #[test]
    fn salts_differ_between_hashes() {
        let a = hash("same password twice").unwrap();
        let b = hash("same password twice").unwrap();
        assert_ne!(a, b);
        assert!(verify("same password twice", &a) && verify("same password twice", &b));
    }

    #[test]
    fn verifies_hashes_made_by_argon2_cffi() {
        assert!(verify("correct horse battery staple", KAT_PHC));
        assert!(!verify("correct horse battery staplE", KAT_PHC));
        assert!(verify("pässwörd ✓ 密码 😀", KAT_UNICODE_PHC));
        assert!(!verify("passwörd ✓ 密码 😀", KAT_UNICODE_PHC));
        // A stored hash's own (older) parameters are used to verify it.
        assert!(verify("correct horse battery staple", KAT_WEAK_PHC));
    }

    #[test]
    fn malformed_or_foreign_hashes_are_false_not_panics() {
        let pw = "correct horse battery staple";
        for phc in [
            "",
            "$",
            "not a hash",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=19456,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg",
            "$argon2id$v=19$m=19456,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg$",
            "$argon2id$v=19$m=19456,t=2,p=1$!!!$8ps1kC4ibWkhbVbPp4K+QiIg9k0vXhp2kp/UT3uL3d0",
            "$argon2id$v=19$m=1,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg$8ps1kC4ibWkhbVbPp4K+QiIg9k0vXhp2kp/UT3uL3d0",
            "$argon2id$v=19$m=19456,t=0,p=1$bWlzbWF0Y2gta2F0LTE2Yg$8ps1kC4ibWkhbVbPp4K+QiIg9k0vXhp2kp/UT3uL3d0",
            "$argon2id$v=99$m=19456,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg$8ps1kC4ibWkhbVbPp4K+QiIg9k0vXhp2kp/UT3uL3d0",
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
            "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m",
            // Beyond the bounds on stored parameters (4 GiB of memory).
            "$argon2id$v=19$m=4194304,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg$8ps1kC4ibWkhbVbPp4K+QiIg9k0vXhp2kp/UT3uL3d0",
            "$argon2id$v=19$m=19456,t=1000,p=1$bWlzbWF0Y2gta2F0LTE2Yg$8ps1kC4ibWkhbVbPp4K+QiIg9k0vXhp2kp/UT3uL3d0",
        ] {
            assert!(!verify(pw, phc), "{phc}");
            assert!(needs_rehash(phc), "{phc}");
        }
        // Only argon2id is accepted, even when the argon2i hash is right.
        assert!(!verify(pw, KAT_ARGON2I_PHC));
        assert!(needs_rehash(KAT_ARGON2I_PHC));
    }

    #[test]
    fn over_long_passwords_are_refused_without_hashing() {
        let long = "a".repeat(MAX_BYTES + 1);
        assert_eq!(hash(&long), Err(PasswordError::TooLong));
        assert!(!verify(&long, KAT_PHC));
        assert!(!verify_nothing(&long));
        // Exactly MAX_BYTES still hashes.
        let max = "é".repeat(MAX_BYTES / 2);
        assert_eq!(max.len(), MAX_BYTES);
        assert!(verify(&max, &hash(&max).unwrap()));
    }

    #[test]
    fn needs_rehash_spots_other_parameters() {
        assert!(!needs_rehash(KAT_PHC));
        assert!(!needs_rehash(KAT_UNICODE_PHC));
        assert!(needs_rehash(KAT_WEAK_PHC));
        assert!(needs_rehash(&KAT_PHC.replace("t=2", "t=3")));
        assert!(needs_rehash(&KAT_PHC.replace("p=1", "p=2")));
        assert!(needs_rehash(&KAT_PHC.replace("m=19456", "m=65536")));
        assert!(needs_rehash(&KAT_PHC.replace("v=19", "v=16")));
        // A 16-byte output instead of 32.
        assert!(needs_rehash(
            "$argon2id$v=19$m=19456,t=2,p=1$bWlzbWF0Y2gta2F0LTE2Yg$8ps1kC4ibWkhbVbPp4K+Qg"
        ));
        // An 8-byte salt.
        assert!(needs_rehash(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$8ps1kC4ibWkhbVbPp4K+QiIg9k0vXhp2kp/UT3uL3d0"
        ));
    }

    #[test]
    fn verify_nothing_uses_a_hash_with_todays_parameters() {
        assert!(!needs_rehash(DUMMY_PHC));
        assert!(!verify_nothing("correct horse battery staple"));
        assert!(verify("no account has this password", DUMMY_PHC));
    }

    #[test]
    fn policy_edges() {
        assert_eq!(check_policy(""), Err(PasswordPolicyError::TooShort));
        assert_eq!(
            check_policy("elevenchars"),
            Err(PasswordPolicyError::TooShort)
        );
        assert_eq!(check_policy("twelve chars"), Ok(()));
        // Characters, not bytes: 11 chars in 22 bytes is short, 12 is enough.
        assert_eq!(
            check_policy(&"ä".repeat(11)),
            Err(PasswordPolicyError::TooShort)
        );
        assert_eq!(check_policy(&"ä".repeat(12)), Ok(()));
        assert_eq!(check_policy(&"😀".repeat(12)), Ok(()));
        // Bytes, not characters, at the top: 64 four-byte characters fit.
        assert_eq!(check_policy(&"😀".repeat(64)), Ok(()));
        assert_eq!(
            check_policy(&"😀".repeat(65)),
            Err(PasswordPolicyError::TooLong)
        );
        assert_eq!(check_policy(&"a".repeat(MAX_BYTES)), Ok(()));
        assert_eq!(
            check_policy(&"a".repeat(MAX_BYTES + 1)),
            Err(PasswordPolicyError::TooLong)
        );
        // Whitespace of any kind, including Unicode spaces.
        assert_eq!(
            check_policy(&" ".repeat(12)),
            Err(PasswordPolicyError::OnlyWhitespace)
        );
        assert_eq!(
            check_policy(" \t\n\u{a0}\u{2003}\u{3000}      "),
            Err(PasswordPolicyError::OnlyWhitespace)
        );
        assert_eq!(check_policy("   "), Err(PasswordPolicyError::TooShort));
        assert_eq!(check_policy("           x"), Ok(()));
        assert!(
            PasswordPolicyError::TooShort
                .to_string()
                .contains("12 characters")
        );
        assert!(
            PasswordPolicyError::TooLong
                .to_string()
                .contains("256 bytes")
        );
    }

    /// One `hash` call's time. Run in release mode:
    /// `cargo test --release -p mismatch-core --lib hash_timing -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing report, not a check"]
    fn hash_timing() {
        let start = std::time::Instant::now();
        let phc = hash("correct horse battery staple").unwrap();
        let hashed = start.elapsed();
        let start = std::time::Instant::now();
        assert!(verify("correct horse battery staple", &phc));
        let verified = start.elapsed();
        let start = std::time::Instant::now();
        assert!(!verify_nothing("correct horse battery staple"));
        let nothing = start.elapsed();
        eprintln!("hash: {hashed:?}, verify: {verified:?}, verify_nothing: {nothing:?}");
    }
}
