//! Wire enums shared by several resources. They mirror the domain enums of
//! `mismatch-core` (which stays free of serde and OpenAPI) and convert
//! through the domain's stable snake_case names.

use mismatch_core::matching::Verdict as DomainVerdict;
use mismatch_core::profile::{
    EducationLevel as DomainEducationLevel, RemotePolicy as DomainRemotePolicy,
    Seniority as DomainSeniority,
};
use mismatch_core::resume::DocumentFormat as DomainDocumentFormat;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident => $domain:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        // `rename_all`, not a per-variant `rename = $text`: utoipa does not see
        // literals passed through macro_rules fragments, so the spec showed the
        // Rust variant names while serde sent the snake_case texts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value { $($domain::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => $domain::$variant),+ }
            }
        }
    };
}

wire_enum!(
    /// Career level, from intern to principal.
    Seniority => DomainSeniority {
        Intern = "intern", Junior = "junior", Mid = "mid", Senior = "senior", Lead = "lead", Principal = "principal",
    }
);

wire_enum!(
    /// Highest completed education.
    EducationLevel => DomainEducationLevel {
        HighSchool = "high_school", Associate = "associate", Bachelor = "bachelor", Master = "master", Doctorate = "doctorate",
    }
);

wire_enum!(
    /// Where the work happens.
    RemotePolicy => DomainRemotePolicy {
        Onsite = "onsite", Hybrid = "hybrid", Remote = "remote",
    }
);

wire_enum!(
    /// Format of an uploaded resume.
    DocumentFormat => DomainDocumentFormat {
        PlainText = "plain_text", Pdf = "pdf", Docx = "docx",
    }
);

wire_enum!(
    /// How well a candidate fits a job: strong (>= 85), good (>= 70),
    /// possible (>= 50) or weak.
    Verdict => DomainVerdict {
        Strong = "strong", Good = "good", Possible = "possible", Weak = "weak",
    }
);

/// Whether a job accepts candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    #[default]
    Open,
    Closed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Open => "open",
            JobStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(JobStatus::Open),
            "closed" => Some(JobStatus::Closed),
            _ => None,
        }
    }
}

/// Rounds a score or amount for presentation (f32 noise such as
/// 72.30000305 is not information).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde, `as_str` and the OpenAPI document must agree on every value.
    fn assert_consistent<T: Serialize + utoipa::PartialSchema + Copy>(
        all: &[T],
        as_str: fn(T) -> &'static str,
    ) {
        let schema = serde_json::to_value(T::schema()).unwrap();
        let documented: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let texts: Vec<&str> = all.iter().map(|v| as_str(*v)).collect();
        assert_eq!(documented, texts);
        for v in all {
            assert_eq!(serde_json::to_value(v).unwrap(), as_str(*v));
        }
    }

    #[test]
    fn serde_as_str_and_spec_agree() {
        assert_consistent(Seniority::ALL, Seniority::as_str);
        assert_consistent(EducationLevel::ALL, EducationLevel::as_str);
        assert_consistent(RemotePolicy::ALL, RemotePolicy::as_str);
        assert_consistent(DocumentFormat::ALL, DocumentFormat::as_str);
        assert_consistent(Verdict::ALL, Verdict::as_str);
        assert_consistent(&[JobStatus::Open, JobStatus::Closed], JobStatus::as_str);
        assert_consistent(
            crate::auth::Scope::ALL.as_slice(),
            crate::auth::Scope::as_str,
        );
        assert_consistent(
            &[
                crate::auth::Role::Admin,
                crate::auth::Role::Recruiter,
                crate::auth::Role::Viewer,
            ],
            crate::auth::Role::as_str,
        );
    }

    #[test]
    fn wire_enums_round_trip_through_the_domain() {
        for s in [Seniority::Intern, Seniority::Mid, Seniority::Principal] {
            let d: DomainSeniority = s.into();
            assert_eq!(Seniority::from(d), s);
        }
        for e in [EducationLevel::HighSchool, EducationLevel::Doctorate] {
            let d: DomainEducationLevel = e.into();
            assert_eq!(EducationLevel::from(d), e);
        }
        for r in [
            RemotePolicy::Onsite,
            RemotePolicy::Hybrid,
            RemotePolicy::Remote,
        ] {
            let d: DomainRemotePolicy = r.into();
            assert_eq!(RemotePolicy::from(d), r);
        }
        assert_eq!(
            serde_json::to_string(&EducationLevel::HighSchool).unwrap(),
            "\"high_school\""
        );
        assert_eq!(
            Verdict::from(mismatch_core::matching::Verdict::Good),
            Verdict::Good
        );
    }
}
