//! Small enums shared by resumes, jobs, matching and salary prediction.
//!
//! Each one has a stable snake_case spelling (`as_str` / `FromStr`) that the
//! server uses on the wire and in storage; the spellings must never change.

use std::fmt;

/// Error of the `FromStr` impls below: names the type and the rejected text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant {
    /// Which enum was being parsed, e.g. `"seniority"`.
    pub kind: &'static str,
    /// The text that matched no variant.
    pub value: String,
    /// The accepted spellings, for the error message.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}; expected one of: {}",
            self.kind,
            self.value,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownVariant {}

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal { $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The stable snake_case spelling.
            pub fn as_str(&self) -> &'static str {
                match self { $( $name::$variant => $text ),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::profile::UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let trimmed = s.trim();
                $( if trimmed.eq_ignore_ascii_case($text) { return Ok($name::$variant); } )+
                Err($crate::profile::UnknownVariant {
                    kind: $kind,
                    value: s.to_owned(),
                    expected: &[ $( $text ),+ ],
                })
            }
        }
    };
}

pub(crate) use string_enum;

string_enum! {
    /// Career level. Ordered from the most junior to the most senior.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    Seniority, "seniority" {
        /// Intern, trainee or working student.
        Intern => "intern",
        /// Junior: up to about three years.
        Junior => "junior",
        /// Mid-level.
        Mid => "mid",
        /// Senior.
        Senior => "senior",
        /// Lead: tech lead, team lead, engineering manager.
        Lead => "lead",
        /// Principal, staff or distinguished.
        Principal => "principal",
    }
}

impl Seniority {
    /// Position on the ladder, 0 for `Intern`.
    pub fn level(self) -> u8 {
        self as u8
    }

    /// The level usually reached after `years` of professional experience;
    /// used when a resume names no title.
    pub fn from_years(years: f32) -> Seniority {
        match years {
            y if y < 1.0 => Seniority::Intern,
            y if y < 3.0 => Seniority::Junior,
            y if y < 6.0 => Seniority::Mid,
            y if y < 10.0 => Seniority::Senior,
            y if y < 15.0 => Seniority::Lead,
            _ => Seniority::Principal,
        }
    }
}

string_enum! {
    /// Highest completed education. Ordered from lowest to highest.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    EducationLevel, "education level" {
        /// High school (secondary) diploma.
        HighSchool => "high_school",
        /// Associate degree (two-year college).
        Associate => "associate",
        /// Bachelor's degree.
        Bachelor => "bachelor",
        /// Master's degree (including MBA).
        Master => "master",
        /// Doctorate (PhD).
        Doctorate => "doctorate",
    }
}

string_enum! {
    /// Where a job is done.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    RemotePolicy, "remote policy" {
        /// At the job's location.
        Onsite => "onsite",
        /// Partly at the job's location.
        Hybrid => "hybrid",
        /// From anywhere.
        Remote => "remote",
    }
}

string_enum! {
    /// Whether a job posting accepts candidates (only open jobs are ranked).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    JobStatus, "job status" {
        /// Accepting candidates.
        #[default]
        Open => "open",
        /// No longer accepting candidates.
        Closed => "closed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_spelling() {
        for s in Seniority::ALL {
            assert_eq!(s.as_str().parse::<Seniority>().unwrap(), *s);
        }
        for e in EducationLevel::ALL {
            assert_eq!(e.as_str().parse::<EducationLevel>().unwrap(), *e);
        }
        for r in RemotePolicy::ALL {
            assert_eq!(r.to_string().parse::<RemotePolicy>().unwrap(), *r);
        }
    }

    #[test]
    fn orders_by_level() {
        assert!(Seniority::Intern < Seniority::Junior);
        assert!(Seniority::Lead < Seniority::Principal);
        assert!(EducationLevel::HighSchool < EducationLevel::Associate);
        assert!(EducationLevel::Master < EducationLevel::Doctorate);
        assert_eq!(Seniority::Senior.level() - Seniority::Junior.level(), 2);
    }

    #[test]
    fn rejects_unknown_text_with_a_helpful_message() {
        let err = "guru".parse::<Seniority>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("guru") && msg.contains("principal"), "{msg}");
        assert!("High_School".parse::<EducationLevel>().is_ok());
        assert!("".parse::<RemotePolicy>().is_err());
    }

    #[test]
    fn years_map_to_plausible_levels() {
        assert_eq!(Seniority::from_years(0.5), Seniority::Intern);
        assert_eq!(Seniority::from_years(2.0), Seniority::Junior);
        assert_eq!(Seniority::from_years(4.0), Seniority::Mid);
        assert_eq!(Seniority::from_years(7.0), Seniority::Senior);
        assert_eq!(Seniority::from_years(20.0), Seniority::Principal);
    }
}
