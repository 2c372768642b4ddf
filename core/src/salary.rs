//! Salary prediction from a model fitted on a real, redistributable wage
//! survey (`core/data/Wage.csv`, see `core/data/README.md`).
//!
//! Model: ordinary least squares on log wage with a cubic in age, education
//! dummies, job class (industrial / information) and survey year. Candidates
//! are described by years of experience, education and skills, so the
//! features are mapped onto the survey's: age = typical age at the end of the
//! stated education + years of experience; any technical skill puts the
//! candidate in the "Information" job class; unknown education or job class
//! is averaged over the survey's own mix. The prediction interval comes from
//! the 10th and 90th percentiles of the training residuals in log space, and
//! the point estimate is the smearing-corrected mean (Duan 1983), since the
//! exponential of a mean log wage is the median, not the mean.
//!
//! Amounts are US dollars per year at the price level of the survey years
//! (2003–2009); the data covers male workers in the US Mid-Atlantic region,
//! so the location given does not change the estimate.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

use crate::profile::EducationLevel;
use crate::skills::SkillVocabulary;

const WAGE_CSV: &str = include_str!("../data/Wage.csv");

/// Bumped whenever the features or the fitting procedure change.
const ALGORITHM_VERSION: &str = "ols-logwage-cubic-age-v1";

/// Survey year used for predictions: the most recent year in the data.
const PREDICTION_YEAR: f64 = 2009.0;

/// Share of outcomes the interval is meant to cover (10th–90th percentile).
const INTERVAL: f64 = 0.8;

/// `logwage` in the survey is the log of the wage in thousands of dollars.
const WAGE_UNIT: f64 = 1000.0;

/// Seed of the holdout split whose coverage feeds `confidence`.
const HOLDOUT_SEED: u64 = 2026;

/// Fewest offers a customer model is trained on.
pub const MIN_OFFER_ROWS: usize = 20;

/// Fewest offers for which the interval's coverage is measured on a holdout
/// (below that, a 20 % holdout is too small to say anything).
pub const MIN_HOLDOUT_ROWS: usize = 50;

/// Most offers one CSV may hold.
pub const MAX_OFFER_ROWS: usize = 100_000;

/// Most locations and most skills that get their own coefficient.
const MAX_LEVELS: usize = 12;

/// Ridge penalty on every coefficient but the intercept of a customer model.
const OFFER_RIDGE: f64 = 1.0;

/// The columns a customer's offers CSV may have.
pub const OFFER_COLUMNS: [&str; 6] = [
    "salary",
    "years_experience",
    "education",
    "location",
    "skills",
    "currency",
];

/// One customer offer.
#[derive(Debug, Clone)]
struct Offer {
    salary: f64,
    years: f64,
    education: Option<EducationLevel>,
    /// Normalised (see [`normalise_location`]).
    location: Option<String>,
    /// Canonical names where the vocabulary knows them.
    skills: Vec<String>,
    technical: bool,
}

struct OffersData {
    offers: Vec<Offer>,
    currency: String,
}

/// A problem in a customer's offers CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}, column {column}: {message}")]
pub struct OfferError {
    /// 1-based data row (the header is row 0); 0 for the file as a whole
    /// or its header.
    pub row: usize,
    /// The column, or empty when the problem is not one column's.
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// What a customer model was trained on and how well it did.
#[derive(Debug, Clone)]
pub struct OffersSummary {
    /// Offers used.
    pub rows: usize,
    /// ISO 4217 currency of the offers.
    pub currency: String,
    /// Held-out evaluation (seeded 80/20 split), when there were at least
    /// [`MIN_HOLDOUT_ROWS`] offers.
    pub holdout: Option<HoldoutReport>,
    /// Locations with their own coefficient.
    pub locations: Vec<String>,
    /// Skills with their own coefficient.
    pub skills: Vec<String>,
}

/// Location key: the part before the first comma, trimmed and lower-cased,
/// so "Berlin, Germany" and "berlin" are one level.
fn normalise_location(location: &str) -> String {
    location
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase()
}

fn canonical_skill(name: &str) -> String {
    let name = name.trim();
    SkillVocabulary::global()
        .canonical(name)
        .map_or_else(|| name.to_lowercase(), str::to_owned)
}

/// Education as customers write it: the API's values (`bachelor`) and the
/// usual degree names and abbreviations.
fn parse_education(value: &str) -> Option<Option<EducationLevel>> {
    let v = value.trim().to_lowercase();
    let v = v.trim_end_matches("'s").trim_end_matches("’s");
    let level = match v {
        "" | "none" | "unknown" | "n/a" | "-" => return Some(None),
        "high_school" | "high school" | "highschool" | "secondary" | "hs" | "ged" => {
            EducationLevel::HighSchool
        }
        "associate" | "associates" | "associate degree" | "aa" | "as" => EducationLevel::Associate,
        "bachelor" | "bachelors" | "bachelor degree" | "ba" | "bs" | "bsc" | "beng" | "college" => {
            EducationLevel::Bachelor
        }
        "master" | "masters" | "master degree" | "ma" | "ms" | "msc" | "meng" | "mba" => {
            EducationLevel::Master
        }
        "doctorate" | "phd" | "ph.d." | "doctoral" | "dphil" => EducationLevel::Doctorate,
        _ => return None,
    };
    Some(Some(level))
}

/// Reads a customer's offers. Columns (header row required, any order):
/// `salary` (yearly amount, required), `years_experience` (0–60, required),
/// `education` (`high_school`, `associate`, `bachelor`, `master`,
/// `doctorate` or a usual degree name; may be empty), `location` (free text;
/// may be empty), `skills` (`;`-separated; may be empty), `currency` (ISO
/// 4217, the same on every row; USD when the column is absent).
fn parse_offers(csv_text: &str) -> Result<OffersData, OfferError> {
    let whole = |column: &str, message: String| OfferError {
        row: 0,
        column: column.to_owned(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| whole("", format!("unreadable header: {e}")))?
        .clone();
    let mut index = [None; OFFER_COLUMNS.len()];
    for (i, header) in headers.iter().enumerate() {
        let name = header.to_lowercase();
        match OFFER_COLUMNS.iter().position(|c| *c == name) {
            Some(c) if index[c].is_some() => {
                return Err(whole(header, "column appears twice".into()));
            }
            Some(c) => index[c] = Some(i),
            None => {
                return Err(whole(
                    header,
                    format!("unknown column (expected: {})", OFFER_COLUMNS.join(", ")),
                ));
            }
        }
    }
    let [
        salary_col,
        years_col,
        education_col,
        location_col,
        skills_col,
        currency_col,
    ] = index;
    let salary_col =
        salary_col.ok_or_else(|| whole("salary", "required column is missing".into()))?;
    let years_col =
        years_col.ok_or_else(|| whole("years_experience", "required column is missing".into()))?;

    let vocab = SkillVocabulary::global();
    let mut offers = Vec::new();
    let mut currency: Option<String> = None;
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let err = |column: &str, message: String| OfferError {
            row,
            column: column.to_owned(),
            message,
        };
        let record = record.map_err(|e| err("", format!("unreadable row: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if offers.len() == MAX_OFFER_ROWS {
            return Err(err("", format!("more than {MAX_OFFER_ROWS} rows")));
        }
        let cell = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("");
        let salary: f64 = cell(Some(salary_col))
            .replace(['_', ' '], "")
            .parse()
            .map_err(|_| {
                err(
                    "salary",
                    format!("{:?} is not a number", cell(Some(salary_col))),
                )
            })?;
        if !salary.is_finite() || !(1.0..=100_000_000.0).contains(&salary) {
            return Err(err("salary", "must be between 1 and 100000000".into()));
        }
        let years: f64 = cell(Some(years_col)).parse().map_err(|_| {
            err(
                "years_experience",
                format!("{:?} is not a number", cell(Some(years_col))),
            )
        })?;
        if !years.is_finite() || !(0.0..=60.0).contains(&years) {
            return Err(err("years_experience", "must be between 0 and 60".into()));
        }
        let education = parse_education(cell(education_col)).ok_or_else(|| {
            err(
                "education",
                format!(
                    "{:?} is not one of high_school, associate, bachelor, master, doctorate",
                    cell(education_col)
                ),
            )
        })?;
        let location = Some(normalise_location(cell(location_col))).filter(|l| !l.is_empty());
        let mut skills: Vec<String> = Vec::new();
        let mut technical = false;
        for name in cell(skills_col)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            technical |= vocab
                .lookup(name)
                .is_some_and(|skill| skill.kind.is_technical());
            let name = canonical_skill(name);
            if !skills.contains(&name) {
                skills.push(name);
            }
        }
        if let Some(col) = currency_col {
            let code = cell(Some(col)).to_uppercase();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(err("currency", format!("{code:?} is not an ISO 4217 code")));
            }
            match &currency {
                Some(first) if *first != code => {
                    return Err(err(
                        "currency",
                        format!(
                            "{code} differs from {first} on the first row; one model, one currency"
                        ),
                    ));
                }
                Some(_) => {}
                None => currency = Some(code),
            }
        }
        offers.push(Offer {
            salary,
            years,
            education,
            location,
            skills,
            technical,
        });
    }
    if offers.len() < MIN_OFFER_ROWS {
        return Err(whole(
            "",
            format!(
                "{} offers; at least {MIN_OFFER_ROWS} are needed to fit a model",
                offers.len()
            ),
        ));
    }
    Ok(OffersData {
        offers,
        currency: currency.unwrap_or_else(|| "USD".to_owned()),
    })
}

/// Inputs to a salary prediction.
#[derive(Debug, Clone, Default)]
pub struct SalaryFeatures {
    /// Years of professional experience.
    pub years_experience: f32,
    /// Highest education level, if known.
    pub education: Option<EducationLevel>,
    /// Skills (any spelling the vocabulary knows).
    pub skills: Vec<String>,
    /// Where the candidate works; recorded, but the training data covers a
    /// single region, so it does not change the estimate.
    pub location: Option<String>,
}

/// A predicted yearly salary with its uncertainty.
#[derive(Debug, Clone)]
pub struct SalaryPrediction {
    /// Expected (mean) salary.
    pub expected: f64,
    /// Lower end of the interval (10th percentile).
    pub low: f64,
    /// Upper end of the interval (90th percentile).
    pub high: f64,
    /// Nominal coverage of `low..=high`, e.g. 0.8.
    pub interval: f64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Period the amounts cover.
    pub period: &'static str,
    /// 0–1: how far the interval can be trusted for these inputs (the
    /// interval's held-out coverage, reduced for missing inputs and for ages
    /// outside the data).
    pub confidence: f64,
    /// 0–100: where `expected` sits among the wages of the training data.
    pub market_percentile: f64,
    /// Model version (algorithm and a hash of the training data).
    pub model_version: String,
}

/// Held-out evaluation of the model against predicting the mean.
#[derive(Debug, Clone)]
pub struct HoldoutReport {
    /// Rows used for fitting.
    pub n_train: usize,
    /// Rows used for evaluation.
    pub n_test: usize,
    /// Mean absolute error of the model on the test rows, in dollars.
    pub mae: f64,
    /// Mean absolute error of predicting the training mean, in dollars.
    pub baseline_mae: f64,
    /// Share of test rows whose wage falls inside the predicted interval.
    pub interval_coverage: f64,
}

/// One survey row.
#[derive(Debug, Clone)]
struct WageRow {
    year: f64,
    age: f64,
    /// 1..=5 as in the survey ("1. < HS Grad" .. "5. Advanced Degree").
    education: u8,
    information: bool,
    logwage: f64,
    /// Dollars per year.
    wage: f64,
}

/// How a model turns features into its design vector: the shipped survey
/// knows ages, customer offers know years of experience, locations and
/// skills directly.
#[derive(Debug, Clone)]
enum Layout {
    Survey,
    Offers {
        /// Locations (normalised) with their own coefficient; any other
        /// location gets the base level.
        locations: Vec<String>,
        /// Skills (canonical) with their own coefficient.
        skills: Vec<String>,
    },
}

/// A fitted salary model.
#[derive(Debug, Clone)]
pub struct SalaryModel {
    layout: Layout,
    coefficients: Vec<f64>,
    /// Residual quantiles in log space for the interval.
    residual_low: f64,
    residual_high: f64,
    /// Mean of exp(residual): converts a predicted median to a mean.
    smearing: f64,
    /// Average of the education dummies in the data, used when the
    /// education is unknown.
    education_mix: Vec<f64>,
    /// Share of rows with a technical skill (or in the information class).
    information_share: f64,
    /// Sorted training salaries, for percentiles.
    sorted_wages: Vec<f64>,
    /// Held-out coverage of the interval, the basis of `confidence`.
    coverage: f64,
    /// Range of the age (survey) or years of experience (offers) seen in
    /// training; predictions outside it are clamped and less confident.
    x_range: (f64, f64),
    currency: String,
    version: String,
}

static DEFAULT_MODEL: LazyLock<SalaryModel> = LazyLock::new(|| {
    let rows = load_rows(WAGE_CSV).expect("embedded core/data/Wage.csv is valid");
    // The interval's coverage on unseen rows is what `confidence` reports,
    // so measure it once on a fixed split before fitting on all rows.
    let coverage = holdout(&rows, HOLDOUT_SEED).interval_coverage;
    SalaryModel::fit_survey(&rows, coverage, &data_version(WAGE_CSV))
        .expect("the wage data supports a least-squares fit")
});

fn data_version(csv: &str) -> String {
    format!("salary-{ALGORITHM_VERSION}+wage-{}", short_hash(csv))
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

fn load_rows(csv_text: &str) -> Result<Vec<WageRow>, String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("Wage.csv has no column {name:?}"))
    };
    let (year, age, education, jobclass, logwage, wage) = (
        column("year")?,
        column("age")?,
        column("education")?,
        column("jobclass")?,
        column("logwage")?,
        column("wage")?,
    );
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", i + 2))?;
        let number = |col: usize| -> Result<f64, String> {
            record
                .get(col)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| format!("row {}: column {col} is not a number", i + 2))
        };
        let level = record
            .get(education)
            .and_then(|v| v.trim().chars().next())
            .and_then(|c| c.to_digit(10))
            .filter(|d| (1..=5).contains(d))
            .ok_or_else(|| format!("row {}: unknown education", i + 2))? as u8;
        rows.push(WageRow {
            year: number(year)?,
            age: number(age)?,
            education: level,
            information: record
                .get(jobclass)
                .is_some_and(|v| v.contains("Information")),
            logwage: number(logwage)?,
            // The survey states wages in thousands of dollars.
            wage: number(wage)? * WAGE_UNIT,
        });
    }
    if rows.len() < 100 {
        return Err(format!("only {} rows of wage data", rows.len()));
    }
    Ok(rows)
}

/// Feature vector: intercept, cubic in centred/scaled age, education
/// dummies (levels 2–5 against "< HS Grad"), information class, centred
/// survey year. Centring keeps the normal equations well conditioned.
fn design(age: f64, education: &[f64], information: f64, year: f64) -> Vec<f64> {
    let a = (age - 42.0) / 10.0;
    let mut x = vec![1.0, a, a * a, a * a * a];
    x.extend_from_slice(education);
    x.push(information);
    x.push((year - 2006.0) / 3.0);
    x
}

fn row_design(row: &WageRow) -> Vec<f64> {
    let information = if row.information { 1.0 } else { 0.0 };
    design(
        row.age,
        &education_dummies(row.education),
        information,
        row.year,
    )
}

fn education_dummies(level: u8) -> [f64; 4] {
    let mut d = [0.0; 4];
    if (2..=5).contains(&level) {
        d[usize::from(level - 2)] = 1.0;
    }
    d
}

/// One dummy per education level for customer offers; a row without an
/// education is the base level.
fn offer_education_dummies(level: Option<EducationLevel>) -> [f64; 5] {
    let mut d = [0.0; 5];
    if let Some(level) = level {
        let i = EducationLevel::ALL
            .iter()
            .position(|l| *l == level)
            .unwrap_or(0);
        d[i] = 1.0;
    }
    d
}

/// Parameters shared by every layout once the design matrix is built.
struct Fitted {
    coefficients: Vec<f64>,
    residual_low: f64,
    residual_high: f64,
    smearing: f64,
    sorted_wages: Vec<f64>,
    education_mix: Vec<f64>,
}

/// The common algorithm: (ridge-stabilised) least squares on log salary,
/// the 10th/90th percentiles of the residuals for the interval, and Duan's
/// smearing factor for the mean. `education` is the slice of each design
/// row holding the education dummies.
fn fit_design(
    xs: &[Vec<f64>],
    log_salaries: &[f64],
    salaries: &[f64],
    ridge: f64,
    education: std::ops::Range<usize>,
) -> Result<Fitted, String> {
    let coefficients = least_squares(xs, log_salaries, ridge)?;
    let mut residuals: Vec<f64> = xs
        .iter()
        .zip(log_salaries)
        .map(|(x, y)| y - dot(&coefficients, x))
        .collect();
    let smearing = residuals.iter().map(|r| r.exp()).sum::<f64>() / residuals.len() as f64;
    residuals.sort_by(f64::total_cmp);
    let tail = (1.0 - INTERVAL) / 2.0;
    let n = xs.len() as f64;
    let mut education_mix = vec![0.0; education.len()];
    for x in xs {
        for (mix, v) in education_mix.iter_mut().zip(&x[education.clone()]) {
            *mix += v / n;
        }
    }
    let mut sorted_wages = salaries.to_vec();
    sorted_wages.sort_by(f64::total_cmp);
    Ok(Fitted {
        coefficients,
        residual_low: quantile(&residuals, tail),
        residual_high: quantile(&residuals, 1.0 - tail),
        smearing,
        sorted_wages,
        education_mix,
    })
}

impl SalaryModel {
    /// The model fitted on the shipped wage data (fitted on first use).
    pub fn default_model() -> &'static SalaryModel {
        &DEFAULT_MODEL
    }

    /// Model version: for the shipped model, the algorithm version plus a
    /// hash of the training data; for a customer model, the label it was
    /// trained with.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// ISO 4217 currency of the predictions.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    fn from_fitted(
        layout: Layout,
        fitted: Fitted,
        information_share: f64,
        coverage: f64,
        x_range: (f64, f64),
        currency: &str,
        version: &str,
    ) -> SalaryModel {
        SalaryModel {
            layout,
            coefficients: fitted.coefficients,
            residual_low: fitted.residual_low,
            residual_high: fitted.residual_high,
            smearing: fitted.smearing,
            education_mix: fitted.education_mix,
            information_share,
            sorted_wages: fitted.sorted_wages,
            coverage,
            x_range,
            currency: currency.to_owned(),
            version: version.to_owned(),
        }
    }

    fn fit_survey(rows: &[WageRow], coverage: f64, version: &str) -> Result<SalaryModel, String> {
        let xs: Vec<Vec<f64>> = rows.iter().map(row_design).collect();
        let logs: Vec<f64> = rows.iter().map(|r| r.logwage).collect();
        let wages: Vec<f64> = rows.iter().map(|r| r.wage).collect();
        // Education dummies sit after the intercept and the cubic in age.
        let fitted = fit_design(&xs, &logs, &wages, 0.0, 4..8)?;
        let n = rows.len() as f64;
        let information_share = rows.iter().filter(|r| r.information).count() as f64 / n;
        let x_range = range(rows.iter().map(|r| r.age));
        Ok(Self::from_fitted(
            Layout::Survey,
            fitted,
            information_share,
            coverage,
            x_range,
            "USD",
            version,
        ))
    }

    /// Fits the same algorithm on a customer's own offers, read from CSV (see
    /// [`parse_offers`] for the columns). When there are at least
    /// [`MIN_HOLDOUT_ROWS`] rows, the interval's coverage is measured on a
    /// seeded 20 % holdout first (and returned), then the model is fitted on
    /// every row. `version` names the model in its predictions.
    pub fn train_on_offers(
        csv_text: &str,
        version: &str,
    ) -> Result<(SalaryModel, OffersSummary), OfferError> {
        let data = parse_offers(csv_text)?;
        let report = (data.offers.len() >= MIN_HOLDOUT_ROWS)
            .then(|| holdout_offers(&data.offers, &data.currency, HOLDOUT_SEED))
            .transpose()
            .map_err(|message| OfferError {
                row: 0,
                column: String::new(),
                message,
            })?;
        // Without a holdout the nominal coverage is all there is, and a
        // small sample earns less trust in it.
        let coverage = report
            .as_ref()
            .map_or(INTERVAL * 0.75, |r| r.interval_coverage);
        let model = Self::fit_offers(&data.offers, coverage, &data.currency, version).map_err(
            |message| OfferError {
                row: 0,
                column: String::new(),
                message,
            },
        )?;
        let summary = OffersSummary {
            rows: data.offers.len(),
            currency: data.currency,
            holdout: report,
            locations: match &model.layout {
                Layout::Offers { locations, .. } => locations.clone(),
                Layout::Survey => Vec::new(),
            },
            skills: match &model.layout {
                Layout::Offers { skills, .. } => skills.clone(),
                Layout::Survey => Vec::new(),
            },
        };
        Ok((model, summary))
    }

    fn fit_offers(
        offers: &[Offer],
        coverage: f64,
        currency: &str,
        version: &str,
    ) -> Result<SalaryModel, String> {
        let n = offers.len();
        // A level gets its own coefficient only with enough rows behind it,
        // and not when every row has it (then it is the intercept).
        let min_rows = (n / 20).max(5);
        let frequent = |values: Vec<&String>| -> Vec<String> {
            let mut counts: Vec<(String, usize)> = Vec::new();
            for v in values {
                match counts.iter_mut().find(|(name, _)| name == v) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((v.clone(), 1)),
                }
            }
            counts.retain(|(_, c)| *c >= min_rows && *c < n);
            counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            counts
                .into_iter()
                .take(MAX_LEVELS)
                .map(|(v, _)| v)
                .collect()
        };
        let locations = frequent(offers.iter().filter_map(|o| o.location.as_ref()).collect());
        let skills = frequent(offers.iter().flat_map(|o| &o.skills).collect());
        let layout = Layout::Offers { locations, skills };
        let mut model = SalaryModel {
            layout,
            coefficients: Vec::new(),
            residual_low: 0.0,
            residual_high: 0.0,
            smearing: 1.0,
            education_mix: Vec::new(),
            information_share: 0.0,
            sorted_wages: Vec::new(),
            coverage,
            x_range: range(offers.iter().map(|o| o.years)),
            currency: currency.to_owned(),
            version: version.to_owned(),
        };
        let xs: Vec<Vec<f64>> = offers
            .iter()
            .map(|o| {
                model.offer_design(
                    o.years,
                    &offer_education_dummies(o.education),
                    if o.technical { 1.0 } else { 0.0 },
                    o.location.as_deref(),
                    &o.skills,
                )
            })
            .collect();
        let logs: Vec<f64> = offers.iter().map(|o| o.salary.ln()).collect();
        let salaries: Vec<f64> = offers.iter().map(|o| o.salary).collect();
        // Customer files are small and their dummies often collinear (every
        // offer with a degree, a skill on every senior offer); a light ridge
        // keeps the fit defined and shrinks rare levels towards the base.
        let fitted = fit_design(&xs, &logs, &salaries, OFFER_RIDGE, 3..8)?;
        let information_share = offers.iter().filter(|o| o.technical).count() as f64 / n as f64;
        let x_range = model.x_range;
        model = Self::from_fitted(
            model.layout,
            fitted,
            information_share,
            coverage,
            x_range,
            currency,
            version,
        );
        Ok(model)
    }

    /// Design of the offers layout: intercept, quadratic in scaled years of
    /// experience, education dummies, technical flag, location and skill
    /// dummies.
    fn offer_design(
        &self,
        years: f64,
        education: &[f64],
        technical: f64,
        location: Option<&str>,
        skills: &[String],
    ) -> Vec<f64> {
        let Layout::Offers {
            locations,
            skills: known_skills,
        } = &self.layout
        else {
            unreachable!("offer_design is only called on offer models");
        };
        let e = (years - 8.0) / 8.0;
        let mut x = vec![1.0, e, e * e];
        x.extend_from_slice(education);
        x.push(technical);
        x.extend(
            locations
                .iter()
                .map(|l| f64::from(u8::from(location == Some(l.as_str())))),
        );
        x.extend(
            known_skills
                .iter()
                .map(|s| f64::from(u8::from(skills.contains(s)))),
        );
        x
    }

    /// Predicts a yearly salary for the given features.
    pub fn predict(&self, features: &SalaryFeatures) -> SalaryPrediction {
        let years = f64::from(features.years_experience);
        let years = if years.is_finite() {
            years.clamp(0.0, 60.0)
        } else {
            0.0
        };
        let vocab = SkillVocabulary::global();
        let information = if features.skills.is_empty() {
            self.information_share
        } else if features.skills.iter().any(|s| {
            vocab
                .lookup(s)
                .is_some_and(|skill| skill.kind.is_technical())
        }) {
            1.0
        } else {
            0.0
        };
        let (x, clamped) = match &self.layout {
            Layout::Survey => {
                // Typical age at the end of each level of education.
                let start_age = match features.education {
                    None => 21.0,
                    Some(EducationLevel::HighSchool) => 18.0,
                    Some(EducationLevel::Associate) => 20.0,
                    Some(EducationLevel::Bachelor) => 22.0,
                    Some(EducationLevel::Master) => 24.0,
                    Some(EducationLevel::Doctorate) => 28.0,
                };
                let raw_age = start_age + years;
                let age = raw_age.clamp(self.x_range.0, self.x_range.1);
                let education = match features.education {
                    None => self.education_mix.clone(),
                    Some(EducationLevel::HighSchool) => education_dummies(2).to_vec(),
                    Some(EducationLevel::Associate) => education_dummies(3).to_vec(),
                    Some(EducationLevel::Bachelor) => education_dummies(4).to_vec(),
                    Some(EducationLevel::Master) | Some(EducationLevel::Doctorate) => {
                        education_dummies(5).to_vec()
                    }
                };
                (
                    design(age, &education, information, PREDICTION_YEAR),
                    raw_age != age,
                )
            }
            Layout::Offers { .. } => {
                let clamped_years = years.clamp(self.x_range.0, self.x_range.1);
                let education = match features.education {
                    None => self.education_mix.clone(),
                    Some(level) => offer_education_dummies(Some(level)).to_vec(),
                };
                let location = features.location.as_deref().map(normalise_location);
                let skills: Vec<String> =
                    features.skills.iter().map(|s| canonical_skill(s)).collect();
                (
                    self.offer_design(
                        clamped_years,
                        &education,
                        information,
                        location.as_deref(),
                        &skills,
                    ),
                    clamped_years != years,
                )
            }
        };
        let log_median = dot(&self.coefficients, &x);
        let scale = self.unit();
        let expected = log_median.exp() * self.smearing * scale;
        let low = (log_median + self.residual_low).exp() * scale;
        let high = (log_median + self.residual_high).exp() * scale;

        let mut confidence = self.coverage;
        if features.education.is_none() {
            confidence *= 0.85;
        }
        if features.skills.is_empty() {
            confidence *= 0.9;
        }
        if clamped {
            confidence *= 0.6;
        }
        let below = self.sorted_wages.partition_point(|w| *w < expected);
        let market_percentile = 100.0 * below as f64 / self.sorted_wages.len() as f64;
        SalaryPrediction {
            expected: round_to(expected, 100.0),
            low: round_to(low, 100.0),
            high: round_to(high, 100.0),
            interval: INTERVAL,
            currency: self.currency.clone(),
            period: "year",
            confidence: (confidence.clamp(0.0, 1.0) * 1000.0).round() / 1000.0,
            market_percentile: (market_percentile * 10.0).round() / 10.0,
            model_version: self.version.clone(),
        }
    }

    /// The survey models log wages in thousands; offers are in units.
    fn unit(&self) -> f64 {
        match self.layout {
            Layout::Survey => WAGE_UNIT,
            Layout::Offers { .. } => 1.0,
        }
    }

    fn predict_row(&self, row: &WageRow) -> (f64, f64, f64) {
        self.interval_at(dot(&self.coefficients, &row_design(row)))
    }

    fn predict_offer(&self, offer: &Offer) -> (f64, f64, f64) {
        let x = self.offer_design(
            offer.years.clamp(self.x_range.0, self.x_range.1),
            &offer_education_dummies(offer.education),
            if offer.technical { 1.0 } else { 0.0 },
            offer.location.as_deref(),
            &offer.skills,
        );
        self.interval_at(dot(&self.coefficients, &x))
    }

    /// (mean, low, high) for a predicted log median.
    fn interval_at(&self, log_median: f64) -> (f64, f64, f64) {
        let scale = self.unit();
        (
            log_median.exp() * self.smearing * scale,
            (log_median + self.residual_low).exp() * scale,
            (log_median + self.residual_high).exp() * scale,
        )
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

fn round_to(value: f64, step: f64) -> f64 {
    (value / step).round() * step
}

/// Seeded 80/20 split of the shipped data: the model's mean absolute error
/// against predicting the training mean, and the interval's coverage.
pub fn evaluate_holdout(seed: u64) -> HoldoutReport {
    let rows = load_rows(WAGE_CSV).expect("embedded core/data/Wage.csv is valid");
    holdout(&rows, seed)
}

/// The seeded split [`evaluate_holdout`] uses, as 0-based indices of the data
/// rows of `core/data/Wage.csv`: `(train, test)`. Exported so that other
/// tools (the scikit-learn comparison in `core/eval/`) score the same rows.
pub fn holdout_split(seed: u64) -> (Vec<usize>, Vec<usize>) {
    let rows = load_rows(WAGE_CSV).expect("embedded core/data/Wage.csv is valid");
    let (train, test) = split_indices(rows.len(), seed);
    (train, test)
}

/// The shipped wage data, as embedded (for exporting the holdout split).
pub fn wage_csv() -> &'static str {
    WAGE_CSV
}

fn split_indices(n: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    shuffle(&mut order, seed);
    let n_test = n / 5;
    let (test, train) = order.split_at(n_test);
    (train.to_vec(), test.to_vec())
}

/// Scores `predict` on the test rows against the training mean.
fn score<R>(
    test: &[&R],
    train_mean: f64,
    n_train: usize,
    salary: impl Fn(&R) -> f64,
    predict: impl Fn(&R) -> (f64, f64, f64),
) -> HoldoutReport {
    let mut abs_err = 0.0;
    let mut baseline_err = 0.0;
    let mut covered = 0usize;
    for row in test {
        let actual = salary(row);
        let (expected, low, high) = predict(row);
        abs_err += (expected - actual).abs();
        baseline_err += (train_mean - actual).abs();
        if (low..=high).contains(&actual) {
            covered += 1;
        }
    }
    let n = test.len() as f64;
    HoldoutReport {
        n_train,
        n_test: test.len(),
        mae: abs_err / n,
        baseline_mae: baseline_err / n,
        interval_coverage: covered as f64 / n,
    }
}

fn holdout(rows: &[WageRow], seed: u64) -> HoldoutReport {
    let (train_idx, test_idx) = split_indices(rows.len(), seed);
    let train: Vec<WageRow> = train_idx.iter().map(|&i| rows[i].clone()).collect();
    let test: Vec<&WageRow> = test_idx.iter().map(|&i| &rows[i]).collect();
    let model = SalaryModel::fit_survey(&train, INTERVAL, "holdout")
        .expect("training split supports a fit");
    let mean = train.iter().map(|r| r.wage).sum::<f64>() / train.len() as f64;
    score(
        &test,
        mean,
        train.len(),
        |r| r.wage,
        |r| model.predict_row(r),
    )
}

fn holdout_offers(offers: &[Offer], currency: &str, seed: u64) -> Result<HoldoutReport, String> {
    let (train_idx, test_idx) = split_indices(offers.len(), seed);
    let train: Vec<Offer> = train_idx.iter().map(|&i| offers[i].clone()).collect();
    let test: Vec<&Offer> = test_idx.iter().map(|&i| &offers[i]).collect();
    let model = SalaryModel::fit_offers(&train, INTERVAL, currency, "holdout")?;
    let mean = train.iter().map(|o| o.salary).sum::<f64>() / train.len() as f64;
    Ok(score(
        &test,
        mean,
        train.len(),
        |o| o.salary,
        |o| model.predict_offer(o),
    ))
}

/// Fisher–Yates with SplitMix64: a few lines that keep the split identical
/// across platforms and dependency versions, which a holdout figure quoted
/// in docs needs.
fn shuffle(items: &mut [usize], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Solves the (ridge-penalised) normal equations (XᵀX + λI)β = Xᵀy by Gaussian elimination with
/// partial pivoting. The design has ten well-scaled columns, so a linear
/// algebra dependency would cost more compile time than it saves.
fn least_squares(xs: &[Vec<f64>], ys: &[f64], ridge: f64) -> Result<Vec<f64>, String> {
    let p = xs.first().map_or(0, Vec::len);
    let mut a = vec![vec![0.0; p + 1]; p];
    // The intercept (column 0) is not penalised.
    for (i, row) in a.iter_mut().enumerate().skip(1) {
        row[i] = ridge;
    }
    for (x, y) in xs.iter().zip(ys) {
        for i in 0..p {
            for j in 0..p {
                a[i][j] += x[i] * x[j];
            }
            a[i][p] += x[i] * y;
        }
    }
    for col in 0..p {
        let pivot = (col..p)
            .max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))
            .unwrap_or(col);
        if a[pivot][col].abs() < 1e-9 {
            return Err(format!("column {col} of the design is collinear"));
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (index, row) in a.iter_mut().enumerate() {
            if index != col {
                let factor = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= factor * p;
                }
            }
        }
    }
    Ok((0..p).map(|i| a[i][p] / a[i][i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdout_beats_the_mean_and_the_interval_is_calibrated() {
        let report = evaluate_holdout(42);
        println!(
            "salary holdout: n_train={} n_test={} mae=${:.0} baseline_mae=${:.0} coverage={:.3}",
            report.n_train,
            report.n_test,
            report.mae,
            report.baseline_mae,
            report.interval_coverage
        );
        assert_eq!(report.n_train + report.n_test, 3000);
        assert_eq!(report.n_test, 600);
        assert!(report.mae < report.baseline_mae, "{report:?}");
        assert!(
            (0.7..=0.9).contains(&report.interval_coverage),
            "{report:?}"
        );
        // Same seed, same split.
        assert_eq!(evaluate_holdout(42).mae, report.mae);
    }

    #[test]
    fn the_holdout_result_does_not_hinge_on_one_lucky_split() {
        for seed in 1..=8 {
            let r = evaluate_holdout(seed);
            assert!(r.mae < r.baseline_mae * 0.9, "seed {seed}: {r:?}");
            assert!(
                (0.72..=0.88).contains(&r.interval_coverage),
                "seed {seed}: {r:?}"
            );
        }
    }

    #[test]
    fn predictions_follow_education_experience_and_skills() {
        let model = SalaryModel::default_model();
        let base = SalaryFeatures {
            years_experience: 5.0,
            education: Some(EducationLevel::Bachelor),
            skills: vec!["Python".into(), "PostgreSQL".into()],
            location: Some("Berlin, Germany".into()),
        };
        let p = model.predict(&base);
        assert!(p.low < p.expected && p.expected < p.high, "{p:?}");
        assert_eq!(
            (p.currency.as_str(), p.period, p.interval),
            ("USD", "year", 0.8)
        );
        assert!((0.0..=1.0).contains(&p.confidence));
        assert!((0.0..=100.0).contains(&p.market_percentile));
        assert!(p.model_version.starts_with("salary-ols"));

        let master = model.predict(&SalaryFeatures {
            education: Some(EducationLevel::Master),
            ..base.clone()
        });
        let high_school = model.predict(&SalaryFeatures {
            education: Some(EducationLevel::HighSchool),
            ..base.clone()
        });
        assert!(master.expected > p.expected && p.expected > high_school.expected);

        let novice = model.predict(&SalaryFeatures {
            years_experience: 0.0,
            ..base.clone()
        });
        assert!(novice.expected < p.expected);

        let non_tech = model.predict(&SalaryFeatures {
            skills: vec!["Leadership".into()],
            ..base.clone()
        });
        assert!(non_tech.expected < p.expected);

        let unknown = model.predict(&SalaryFeatures::default());
        assert!(unknown.confidence < p.confidence);
        assert!(unknown.expected.is_finite() && unknown.expected > 0.0);

        let absurd = model.predict(&SalaryFeatures {
            years_experience: f32::NAN,
            ..base.clone()
        });
        assert!(absurd.expected.is_finite());
    }

    #[test]
    fn version_hashes_the_data() {
        let v = SalaryModel::default_model().version();
        assert!(v.contains(ALGORITHM_VERSION) && v.contains("+wage-"), "{v}");
        assert_ne!(data_version("a,b\n"), data_version("a,c\n"));
    }

    #[test]
    fn least_squares_recovers_a_known_line() {
        let xs: Vec<Vec<f64>> = (0..20).map(|i| vec![1.0, f64::from(i)]).collect();
        let ys: Vec<f64> = (0..20).map(|i| 3.0 + 2.0 * f64::from(i)).collect();
        let beta = least_squares(&xs, &ys, 0.0).unwrap();
        assert!((beta[0] - 3.0).abs() < 1e-9 && (beta[1] - 2.0).abs() < 1e-9);
        let collinear: Vec<Vec<f64>> = (0..5)
            .map(|i| vec![f64::from(i), 2.0 * f64::from(i)])
            .collect();
        assert!(least_squares(&collinear, &[0.0; 5], 0.0).is_err());
    }

    /// Synthetic offers with a known structure: +4 %/year of experience,
    /// a degree premium, a Berlin premium and a Kubernetes premium, with
    /// deterministic multiplicative noise.
    fn offers_csv(n: usize) -> String {
        let mut csv = String::from("salary,years_experience,education,location,skills,currency\n");
        let educations = ["high_school", "bachelor", "master", "", "BSc"];
        let mut state = 7u64;
        for i in 0..n {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = ((state >> 33) as f64 / f64::from(1u32 << 31)) * 0.3 - 0.15;
            let years = (i % 16) as f64;
            let education = educations[i % educations.len()];
            let degree = match education {
                "master" => 0.25,
                "bachelor" | "BSc" => 0.15,
                _ => 0.0,
            };
            let (location, place) = if i % 3 == 0 {
                ("\"Berlin, Germany\"", 0.2)
            } else {
                ("Leipzig", 0.0)
            };
            let (skills, k8s) = if i % 4 == 0 {
                ("Python; k8s", 0.1)
            } else {
                ("Python", 0.0)
            };
            let salary = 40_000.0 * (0.04 * years + degree + place + k8s + noise).exp();
            csv.push_str(&format!(
                "{salary:.0},{years},{education},{location},{skills},EUR\n"
            ));
        }
        csv
    }

    #[test]
    fn customer_models_learn_the_structure_of_their_offers() {
        let (model, summary) =
            SalaryModel::train_on_offers(&offers_csv(300), "sm_test@v1").unwrap();
        assert_eq!(summary.rows, 300);
        assert_eq!(summary.currency, "EUR");
        assert_eq!(summary.locations, ["leipzig", "berlin"]);
        assert!(
            summary.skills.contains(&"Kubernetes".to_owned()),
            "{summary:?}"
        );
        let report = summary.holdout.clone().unwrap();
        assert!(report.mae < report.baseline_mae * 0.7, "{report:?}");
        assert!(
            (0.65..=0.95).contains(&report.interval_coverage),
            "{report:?}"
        );

        let base = SalaryFeatures {
            years_experience: 5.0,
            education: Some(EducationLevel::Bachelor),
            skills: vec!["Python".into()],
            location: Some("Leipzig".into()),
        };
        let p = model.predict(&base);
        assert_eq!(p.model_version, "sm_test@v1");
        assert_eq!(p.currency, "EUR");
        assert!(p.low < p.expected && p.expected < p.high, "{p:?}");
        // 40k · e^(0.2 + 0.15) ≈ 56.8k, plus the smearing of ±15 % noise.
        assert!((50_000.0..64_000.0).contains(&p.expected), "{p:?}");
        let berlin = model.predict(&SalaryFeatures {
            location: Some("berlin".into()),
            ..base.clone()
        });
        let ratio = berlin.expected / p.expected;
        assert!((1.12..1.32).contains(&ratio), "Berlin premium {ratio}");
        let k8s = model.predict(&SalaryFeatures {
            skills: vec!["Python".into(), "Kubernetes".into()],
            ..base.clone()
        });
        assert!(k8s.expected > p.expected);
        let senior = model.predict(&SalaryFeatures {
            years_experience: 12.0,
            ..base.clone()
        });
        assert!(senior.expected > p.expected * 1.2);
        // Beyond the data: clamped, and less confident.
        let far = model.predict(&SalaryFeatures {
            years_experience: 40.0,
            ..base
        });
        assert!(far.confidence < senior.confidence);
    }

    #[test]
    fn small_offer_files_fit_without_a_holdout() {
        let (model, summary) = SalaryModel::train_on_offers(&offers_csv(25), "v").unwrap();
        assert!(summary.holdout.is_none());
        let p = model.predict(&SalaryFeatures::default());
        assert!(p.expected.is_finite() && p.expected > 0.0);
        assert!(p.confidence <= INTERVAL * 0.75);
    }

    #[test]
    fn offer_errors_name_the_row_and_column() {
        let good = offers_csv(30);
        let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
        lines[3] = "lots,3,bachelor,Berlin,Python,EUR".into();
        let err = SalaryModel::train_on_offers(&lines.join("\n"), "v").unwrap_err();
        assert_eq!((err.row, err.column.as_str()), (3, "salary"), "{err}");

        let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
        lines[5] = "50000,3,wizard,Berlin,Python,EUR".into();
        let err = SalaryModel::train_on_offers(&lines.join("\n"), "v").unwrap_err();
        assert_eq!((err.row, err.column.as_str()), (5, "education"), "{err}");

        let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
        lines[7] = "50000,3,bachelor,Berlin,Python,USD".into();
        let err = SalaryModel::train_on_offers(&lines.join("\n"), "v").unwrap_err();
        assert_eq!((err.row, err.column.as_str()), (7, "currency"), "{err}");

        let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
        lines[2] = "50000,-1,bachelor,Berlin,Python,EUR".into();
        let err = SalaryModel::train_on_offers(&lines.join("\n"), "v").unwrap_err();
        assert_eq!(
            (err.row, err.column.as_str()),
            (2, "years_experience"),
            "{err}"
        );

        let err = SalaryModel::train_on_offers("salary,years,education\n1,2,3\n", "v").unwrap_err();
        assert_eq!((err.row, err.column.as_str()), (0, "years"), "{err}");
        let err = SalaryModel::train_on_offers("years_experience\n1\n", "v").unwrap_err();
        assert_eq!((err.row, err.column.as_str()), (0, "salary"), "{err}");
        let err = SalaryModel::train_on_offers(&offers_csv(5), "v").unwrap_err();
        assert!(err.message.contains("at least 20"), "{err}");
    }

    #[test]
    fn the_exported_split_is_the_evaluated_one() {
        let (train, test) = holdout_split(42);
        assert_eq!((train.len(), test.len()), (2400, 600));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..3000).collect::<Vec<_>>());
    }
}
