//! Resume parsing: plain text, PDF and DOCX in, a [`ParsedResume`] out.
//!
//! Documents are first turned into text (`document` below), then one set of
//! heuristics reads the fields from the text. The heuristics are deliberately
//! conservative: a field they are unsure about stays `None` rather than
//! holding a guess a recruiter would have to correct.

use std::sync::LazyLock;
use std::time::Instant;

use regex::Regex;

use crate::profile::{EducationLevel, Seniority};
use crate::skills::{SkillMention, SkillVocabulary};

mod document;
mod fields;

pub use document::{
    DocumentFormat, MAX_DOCX_ENTRIES, MAX_DOCX_PART_BYTES, MAX_DOCX_PARTS, MAX_DOCX_TOTAL_BYTES,
    MAX_PDF_FORM_DEPTH, MAX_PDF_INDEX_STREAMS, MAX_PDF_PAGES, MAX_PDF_STREAM_BYTES,
    MAX_PDF_TOTAL_BYTES, MAX_XML_DEPTH,
};

/// Longest resume text accepted, in bytes: 1 MiB. A resume is 2–20 KB of
/// text, and a long academic CV stays under 200 KB; past 1 MiB the input is
/// not a resume, and storing, indexing and matching it would cost every later
/// request. Longer text is rejected with [`ParseError::TooLarge`], never cut
/// short, so that what is stored is always the whole document.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// "present" in a date range such as "2019 – present" is read as January of
/// this year, so that parsing is deterministic and does not depend on the
/// clock of the machine.
pub const PRESENT_YEAR: i32 = 2026;

/// Why a document could not be turned into a resume.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The document holds no text (blank text, or a scanned PDF without a text layer).
    #[error("the document contains no text")]
    Empty,
    /// The document is password protected.
    #[error("the document is encrypted")]
    Encrypted,
    /// The document claims a supported format but cannot be read.
    #[error("the document cannot be read: {reason}")]
    Unreadable {
        /// What went wrong, for the user; never contains document content.
        reason: String,
    },
    /// The document is in a format this crate does not read.
    #[error("unsupported document type: {what}")]
    Unsupported {
        /// What the document appears to be.
        what: String,
    },
    /// The document goes past one of the bounds that keep parsing cheap:
    /// its text length, the decompressed size of its parts or streams, their
    /// number, or the nesting depth of its XML (a zip or deflate bomb, say).
    #[error("the document is too large: more than {limit} {what}")]
    TooLarge {
        /// What was counted, e.g. "bytes of text" or "decompressed bytes in
        /// word/document.xml".
        what: String,
        /// The bound that was passed (see the `MAX_*` constants).
        limit: u64,
    },
    /// The caller's deadline ([`ParseOptions::deadline`]) passed before
    /// parsing finished; the work stopped there.
    #[error("parsing did not finish before its deadline")]
    TimedOut,
}

impl ParseError {
    /// Stable machine-readable code used in API errors.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::Empty => "empty_document",
            ParseError::Encrypted => "encrypted_document",
            ParseError::Unreadable { .. } => "unreadable_document",
            ParseError::Unsupported { .. } => "unsupported_media_type",
            ParseError::TooLarge { .. } => "document_too_large",
            ParseError::TimedOut => "parse_timeout",
        }
    }

    fn too_large(what: impl Into<String>, limit: impl TryInto<u64>) -> ParseError {
        ParseError::TooLarge {
            what: what.into(),
            limit: limit.try_into().unwrap_or(u64::MAX),
        }
    }
}

/// How a document is parsed: its deadline and text bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// When set, parsing stops with [`ParseError::TimedOut`] soon after this
    /// instant (the clock is read between steps and every few thousand
    /// matches or XML events), so that a request that has given up does not
    /// leave work running.
    pub deadline: Option<Instant>,
    /// Longest text accepted, in bytes: the text as given to
    /// [`parse_text_with`], or as extracted from a document. Defaults to
    /// [`MAX_TEXT_BYTES`].
    pub max_text_bytes: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            deadline: None,
            max_text_bytes: MAX_TEXT_BYTES,
        }
    }
}

impl ParseOptions {
    /// The default options with a deadline.
    pub fn with_deadline(deadline: Instant) -> ParseOptions {
        ParseOptions {
            deadline: Some(deadline),
            ..ParseOptions::default()
        }
    }

    fn check_deadline(&self) -> Result<(), ParseError> {
        match self.deadline {
            Some(at) if Instant::now() >= at => Err(ParseError::TimedOut),
            _ => Ok(()),
        }
    }

    fn check_text_length(&self, bytes: usize) -> Result<(), ParseError> {
        if bytes > self.max_text_bytes {
            return Err(ParseError::too_large("bytes of text", self.max_text_bytes));
        }
        Ok(())
    }
}

/// What parsing found in a resume.
#[derive(Debug, Clone)]
pub struct ParsedResume {
    /// The resume's text (extracted from the document, line breaks normalised).
    pub text: String,
    /// The candidate's name.
    pub name: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone number, as written.
    pub phone: Option<String>,
    /// Where the candidate lives, e.g. "Berlin, Germany".
    pub location: Option<String>,
    /// Skills by canonical name, with years where stated.
    pub skills: Vec<SkillMention>,
    /// Total professional experience in years.
    pub years_experience: Option<f32>,
    /// Career level from titles, else from years of experience.
    pub seniority: Seniority,
    /// Highest education level mentioned.
    pub education: Option<EducationLevel>,
    /// Human languages the candidate speaks, e.g. "English".
    pub languages: Vec<String>,
    /// Expected yearly salary, in the currency the resume names.
    pub salary_expectation: Option<u32>,
}

/// Reads a resume from plain text, with the default [`ParseOptions`] (no
/// deadline, at most [`MAX_TEXT_BYTES`]).
pub fn parse_text(text: &str) -> Result<ParsedResume, ParseError> {
    parse_text_with(text, &ParseOptions::default())
}

/// Reads a resume from plain text. Every step is linear in the text's
/// length; the deadline is checked between steps and inside the long ones.
pub fn parse_text_with(text: &str, options: &ParseOptions) -> Result<ParsedResume, ParseError> {
    options.check_text_length(text.len())?;
    options.check_deadline()?;
    let text = clean_text(text);
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let lines: Vec<&str> = text.lines().collect();
    let name = fields::name(&lines);
    let email = fields::email(&text);
    let phone = fields::phone(&text);
    let location = fields::location(&lines, name.as_deref());
    options.check_deadline()?;
    let skills = SkillVocabulary::global()
        .extract_with_deadline(&text, options.deadline)
        .map_err(|_| ParseError::TimedOut)?;
    options.check_deadline()?;
    let years_experience = fields::years_of_experience(&lines);
    let seniority = fields::seniority(&text, years_experience);
    options.check_deadline()?;
    let education = fields::education(&text);
    let languages = fields::languages(&lines);
    let salary_expectation = fields::salary_expectation(&text);
    options.check_deadline()?;
    Ok(ParsedResume {
        text,
        name,
        email,
        phone,
        location,
        skills,
        years_experience,
        seniority,
        education,
        languages,
        salary_expectation,
    })
}

/// Reads a resume from a document in a known format (see
/// [`DocumentFormat::detect`]), with the default [`ParseOptions`].
pub fn parse_document(bytes: &[u8], format: DocumentFormat) -> Result<ParsedResume, ParseError> {
    parse_document_with(bytes, format, &ParseOptions::default())
}

/// Reads a resume from a document in a known format. Decompression, XML
/// nesting and the extracted text are bounded (the `MAX_*` constants of
/// this module); a document past a bound is rejected with
/// [`ParseError::TooLarge`] as soon as the bound is reached.
pub fn parse_document_with(
    bytes: &[u8],
    format: DocumentFormat,
    options: &ParseOptions,
) -> Result<ParsedResume, ParseError> {
    let text = document::extract_text(bytes, format, options)?;
    parse_text_with(&text, options)
}

static CONTROL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\x00-\x08\x0B\x0E-\x1F\x7F]").expect("valid regex"));

/// Normalises line endings and drops control characters; keeps everything
/// else as written.
fn clean_text(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace(['\r', '\u{000C}'], "\n");
    let unified = unified.trim_start_matches('\u{feff}');
    let cleaned = CONTROL.replace_all(unified, "");
    let lines: Vec<&str> = cleaned.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE_TXT: &str = include_str!("../../tests/fixtures/resume.txt");

    #[test]
    fn error_codes_are_stable() {
        assert_eq!(ParseError::Empty.code(), "empty_document");
        assert_eq!(ParseError::Encrypted.code(), "encrypted_document");
        let unreadable = ParseError::Unreadable { reason: "x".into() };
        assert_eq!(unreadable.code(), "unreadable_document");
        let unsupported = ParseError::Unsupported { what: "png".into() };
        assert_eq!(unsupported.code(), "unsupported_media_type");
        assert!(unsupported.to_string().contains("png"));
        let too_large = ParseError::too_large("bytes of text", MAX_TEXT_BYTES);
        assert_eq!(too_large.code(), "document_too_large");
        assert_eq!(
            too_large.to_string(),
            "the document is too large: more than 1048576 bytes of text"
        );
        assert_eq!(ParseError::TimedOut.code(), "parse_timeout");
    }

    #[test]
    fn text_over_the_bound_is_rejected_not_cut() {
        let line = "Python and Go, 3 years. ";
        let long = line.repeat(MAX_TEXT_BYTES / line.len() + 1);
        assert_eq!(
            parse_text(&long).unwrap_err(),
            ParseError::too_large("bytes of text", MAX_TEXT_BYTES)
        );
        let roomy = ParseOptions {
            max_text_bytes: 2 * MAX_TEXT_BYTES,
            ..ParseOptions::default()
        };
        assert!(parse_text_with(&long, &roomy).is_ok());
        let fits = &long[..MAX_TEXT_BYTES];
        assert!(parse_text(fits).is_ok());
    }

    #[test]
    fn a_passed_deadline_stops_parsing() {
        let text = format!("{FIXTURE_TXT}\n{}", "Python, Go and Rust. ".repeat(40_000));
        let passed = ParseOptions::with_deadline(Instant::now());
        assert_eq!(
            parse_text_with(&text, &passed).unwrap_err(),
            ParseError::TimedOut
        );
        let far =
            ParseOptions::with_deadline(Instant::now() + std::time::Duration::from_secs(3600));
        let with = parse_text_with(&text, &far).unwrap();
        let without = parse_text(&text).unwrap();
        assert_eq!(with.skills, without.skills);
        assert_eq!(with.name, without.name);
    }

    #[test]
    fn blank_text_is_empty() {
        assert_eq!(parse_text("").unwrap_err(), ParseError::Empty);
        assert_eq!(parse_text(" \n\t\r\n ").unwrap_err(), ParseError::Empty);
        assert_eq!(parse_text("\u{feff}\0\0").unwrap_err(), ParseError::Empty);
    }

    #[test]
    fn reads_the_text_fixture() {
        let r = parse_text(FIXTURE_TXT).unwrap();
        assert_eq!(r.name.as_deref(), Some("Jane Doe"));
        assert_eq!(r.email.as_deref(), Some("jane.doe@example.com"));
        assert_eq!(r.phone.as_deref(), Some("+49 30 1234 5678"));
        assert_eq!(r.location.as_deref(), Some("Berlin, Germany"));
        let skills: Vec<&str> = r.skills.iter().map(|s| s.name.as_str()).collect();
        for expected in ["Python", "PostgreSQL", "Kubernetes", "AWS"] {
            assert!(skills.contains(&expected), "{expected} not in {skills:?}");
        }
        let python = r.skills.iter().find(|s| s.name == "Python").unwrap();
        assert_eq!(python.years, Some(7.0));
        assert_eq!(r.years_experience, Some(7.0));
        assert_eq!(r.seniority, Seniority::Senior);
        assert_eq!(r.education, Some(EducationLevel::Master));
        assert_eq!(r.languages, vec!["English".to_owned(), "German".to_owned()]);
        assert_eq!(r.salary_expectation, Some(95_000));
    }

    #[test]
    fn odd_text_never_panics() {
        let long_line = "Python, ".repeat(5_000);
        let digits = "2019 - 2020 ".repeat(500);
        let samples = [
            "\u{00a0}\u{2003}\u{3000}",
            "👩‍💻 Ada 🚀 Lovelace\n📧 ada@example.com",
            "e\u{301}\u{301}\u{301} Zoë Ünal\nGo, Rust — 5 yrs",
            "مهندس برمجيات\nPython, SQL",
            "@@@@ ++++ #### ----\n(((( ))))",
            "Expected salary: 99999999999999999999k",
            "Jan 9999 - present\n1900-2100\n12/2099 - 01/1900",
            long_line.as_str(),
            digits.as_str(),
            "a\u{0}b\u{1b}[31mc",
        ];
        for text in samples {
            if let Ok(r) = parse_text(text) {
                assert!(
                    r.years_experience
                        .is_none_or(|y| (0.0..=100.0).contains(&y)),
                    "{text:?}"
                );
            }
        }
        let r = parse_text(&long_line).unwrap();
        assert_eq!(r.skills.len(), 1);
    }

    #[test]
    fn keeps_line_structure_but_drops_control_characters() {
        let r = parse_text("Max Mustermann\r\nmax@example.org\r\n\x07Rust, Go\r\n").unwrap();
        assert_eq!(r.text, "Max Mustermann\nmax@example.org\nRust, Go");
        assert_eq!(r.name.as_deref(), Some("Max Mustermann"));
    }
}
