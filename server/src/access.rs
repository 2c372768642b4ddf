//! Who may call what: the access rule of every operation, in one table.
//!
//! Each handler enforces its rule through its extractor
//! (`Authorized<scope::…>`); this table states the same rules as data, and
//! everything that describes access is derived from it:
//! - the OpenAPI document: each secured operation's security requirement
//!   names its scope ([`crate::openapi`] fails when an operation has no rule
//!   here, so a new operation cannot ship without one);
//! - the role × operation matrix of `docs/api.md` ([`matrix_markdown`],
//!   printed by `mismatch-server access-matrix`; a test keeps the two equal);
//! - the access test (`server/tests/api/access.rs`), which calls every
//!   operation of the document as each role, with narrowed, expired and
//!   revoked keys and without credentials, and fails when a handler's
//!   extractor disagrees with this table.

use mismatch_core::security::{Role, Scope};

/// What an operation requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No credentials (health probes).
    Public,
    /// Any authenticated principal (what a user does to itself).
    Authenticated,
    /// An authenticated principal holding this scope.
    Scope(Scope),
}

/// The rule of every operation, by `operationId`, in the order of the API
/// guide.
pub const RULES: &[(&str, Rule)] = &[
    ("getLiveness", Rule::Public),
    ("getReadiness", Rule::Public),
    ("getJwks", Rule::Public),
    ("createSession", Rule::Public),
    ("verifySessionSecondFactor", Rule::Public),
    ("refreshSession", Rule::Public),
    ("endSession", Rule::Public),
    ("listUsers", Rule::Scope(Scope::UsersManage)),
    ("createUser", Rule::Scope(Scope::UsersManage)),
    ("getUser", Rule::Scope(Scope::UsersManage)),
    ("updateUser", Rule::Scope(Scope::UsersManage)),
    ("resetUserPassword", Rule::Scope(Scope::UsersManage)),
    ("getCurrentUser", Rule::Authenticated),
    ("changePassword", Rule::Authenticated),
    ("enrollTwoFactor", Rule::Authenticated),
    ("confirmTwoFactor", Rule::Authenticated),
    ("regenerateBackupCodes", Rule::Authenticated),
    ("disableTwoFactor", Rule::Authenticated),
    ("listApiKeys", Rule::Scope(Scope::ApiKeysManage)),
    ("createApiKey", Rule::Scope(Scope::ApiKeysManage)),
    ("revokeApiKey", Rule::Scope(Scope::ApiKeysManage)),
    ("rotateApiKey", Rule::Scope(Scope::ApiKeysManage)),
    ("listCandidates", Rule::Scope(Scope::CandidatesRead)),
    ("createCandidate", Rule::Scope(Scope::CandidatesWrite)),
    ("uploadCandidate", Rule::Scope(Scope::CandidatesWrite)),
    ("getCandidate", Rule::Scope(Scope::CandidatesRead)),
    ("deleteCandidate", Rule::Scope(Scope::CandidatesWrite)),
    ("exportCandidate", Rule::Scope(Scope::CandidatesExport)),
    ("eraseCandidate", Rule::Scope(Scope::CandidatesWrite)),
    ("rankJobsForCandidate", Rule::Scope(Scope::MatchesRead)),
    (
        "createInterviewQuestions",
        Rule::Scope(Scope::InterviewsRead),
    ),
    ("listJobs", Rule::Scope(Scope::JobsRead)),
    ("createJob", Rule::Scope(Scope::JobsWrite)),
    ("getJob", Rule::Scope(Scope::JobsRead)),
    ("deleteJob", Rule::Scope(Scope::JobsWrite)),
    ("updateJob", Rule::Scope(Scope::JobsWrite)),
    ("getJobAnalytics", Rule::Scope(Scope::MatchesRead)),
    ("rankCandidatesForJob", Rule::Scope(Scope::MatchesRead)),
    ("createMatch", Rule::Scope(Scope::MatchesRead)),
    ("listSalaryModels", Rule::Scope(Scope::SalaryRead)),
    ("createSalaryModel", Rule::Scope(Scope::SalaryModelsWrite)),
    ("predictSalary", Rule::Scope(Scope::SalaryRead)),
    (
        "startEncryptionRotation",
        Rule::Scope(Scope::EncryptionManage),
    ),
    (
        "getEncryptionRotation",
        Rule::Scope(Scope::EncryptionManage),
    ),
    ("listAuditEvents", Rule::Scope(Scope::AuditRead)),
];

/// The rule of `operation_id`, if it has one.
pub fn rule(operation_id: &str) -> Option<Rule> {
    RULES
        .iter()
        .find(|(id, _)| *id == operation_id)
        .map(|(_, rule)| *rule)
}

/// Whether a full-scope key of `role` may call an operation under `rule`.
pub fn role_may(role: Role, rule: Rule) -> bool {
    match rule {
        Rule::Public | Rule::Authenticated => true,
        Rule::Scope(scope) => role.scopes().contains(&scope),
    }
}

/// First line of the generated block in `docs/api.md`.
pub const MATRIX_BEGIN: &str =
    "<!-- BEGIN ACCESS MATRIX (mismatch-server access-matrix writes this block) -->";
/// Last line of the generated block in `docs/api.md`.
pub const MATRIX_END: &str = "<!-- END ACCESS MATRIX -->";

/// The role × operation matrix, as the Markdown block of `docs/api.md`
/// (markers included). `operations` are `(operationId, method, path)` in
/// document order.
pub fn matrix_markdown(operations: &[(String, String, String)]) -> String {
    let roles = Role::ALL;
    let mut out = String::new();
    out.push_str(MATRIX_BEGIN);
    out.push_str("\n| operation | method and path | scope |");
    for role in roles {
        out.push_str(&format!(" {} |", role.as_str()));
    }
    out.push_str("\n|---|---|---|");
    for _ in roles {
        out.push_str(":-:|");
    }
    for (id, method, path) in operations {
        let rule = rule(id).unwrap_or_else(|| panic!("operation {id} has no access rule"));
        let scope = match rule {
            Rule::Public => "none (public)".to_owned(),
            Rule::Authenticated => "any signed-in caller".to_owned(),
            Rule::Scope(scope) => format!("`{}`", scope.as_str()),
        };
        out.push_str(&format!("\n| `{id}` | `{method} {path}` | {scope} |"));
        for role in roles {
            out.push_str(if role_may(*role, rule) {
                " ✓ |"
            } else {
                " — |"
            });
        }
    }
    out.push('\n');
    out.push_str(MATRIX_END);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_names_a_distinct_operation() {
        let mut ids: Vec<_> = RULES.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "an operation has two rules");
    }

    #[test]
    fn roles_follow_their_scopes() {
        let write = Rule::Scope(Scope::JobsWrite);
        assert!(role_may(Role::Admin, write));
        assert!(role_may(Role::Recruiter, write));
        assert!(!role_may(Role::Viewer, write));
        assert!(role_may(Role::Viewer, Rule::Public));
    }

    #[test]
    fn the_matrix_has_a_row_per_operation_and_a_column_per_role() {
        let ops = vec![
            (
                "getLiveness".to_owned(),
                "GET".to_owned(),
                "/health/live".to_owned(),
            ),
            (
                "createJob".to_owned(),
                "POST".to_owned(),
                "/v1/jobs".to_owned(),
            ),
        ];
        let text = matrix_markdown(&ops);
        assert!(text.starts_with(MATRIX_BEGIN) && text.trim_end().ends_with(MATRIX_END));
        assert!(
            text.contains("| `createJob` | `POST /v1/jobs` | `jobs:write` | ✓ | ✓ | — |"),
            "{text}"
        );
        assert!(
            text.contains("| `getLiveness` | `GET /health/live` | none (public) | ✓ | ✓ | ✓ |"),
            "{text}"
        );
    }
}
