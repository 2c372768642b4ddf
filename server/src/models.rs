//! Wire enums shared by several resources. They mirror the domain enums of
//! `mismatch-core` (which stays free of serde and OpenAPI) and convert
//! through the domain's stable snake_case names.

use mismatch_core::matching::Verdict as DomainVerdict;
use mismatch_core::profile::{
    EducationLevel as DomainEducationLevel, JobStatus as DomainJobStatus,
    RemotePolicy as DomainRemotePolicy, Seniority as DomainSeniority,
};
use mismatch_core::resume::DocumentFormat as DomainDocumentFormat;
use mismatch_core::security::{Role as DomainRole, Scope as DomainScope};
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

wire_enum!(
    /// Whether a job accepts candidates.
    JobStatus => DomainJobStatus {
        Open = "open", Closed = "closed",
    }
);

wire_enum!(
    /// What a user (and a key acting for it) may do; see the API guide.
    Role => DomainRole {
        Admin = "admin", Recruiter = "recruiter", Viewer = "viewer",
    }
);

/// A permission that can be granted to a key.
// Written out rather than through `wire_enum!`: the spellings hold a colon,
// which `rename_all` cannot produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    #[serde(rename = "candidates:read")]
    CandidatesRead,
    #[serde(rename = "candidates:write")]
    CandidatesWrite,
    #[serde(rename = "jobs:read")]
    JobsRead,
    #[serde(rename = "jobs:write")]
    JobsWrite,
    #[serde(rename = "matches:read")]
    MatchesRead,
    #[serde(rename = "salary:read")]
    SalaryRead,
    #[serde(rename = "salary_models:write")]
    SalaryModelsWrite,
    #[serde(rename = "interviews:read")]
    InterviewsRead,
    #[serde(rename = "api_keys:manage")]
    ApiKeysManage,
    #[serde(rename = "users:manage")]
    UsersManage,
    #[serde(rename = "candidates:export")]
    CandidatesExport,
    #[serde(rename = "encryption:manage")]
    EncryptionManage,
    #[serde(rename = "audit:read")]
    AuditRead,
}

macro_rules! scope_pairs {
    ($($v:ident),+) => {
        impl From<DomainScope> for Scope {
            fn from(s: DomainScope) -> Self {
                match s { $(DomainScope::$v => Scope::$v),+ }
            }
        }
        impl From<Scope> for DomainScope {
            fn from(s: Scope) -> Self {
                match s { $(Scope::$v => DomainScope::$v),+ }
            }
        }
    };
}

scope_pairs!(
    CandidatesRead,
    CandidatesWrite,
    JobsRead,
    JobsWrite,
    MatchesRead,
    SalaryRead,
    SalaryModelsWrite,
    InterviewsRead,
    ApiKeysManage,
    UsersManage,
    CandidatesExport,
    EncryptionManage,
    AuditRead
);

impl Scope {
    pub fn as_str(self) -> &'static str {
        DomainScope::from(self).as_str()
    }
}

pub use crate::services::round2;

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
        assert_consistent(JobStatus::ALL, JobStatus::as_str);
        assert_consistent(Role::ALL, Role::as_str);
        let scopes: Vec<Scope> = DomainScope::ALL.iter().map(|s| Scope::from(*s)).collect();
        assert_consistent(&scopes, Scope::as_str);
        assert_consistent(
            &crate::error::ErrorCode::ALL,
            crate::error::ErrorCode::as_str,
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
