//! Heuristics that read single fields out of resume text.

use std::sync::LazyLock;

use regex::Regex;

use super::PRESENT_YEAR;
use crate::profile::{EducationLevel, Seniority};
use crate::skills::SkillVocabulary;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b",
    )
});

pub(super) fn email(text: &str) -> Option<String> {
    EMAIL.find(text).map(|m| m.as_str().to_owned())
}

static PHONE_LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:phone|tel(?:ephone)?|mobile|mob|cell)\b\.?\s*[:.]?\s*(\+?[\d(][\d\s().\-/]{5,}\d)",
    )
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[^\w+])(\+\d{1,3}[\s.\-]?(?:\(\d{1,4}\)[\s.\-]?)?\d[\d\s.\-]{4,}\d|\(\d{2,4}\)[\s.\-]?\d[\d\s.\-]{4,}\d|\d{3}[\s.\-]\d{3}[\s.\-]\d{4})",
    )
});
static YEAR_RANGE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:19|20)\d{2}\s*[-–—/]\s*(?:19|20)\d{2}$"));

pub(super) fn phone(text: &str) -> Option<String> {
    let plausible = |candidate: &str| {
        let candidate = candidate.trim();
        let digits = candidate.chars().filter(char::is_ascii_digit).count();
        (7..=15).contains(&digits) && !YEAR_RANGE.is_match(candidate)
    };
    PHONE_LABELLED
        .captures_iter(text)
        .chain(PHONE.captures_iter(text))
        .map(|c| c[1].trim().to_owned())
        .find(|c| plausible(c))
}

/// Words that mark a line as a heading or a title rather than a person's name.
const NOT_NAME_WORDS: &[&str] = &[
    "resume",
    "résumé",
    "curriculum",
    "vitae",
    "cv",
    "profile",
    "summary",
    "contact",
    "experience",
    "education",
    "skills",
    "engineer",
    "developer",
    "manager",
    "scientist",
    "analyst",
    "designer",
    "consultant",
    "objective",
    "page",
    "street",
    "road",
];

static CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*(?:(?:Ph\.?\s?D|M\.?Sc|B\.?Sc|MBA|M\.?D|CPA|CFA|PMP|P\.?E|M\.?A|B\.?A|M\.?Eng|Dr)\.?\s*,?\s*)+$",
    )
});

static NAME_LABEL: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*(?:full\s+)?name\s*:\s*(.+)$"));

pub(super) fn name(lines: &[&str]) -> Option<String> {
    for line in lines.iter().take(40) {
        if let Some(c) = NAME_LABEL.captures(line) {
            let candidate = c[1].trim();
            if looks_like_name(candidate) {
                return Some(candidate.to_owned());
            }
        }
    }
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .take(6)
        .map(|l| {
            // "Jane Doe | Senior Engineer": the name is the first part.
            let first = l
                .split(['|', '•', '·', '–', '—'])
                .next()
                .unwrap_or(l)
                .trim();
            // "Jane Doe, PhD": credentials after a comma are not part of it.
            match first.split_once(',') {
                Some((name, rest)) if CREDENTIALS.is_match(rest) => name.trim(),
                _ => first,
            }
        })
        .find(|l| looks_like_name(l))
        .map(str::to_owned)
}

fn looks_like_name(candidate: &str) -> bool {
    let words: Vec<&str> = candidate.split_whitespace().collect();
    if !(2..=4).contains(&words.len()) || candidate.len() > 60 {
        return false;
    }
    let lower = candidate.to_lowercase();
    if lower
        .split(|c: char| !c.is_alphabetic())
        .any(|w| NOT_NAME_WORDS.contains(&w))
    {
        return false;
    }
    if is_heading(candidate) {
        return false;
    }
    // "Shared Database Services" is capitalised like a name but names a skill.
    if !SkillVocabulary::global().extract(candidate).is_empty() {
        return false;
    }
    words.iter().all(|w| {
        // Particles such as "van", "de", "von" stay lower case in names.
        let particle = matches!(
            *w,
            "van" | "von" | "de" | "der" | "da" | "di" | "del" | "la" | "le" | "bin" | "al"
        );
        let capitalised = w.chars().next().is_some_and(char::is_uppercase)
            && w.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.'));
        particle || capitalised
    })
}

fn is_heading(line: &str) -> bool {
    let lower = line.trim().trim_end_matches(':').to_lowercase();
    SECTION_HEADINGS.iter().any(|(h, _)| lower == *h)
}

static LOCATION_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^\s*(?:location|address|based in|city|residence|lives in)\s*[:\-–]?\s*(.+?)\s*$")
});
static CITY_REGION: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\p{Lu}[\p{L}.'\- ]{1,40},\s*\p{Lu}[\p{L}.'\- ]{1,40}$"));

pub(super) fn location(lines: &[&str], name: Option<&str>) -> Option<String> {
    for line in lines {
        if let Some(c) = LOCATION_LABEL.captures(line) {
            let value = c[1].trim().trim_end_matches(['.', ';']);
            if !value.is_empty() && value.len() <= 80 {
                return Some(value.to_owned());
            }
        }
    }
    // Contact headers often read "email | phone | City, Country".
    for line in lines.iter().take(12) {
        for part in line.split(['|', '•', '·', ';', '\t']) {
            let part = part.trim();
            if Some(part) == name || part.contains('@') || part.chars().any(|c| c.is_ascii_digit())
            {
                continue;
            }
            if CITY_REGION.is_match(part) && !is_heading(part) {
                return Some(part.to_owned());
            }
        }
    }
    None
}

/// Section headings and the section they open.
const SECTION_HEADINGS: &[(&str, Section)] = &[
    ("experience", Section::Experience),
    ("work experience", Section::Experience),
    ("professional experience", Section::Experience),
    ("employment", Section::Experience),
    ("employment history", Section::Experience),
    ("work history", Section::Experience),
    ("career", Section::Experience),
    ("education", Section::Education),
    ("education and training", Section::Education),
    ("academic background", Section::Education),
    ("qualifications", Section::Education),
    ("certifications", Section::Other),
    ("skills", Section::Other),
    ("technical skills", Section::Other),
    ("languages", Section::Languages),
    ("language skills", Section::Languages),
    ("projects", Section::Other),
    ("summary", Section::Other),
    ("profile", Section::Other),
    ("about me", Section::Other),
    ("interests", Section::Other),
    ("hobbies", Section::Other),
    ("publications", Section::Other),
    ("references", Section::Other),
    ("volunteering", Section::Other),
    ("contact", Section::Other),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Experience,
    Education,
    Languages,
    Other,
}

fn heading_section(line: &str) -> Option<Section> {
    let lower = line
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    SECTION_HEADINGS
        .iter()
        .find(|(h, _)| lower == *h)
        .map(|(_, s)| *s)
}

/// Each line with the section it belongs to (`None` before the first heading).
fn sections<'a>(lines: &[&'a str]) -> Vec<(Option<Section>, &'a str)> {
    let mut current = None;
    lines
        .iter()
        .map(|line| {
            if let Some(s) = heading_section(line) {
                current = Some(s);
            }
            (current, *line)
        })
        .collect()
}

static TOTAL_YEARS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(\d{1,2}(?:\.\d)?)\s*\+?\s*(?:years?|yrs?)(?:\s+of)?\s+(?:(?:professional|industry|industrial|work|working|relevant|hands-on|commercial|total|overall|software|engineering)\s+)*experience\b([^\n]{0,40})",
    )
});
static SKILL_SPECIFIC_TAIL: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*(?:with|using|of)\b"));

static STUDY_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:university|universidad|universität|université|college|school|institute of|academy|polytechnic|bachelor|master|b\.?sc|m\.?sc|ph\.?d|diploma|degree)\b",
    )
});

const MONTHS: &str = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

static DATE_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:(?P<m1>{MONTHS})\.?\s+|(?P<n1>0?[1-9]|1[0-2])[/.])?(?P<y1>(?:19|20)\d{{2}})\s*(?:-|–|—|to|until|till)\s*(?:(?:(?P<m2>{MONTHS})\.?\s+|(?P<n2>0?[1-9]|1[0-2])[/.])?(?P<y2>(?:19|20)\d{{2}})|(?P<now>present|current|now|today|ongoing|date))\b"
    ))
});

/// Total years of professional experience: an explicit statement ("7 years
/// of experience") wins; otherwise the union of the date ranges outside the
/// education section, so overlapping jobs are not counted twice.
pub(super) fn years_of_experience(lines: &[&str]) -> Option<f32> {
    let text = lines.join("\n");
    let explicit = TOTAL_YEARS
        .captures_iter(&text)
        .filter(|c| !SKILL_SPECIFIC_TAIL.is_match(&c[2]))
        .filter_map(|c| c[1].parse::<f32>().ok())
        .filter(|y| (0.0..=60.0).contains(y))
        .fold(None, |acc: Option<f32>, y| {
            Some(acc.map_or(y, |a| a.max(y)))
        });
    if explicit.is_some() {
        return explicit;
    }

    let mut spans: Vec<(i32, i32)> = Vec::new();
    for (section, line) in sections(lines) {
        // Study periods are not work experience, with or without a heading.
        if matches!(section, Some(Section::Education)) || STUDY_LINE.is_match(line) {
            continue;
        }
        for c in DATE_RANGE.captures_iter(line) {
            let Some(start) = month_index(c.name("y1"), c.name("m1"), c.name("n1")) else {
                continue;
            };
            let end = if c.name("now").is_some() {
                Some(PRESENT_YEAR * 12)
            } else {
                // "Jan 2019 – Dec 2021" includes December: three full years.
                let month_given = c.name("m2").is_some() || c.name("n2").is_some();
                month_index(c.name("y2"), c.name("m2"), c.name("n2"))
                    .map(|m| if month_given { m + 1 } else { m })
            };
            match end {
                // Nobody working today started before 1950; such a range is
                // a birth year, a founding date or a typo.
                Some(end) if end > start && start >= 1950 * 12 && end <= PRESENT_YEAR * 12 + 11 => {
                    spans.push((start, end))
                }
                _ => {}
            }
        }
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable();
    let mut months = 0;
    let mut current: Option<(i32, i32)> = None;
    for (start, end) in spans {
        match current {
            Some((s, e)) if start <= e => current = Some((s, e.max(end))),
            Some((s, e)) => {
                months += e - s;
                current = Some((start, end));
            }
            None => current = Some((start, end)),
        }
    }
    if let Some((s, e)) = current {
        months += e - s;
    }
    Some(((months as f32 / 12.0) * 10.0).round() / 10.0)
}

fn month_index(
    year: Option<regex::Match<'_>>,
    month_name: Option<regex::Match<'_>>,
    month_number: Option<regex::Match<'_>>,
) -> Option<i32> {
    let year: i32 = year?.as_str().parse().ok()?;
    let month = if let Some(m) = month_name {
        let prefix = m.as_str().to_lowercase();
        [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ]
        .iter()
        .position(|p| prefix.starts_with(p))? as i32
    } else if let Some(n) = month_number {
        n.as_str().parse::<i32>().ok()? - 1
    } else {
        0
    };
    Some(year * 12 + month)
}

static PRINCIPAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:principal|staff|distinguished|chief)\s+(?:[\w/+#.]+\s+){0,2}(?:engineer|developer|architect|scientist|technologist)|\b(?:cto|vp of engineering|vice president)\b",
    )
});
static LEAD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:tech(?:nical)?\s+lead|team\s+lead|lead\s+(?:[\w/+#.]+\s+){0,2}(?:engineer|developer|architect|scientist|designer)|engineering\s+manager|head\s+of\s+\w+|director\s+of\s+\w+)\b",
    )
});
static SENIOR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:senior|sr\.?)\s+(?:[\w/+#.]+\s+){0,2}(?:engineer|developer|architect|analyst|scientist|consultant|designer|programmer|administrator|devops|sre)\b",
    )
});
static MID: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:mid[- ]level|intermediate)\s+(?:[\w/+#.]+\s+){0,2}(?:engineer|developer)\b")
});
static JUNIOR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:junior|jr\.?|graduate|entry[- ]level|associate)\s+(?:[\w/+#.]+\s+){0,2}(?:engineer|developer|analyst|scientist|programmer|designer)\b",
    )
});
static INTERN: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:intern|internship|trainee|apprentice|working student)\b"));

/// Seniority from the most senior title held; without a title, from years.
pub(super) fn seniority(text: &str, years: Option<f32>) -> Seniority {
    let by_title = [
        (&*PRINCIPAL, Seniority::Principal),
        (&*LEAD, Seniority::Lead),
        (&*SENIOR, Seniority::Senior),
        (&*MID, Seniority::Mid),
        (&*JUNIOR, Seniority::Junior),
        (&*INTERN, Seniority::Intern),
    ]
    .into_iter()
    .find(|(pattern, _)| pattern.is_match(text))
    .map(|(_, level)| level);
    match (by_title, years) {
        // A title far below the experience (an old internship) says little.
        (Some(title), Some(y)) => title.max(Seniority::from_years(y).min(Seniority::Senior)),
        (Some(title), None) => title,
        (None, Some(y)) => Seniority::from_years(y),
        (None, None) => Seniority::Mid,
    }
}

static DOCTORATE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:ph\.?\s?d\.?|doctorate|doctoral degree|doctor of|d\.phil|dphil|dr\.\s?rer\.)")
});
static MASTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:master'?s?\s+(?:degree|of|in)\b|master of\b|m\.\s?sc\.?|msc\b|m\.s\.(?:\s|$)|meng\b|m\.eng\b|mba\b|m\.a\.\s|m\.?\s?tech\b|mca\b|diplom[- ]?ingenieur|dipl\.[- ]?ing)|\bMS\s+(?:in|of)\s|\bM\.E\.(?:,|\s)",
    )
});
static BACHELOR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:bachelor'?s?\s+(?:degree|of|in)\b|bachelor of\b|b\.\s?sc\.?|bsc\b|b\.s\.(?:\s|$)|beng\b|b\.eng\b|b\.a\.\s|b\.?\s?tech\b|bca\b|undergraduate degree|licenciatura|laurea)|\b(?:BS|BA)\s+(?:in|of)\s|\bB\.E\.(?:,|\s)",
    )
});
static ASSOCIATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bassociate'?s?\s+(?:degree|of\s+(?:arts|science|applied))"));
static HIGH_SCHOOL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:high\s+school|secondary\s+school|a[- ]levels|abitur|baccalaur[ée]at|ged\b)")
});

/// The highest education level mentioned.
pub(super) fn education(text: &str) -> Option<EducationLevel> {
    [
        (&*DOCTORATE, EducationLevel::Doctorate),
        (&*MASTER, EducationLevel::Master),
        (&*BACHELOR, EducationLevel::Bachelor),
        (&*ASSOCIATE, EducationLevel::Associate),
        (&*HIGH_SCHOOL, EducationLevel::HighSchool),
    ]
    .into_iter()
    .find(|(pattern, _)| pattern.is_match(text))
    .map(|(_, level)| level)
}

/// Human languages recognised in resumes (English names).
const HUMAN_LANGUAGES: &[&str] = &[
    "English",
    "German",
    "French",
    "Spanish",
    "Italian",
    "Portuguese",
    "Dutch",
    "Polish",
    "Russian",
    "Ukrainian",
    "Czech",
    "Slovak",
    "Hungarian",
    "Romanian",
    "Bulgarian",
    "Greek",
    "Turkish",
    "Arabic",
    "Hebrew",
    "Persian",
    "Farsi",
    "Hindi",
    "Urdu",
    "Bengali",
    "Punjabi",
    "Tamil",
    "Telugu",
    "Marathi",
    "Chinese",
    "Mandarin",
    "Cantonese",
    "Japanese",
    "Korean",
    "Vietnamese",
    "Thai",
    "Indonesian",
    "Malay",
    "Tagalog",
    "Filipino",
    "Swahili",
    "Swedish",
    "Norwegian",
    "Danish",
    "Finnish",
    "Icelandic",
    "Estonian",
    "Latvian",
    "Lithuanian",
    "Serbian",
    "Croatian",
    "Bosnian",
    "Slovenian",
    "Albanian",
    "Catalan",
    "Basque",
    "Galician",
    "Irish",
    "Welsh",
    "Afrikaans",
    "Amharic",
    "Yoruba",
];

static PROFICIENCY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:native|mother tongue|fluent|fluency|bilingual|proficient|proficiency|professional working|business|conversational|intermediate|advanced|basic|beginner|working knowledge)\b|\b[ABC][12]\b",
    )
});
static LANGUAGES_LABEL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:spoken\s+)?languages?(?:\s+spoken)?\s*:"));

/// Human languages, from a "Languages" section or label, or named next to a
/// proficiency level ("German (C1)", "fluent in French").
pub(super) fn languages(lines: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (section, line) in sections(lines) {
        let in_list = matches!(section, Some(Section::Languages)) || LANGUAGES_LABEL.is_match(line);
        let with_level = PROFICIENCY.is_match(line);
        if !in_list && !with_level {
            continue;
        }
        for word in line.split(|c: char| !c.is_alphabetic()) {
            if let Some(lang) = HUMAN_LANGUAGES.iter().find(|l| **l == word) {
                let lang = match *lang {
                    "Farsi" => "Persian",
                    "Filipino" => "Tagalog",
                    other => other,
                };
                if !found.iter().any(|f| f == lang) {
                    found.push(lang.to_owned());
                }
            }
        }
    }
    found
}

static SALARY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:expected|desired|target|requested)\s+(?:annual\s+|yearly\s+|base\s+)?(?:salary|compensation|pay|income)|salary\s+(?:expectations?|requirements?|expected)|compensation\s+expectations?)\b[^\d\n]{0,25}(?P<a>\d{1,3}(?:[,.' ]\d{3})+|\d+(?:\.\d+)?)\s*(?P<ka>[kK]\b)?(?:\s*(?:-|–|—|to)\s*[^\d\n]{0,5}(?P<b>\d{1,3}(?:[,.' ]\d{3})+|\d+(?:\.\d+)?)\s*(?P<kb>[kK]\b)?)?(?P<tail>[^\n]{0,30})",
    )
});

/// Expected yearly salary: "expected salary: $120,000", "120k", a range's
/// midpoint, monthly and hourly figures scaled to a year.
pub(super) fn salary_expectation(text: &str) -> Option<u32> {
    let c = SALARY.captures(text)?;
    let thousands_for_both = c.name("kb").is_some();
    let low = amount(
        c.name("a")?.as_str(),
        c.name("ka").is_some() || thousands_for_both,
    )?;
    let value = match c.name("b") {
        Some(b) => {
            let high = amount(b.as_str(), c.name("kb").is_some())?;
            if high >= low { (low + high) / 2.0 } else { low }
        }
        None => low,
    };
    let tail = c
        .name("tail")
        .map_or(String::new(), |t| t.as_str().to_lowercase());
    let yearly = if tail.contains("month") || tail.contains("/mo") {
        value * 12.0
    } else if tail.contains("hour") || tail.contains("/h") {
        value * 2080.0
    } else {
        value
    };
    (1_000.0..=10_000_000.0)
        .contains(&yearly)
        .then(|| yearly.round() as u32)
}

fn amount(raw: &str, thousands: bool) -> Option<f64> {
    let has_group_separator = raw.chars().any(|c| matches!(c, ',' | '\'' | ' '))
        || (raw.matches('.').count() >= 1 && raw.rsplit('.').next().is_some_and(|d| d.len() == 3));
    let number: f64 = if has_group_separator {
        raw.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()?
    } else {
        raw.parse().ok()?
    };
    Some(if thousands { number * 1000.0 } else { number })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn finds_email_and_phone() {
        assert_eq!(
            email("mail: a.b-c@mail.example.co.uk!").as_deref(),
            Some("a.b-c@mail.example.co.uk")
        );
        assert_eq!(email("no address here @ all"), None);
        assert_eq!(
            phone("Phone: +1 (415) 555-0132").as_deref(),
            Some("+1 (415) 555-0132")
        );
        assert_eq!(
            phone("call 415-555-0132 today").as_deref(),
            Some("415-555-0132")
        );
        assert_eq!(phone("Acme Corp 2018 - 2022"), None);
        assert_eq!(phone("Tel. 030 12345678").as_deref(), Some("030 12345678"));
    }

    #[test]
    fn finds_the_name_line() {
        assert_eq!(
            name(&lines(
                "\nCURRICULUM VITAE\nMaria van der Berg\nmaria@x.org"
            ))
            .as_deref(),
            Some("Maria van der Berg")
        );
        assert_eq!(
            name(&lines("Senior Software Engineer\nName: Li Wei")).as_deref(),
            Some("Li Wei")
        );
        assert_eq!(
            name(&lines("John O'Neil | Backend Engineer")).as_deref(),
            Some("John O'Neil")
        );
        assert_eq!(name(&lines("EXPERIENCE\nsomething lower case")), None);
        assert_eq!(
            name(&lines("Distributed Database Systems\nAna Lima")).as_deref(),
            Some("Ana Lima")
        );
        assert_eq!(
            name(&lines("José Álvarez-Núñez")).as_deref(),
            Some("José Álvarez-Núñez")
        );
        assert_eq!(
            name(&lines("Grace Hopper, PhD, MBA")).as_deref(),
            Some("Grace Hopper")
        );
        assert_eq!(
            name(&lines("New York, NY\nAda Lovelace")).as_deref(),
            Some("Ada Lovelace")
        );
    }

    #[test]
    fn finds_location() {
        assert_eq!(
            location(&lines("Jane\nLocation: Austin, TX"), None).as_deref(),
            Some("Austin, TX")
        );
        assert_eq!(
            location(
                &lines("Jane Doe\njane@x.com | +1 555 123 4567 | Lyon, France"),
                Some("Jane Doe")
            )
            .as_deref(),
            Some("Lyon, France")
        );
        assert_eq!(location(&lines("Jane Doe\nNo place given"), None), None);
    }

    #[test]
    fn years_from_statement_or_ranges() {
        assert_eq!(
            years_of_experience(&lines("Engineer with 8+ years of professional experience")),
            Some(8.0)
        );
        // Skill-specific statements are not the total.
        assert_eq!(
            years_of_experience(&lines("3 years of experience with Docker")),
            None
        );
        let cv = "Experience\nAcme, Jan 2019 - present\nBeta, 2015 – 2018\nOverlap Corp 2016-2017\nEducation\nUni 2010 - 2014";
        // 2015..2018 (3 y) + Jan 2019..Jan 2026 (7 y); overlap and education ignored.
        assert_eq!(years_of_experience(&lines(cv)), Some(10.0));
        assert_eq!(years_of_experience(&lines("03/2020 - 08/2021")), Some(1.5));
        assert_eq!(
            years_of_experience(&lines("Jan 2019 - Dec 2021")),
            Some(3.0)
        );
        assert_eq!(years_of_experience(&lines("no dates")), None);
        assert_eq!(years_of_experience(&lines("Founded 1901 - 1999")), None);
        let no_headings = "Acme Corp, 2020 - 2024\nBSc Physics, University of Oslo, 2016 - 2020";
        assert_eq!(years_of_experience(&lines(no_headings)), Some(4.0));
    }

    #[test]
    fn seniority_from_titles_then_years() {
        assert_eq!(
            seniority("Senior Backend Engineer at X", Some(4.0)),
            Seniority::Senior
        );
        assert_eq!(
            seniority("Staff Software Engineer", None),
            Seniority::Principal
        );
        assert_eq!(seniority("Tech Lead, payments", Some(9.0)), Seniority::Lead);
        assert_eq!(
            seniority("Software engineering intern 2012", Some(8.0)),
            Seniority::Senior
        );
        assert_eq!(
            seniority("Junior Python Developer", Some(1.0)),
            Seniority::Junior
        );
        assert_eq!(seniority("Worked on things", Some(4.0)), Seniority::Mid);
        assert_eq!(seniority("Worked on things", None), Seniority::Mid);
    }

    #[test]
    fn education_takes_the_highest_degree() {
        assert_eq!(
            education("PhD in Physics; BSc Mathematics"),
            Some(EducationLevel::Doctorate)
        );
        assert_eq!(
            education("M.Sc. Computer Science, TU Munich"),
            Some(EducationLevel::Master)
        );
        assert_eq!(education("Master of Science"), Some(EducationLevel::Master));
        assert_eq!(
            education("Bachelor's degree in CS"),
            Some(EducationLevel::Bachelor)
        );
        assert_eq!(
            education("Associate degree in IT"),
            Some(EducationLevel::Associate)
        );
        assert_eq!(
            education("High School Diploma"),
            Some(EducationLevel::HighSchool)
        );
        assert_eq!(education("Certified Scrum Master; MS Office"), None);
        assert_eq!(
            education("M.Tech, Computer Science, IIT Madras"),
            Some(EducationLevel::Master)
        );
        assert_eq!(
            education("B.E., Electronics"),
            Some(EducationLevel::Bachelor)
        );
        assert_eq!(education("B.Tech in IT"), Some(EducationLevel::Bachelor));
    }

    #[test]
    fn languages_need_a_list_or_a_level() {
        let cv = "Worked for a German bank\nLanguages\nEnglish (C1), Spanish\n";
        assert_eq!(languages(&lines(cv)), vec!["English", "Spanish"]);
        assert_eq!(
            languages(&lines("Fluent in French; native Farsi")),
            vec!["French", "Persian"]
        );
        assert!(languages(&lines("Languages: Python, Go")).is_empty());
    }

    #[test]
    fn salary_in_many_spellings() {
        assert_eq!(
            salary_expectation("Expected salary: $120,000"),
            Some(120_000)
        );
        assert_eq!(
            salary_expectation("Salary expectation: 95k EUR"),
            Some(95_000)
        );
        assert_eq!(salary_expectation("Desired salary 100-120k"), Some(110_000));
        assert_eq!(
            salary_expectation("Expected salary: €6.500 per month"),
            Some(78_000)
        );
        assert_eq!(salary_expectation("I earned 120k last year"), None);
    }
}
