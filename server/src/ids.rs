//! Prefixed resource ids: one newtype per resource, from one macro.
//!
//! An id is its prefix, `_` and a ULID (26 Crockford base32 characters).
//! ULIDs from the process-wide generator increase monotonically, so ids sort
//! in creation order; the list cursors rely on it. Parsing checks the shape
//! only, so a malformed id is refused before any lookup, and a `CandidateId`
//! can never be passed where a `JobId` is expected.

use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One generator for the whole process, so every id it hands out sorts after
/// the previous one whatever its prefix.
static IDS: Mutex<ulid::Generator> = Mutex::new(ulid::Generator::new());

/// A new prefixed id such as `cand_01JD…`.
pub fn new_id(prefix: &str) -> String {
    new_id_with(&IDS, prefix)
}

fn new_id_with(generator: &Mutex<ulid::Generator>, prefix: &str) -> String {
    let mut g = generator
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let ulid = g
        .generate()
        .unwrap_or_else(|overflow| overflow.commit_overflow_increment());
    format!("{prefix}_{ulid}")
}

/// Whether `id` is `prefix`, `_` and 26 alphanumeric characters.
pub fn has_shape(id: &str, prefix: &str) -> bool {
    id.len() == prefix.len() + 1 + 26
        && id.starts_with(prefix)
        && id.as_bytes()[prefix.len()] == b'_'
        && id[prefix.len() + 1..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// A string that is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what} id ({prefix}_…)")]
pub struct InvalidId {
    pub what: &'static str,
    pub prefix: &'static str,
    pub value: String,
}

macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            /// What the id names, for messages (`candidate`, `job`, …).
            pub const WHAT: &'static str = $what;

            /// A new, unique id that sorts after every earlier one.
            pub fn generate() -> Self {
                Self(new_id($prefix))
            }

            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                if has_shape(value, $prefix) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(InvalidId { what: $what, prefix: $prefix, value: value.to_owned() })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = String::deserialize(d)?;
                Self::parse(&value).map_err(serde::de::Error::custom)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

prefixed_id!(
    /// `usr_…`
    UserId, "usr", "user"
);
prefixed_id!(
    /// `key_…`
    ApiKeyId, "key", "API key"
);
prefixed_id!(
    /// `cand_…`
    CandidateId, "cand", "candidate"
);
prefixed_id!(
    /// `job_…`
    JobId, "job", "job"
);
prefixed_id!(
    /// `sm_…`: a customer salary model (all its versions).
    SalaryModelId, "sm", "salary model"
);
prefixed_id!(
    /// `smv_…`: one stored version of a salary model (the list cursor).
    SalaryModelVersionKey, "smv", "salary model version"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_increasing_and_checked() {
        let g = Mutex::new(ulid::Generator::new());
        let a = new_id_with(&g, "cand");
        let b = new_id_with(&g, "cand");
        assert!(a.starts_with("cand_") && a.len() == 5 + 26);
        assert!(a < b);
        assert!(CandidateId::parse(&a).is_ok());
        assert!(JobId::parse(&a).is_err());
        assert!(CandidateId::parse("cand_123").is_err());
        assert!(CandidateId::parse("cand_01JD000000000000000000000!").is_err());
        let err = CandidateId::parse("x").unwrap_err();
        assert_eq!(err.to_string(), "\"x\" is not a candidate id (cand_…)");
        let id: CandidateId = serde_json::from_str(&format!("\"{a}\"")).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{a}\""));
        assert!(serde_json::from_str::<JobId>(&format!("\"{a}\"")).is_err());
    }
}
