//! Who may do what: roles, scopes, and the rules for keys that make keys.
//!
//! A request acts with a [`Grant`]: the role it acts with (the user's role
//! narrowed by the key's), the scopes it holds (the role's, narrowed by the
//! key's) and when the key stops working. Every key-management operation is
//! decided here, so the rules have one home and one set of tests:
//! - a grant may create, rotate or revoke only keys whose role and scopes it
//!   covers ([`Grant::covers`]), whoever owns them;
//! - a key never outlives the key that made it ([`Grant::bound_expiry`]).

use crate::profile::string_enum;

string_enum! {
    /// What a user (and a key acting for it) may do.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    Role, "role" {
        /// Everything, including other people's keys and users.
        Admin => "admin",
        /// Reads and writes candidates, jobs, matches and salary models.
        Recruiter => "recruiter",
        /// Reads candidates, jobs and matches.
        Viewer => "viewer",
    }
}

string_enum! {
    /// A permission that can be granted to a key.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    Scope, "scope" {
        /// Read candidates.
        CandidatesRead => "candidates:read",
        /// Create and delete candidates.
        CandidatesWrite => "candidates:write",
        /// Read job postings.
        JobsRead => "jobs:read",
        /// Create, change and delete job postings.
        JobsWrite => "jobs:write",
        /// Score and rank candidates against jobs.
        MatchesRead => "matches:read",
        /// Predict salaries.
        SalaryRead => "salary:read",
        /// Train salary models: changes what every later prediction says.
        SalaryModelsWrite => "salary_models:write",
        /// Interview questions: recruiters and admins only, as the questions
        /// reveal what the candidate lacks.
        InterviewsRead => "interviews:read",
        /// Create, list, rotate and revoke API keys.
        ApiKeysManage => "api_keys:manage",
        /// Create, change and disable users and reset their passwords:
        /// admins only.
        UsersManage => "users:manage",
        /// Export everything held about a candidate (a data subject's access
        /// request): admins only, as one call bundles the record, the
        /// original document and the candidate's audit trail.
        CandidatesExport => "candidates:export",
        /// Rotate the keys that encrypt data at rest and follow the
        /// rotation: admins only.
        EncryptionManage => "encryption:manage",
        /// Read the audit log: admins only, as it shows who did what,
        /// from where.
        AuditRead => "audit:read",
    }
}

impl Role {
    /// Privilege level, higher is more.
    pub fn level(self) -> u8 {
        match self {
            Role::Viewer => 1,
            Role::Recruiter => 2,
            Role::Admin => 3,
        }
    }

    /// The less privileged of two roles.
    pub fn narrower(self, other: Role) -> Role {
        if self.level() <= other.level() {
            self
        } else {
            other
        }
    }

    /// Every scope this role grants. Every role may manage its own keys;
    /// only admins manage other people's.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Role::Admin => Scope::ALL,
            Role::Recruiter => &[
                Scope::CandidatesRead,
                Scope::CandidatesWrite,
                Scope::JobsRead,
                Scope::JobsWrite,
                Scope::MatchesRead,
                Scope::SalaryRead,
                Scope::SalaryModelsWrite,
                Scope::InterviewsRead,
                Scope::ApiKeysManage,
            ],
            Role::Viewer => &[
                Scope::CandidatesRead,
                Scope::JobsRead,
                Scope::MatchesRead,
                Scope::ApiKeysManage,
            ],
        }
    }
}

/// The effective scopes of a key of `role` that stores `key_scopes` (empty
/// means every scope of the role), in the role's order.
pub fn effective_scopes(role: Role, key_scopes: &[Scope]) -> Vec<Scope> {
    role.scopes()
        .iter()
        .copied()
        .filter(|s| key_scopes.is_empty() || key_scopes.contains(s))
        .collect()
}

/// What a key allows: its role, its effective scopes and its expiry (Unix
/// milliseconds; `None` = never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role it acts with.
    pub role: Role,
    /// The scopes it holds (already narrowed to the role).
    pub scopes: Vec<Scope>,
    /// When it stops working.
    pub expires_at: Option<i64>,
}

/// Why a key operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The target's role is above the actor's.
    #[error("a key with role {actor} cannot act on a key with role {target}")]
    RoleAbove {
        /// The acting key's role.
        actor: Role,
        /// The target key's role.
        target: Role,
    },
    /// The target holds a scope the actor does not.
    #[error("the key lacks {scope}, which the target key holds")]
    ScopeMissing {
        /// The first scope not covered.
        scope: Scope,
    },
    /// Someone else's key, and the actor is not an admin.
    #[error("only the key's owner or an admin may manage it")]
    NotOwner,
}

impl Grant {
    /// The grant of a key with `key_role` and stored `key_scopes`, owned by
    /// a user with `user_role`.
    pub fn of_key(
        user_role: Role,
        key_role: Role,
        key_scopes: &[Scope],
        expires_at: Option<i64>,
    ) -> Grant {
        let role = user_role.narrower(key_role);
        Grant {
            role,
            scopes: effective_scopes(role, key_scopes),
            expires_at,
        }
    }

    /// Whether this grant holds `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Whether this grant covers `target`: a role at most its own and no
    /// scope it lacks. A key may create, rotate or revoke only keys it
    /// covers — otherwise a narrowed key could mint or take over a broader
    /// one.
    pub fn covers(&self, target_role: Role, target_scopes: &[Scope]) -> Result<(), PolicyError> {
        if target_role.level() > self.role.level() {
            return Err(PolicyError::RoleAbove {
                actor: self.role,
                target: target_role,
            });
        }
        if let Some(scope) = target_scopes.iter().find(|s| !self.has(**s)) {
            return Err(PolicyError::ScopeMissing { scope: *scope });
        }
        Ok(())
    }

    /// Whether this grant, acting for `actor_user`, may create, rotate or
    /// revoke a key of `owner` with `target_role` and effective
    /// `target_scopes`.
    pub fn may_manage(
        &self,
        actor_user: &str,
        owner: &str,
        target_role: Role,
        target_scopes: &[Scope],
    ) -> Result<(), PolicyError> {
        if actor_user != owner && self.role != Role::Admin {
            return Err(PolicyError::NotOwner);
        }
        self.covers(target_role, target_scopes)
    }

    /// The expiry of a key made by this grant that asks for `requested`
    /// (Unix ms): never later than this grant's own, so a key cannot outlive
    /// the key that made it.
    pub fn bound_expiry(&self, requested: Option<i64>) -> Option<i64> {
        match (self.expires_at, requested) {
            (Some(own), Some(asked)) => Some(own.min(asked)),
            (Some(own), None) => Some(own),
            (None, asked) => asked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, scopes: &[Scope], expires_at: Option<i64>) -> Grant {
        Grant::of_key(role, role, scopes, expires_at)
    }

    #[test]
    fn roles_and_scopes() {
        assert_eq!(Role::Admin.narrower(Role::Viewer), Role::Viewer);
        assert_eq!(Role::Viewer.narrower(Role::Recruiter), Role::Viewer);
        assert!(!Role::Viewer.scopes().contains(&Scope::JobsWrite));
        assert!(Role::Recruiter.scopes().contains(&Scope::SalaryRead));
        let narrowed = effective_scopes(Role::Viewer, &[Scope::JobsRead, Scope::JobsWrite]);
        assert_eq!(narrowed, vec![Scope::JobsRead]);
        assert_eq!(effective_scopes(Role::Admin, &[]).len(), Scope::ALL.len());
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(*s));
        }
        assert!("jobs:delete".parse::<Scope>().is_err());
        assert!("owner".parse::<Role>().is_err());
    }

    #[test]
    fn a_key_grant_is_the_users_role_narrowed_by_the_key() {
        let g = Grant::of_key(Role::Viewer, Role::Admin, &[], None);
        assert_eq!(g.role, Role::Viewer);
        assert!(!g.has(Scope::JobsWrite));
        let g = Grant::of_key(Role::Admin, Role::Admin, &[Scope::ApiKeysManage], None);
        assert_eq!(g.scopes, vec![Scope::ApiKeysManage]);
    }

    #[test]
    fn narrowed_keys_cannot_manage_broader_ones() {
        let full_admin = grant(Role::Admin, &[], None);
        let admin_scopes = effective_scopes(Role::Admin, &[]);
        // A viewer key of the same user.
        let viewer = Grant::of_key(Role::Admin, Role::Viewer, &[], None);
        assert_eq!(
            viewer.may_manage("usr_a", "usr_a", Role::Admin, &admin_scopes),
            Err(PolicyError::RoleAbove {
                actor: Role::Viewer,
                target: Role::Admin
            })
        );
        // An admin key narrowed to api_keys:manage, same user or another admin.
        let manage_only = grant(Role::Admin, &[Scope::ApiKeysManage], None);
        for owner in ["usr_a", "usr_b"] {
            assert!(matches!(
                manage_only.may_manage("usr_a", owner, Role::Admin, &admin_scopes),
                Err(PolicyError::ScopeMissing { .. })
            ));
        }
        // It may still manage keys no broader than itself.
        assert_eq!(
            manage_only.may_manage("usr_a", "usr_a", Role::Viewer, &[Scope::ApiKeysManage]),
            Ok(())
        );
        assert_eq!(
            full_admin.may_manage("usr_a", "usr_b", Role::Admin, &admin_scopes),
            Ok(())
        );
        // A recruiter cannot touch someone else's key, even a narrower one.
        let recruiter = grant(Role::Recruiter, &[], None);
        assert_eq!(
            recruiter.may_manage("usr_a", "usr_b", Role::Viewer, &[Scope::JobsRead]),
            Err(PolicyError::NotOwner)
        );
    }

    #[test]
    fn a_key_never_outlives_its_maker() {
        let forever = grant(Role::Admin, &[], None);
        assert_eq!(forever.bound_expiry(None), None);
        assert_eq!(forever.bound_expiry(Some(5)), Some(5));
        let mortal = grant(Role::Admin, &[], Some(1_000));
        assert_eq!(mortal.bound_expiry(None), Some(1_000));
        assert_eq!(mortal.bound_expiry(Some(5_000)), Some(1_000));
        assert_eq!(mortal.bound_expiry(Some(500)), Some(500));
    }
}
