//! End-to-end scenario against a live server, written once as data.
//!
//! `recruiting_scenario` plays tests/scenario/recruiting.json (format:
//! tests/scenario/README.md) through the SDK when `MISMATCH_BASE_URL` is set
//! (the project's test runner sets it, together with `MISMATCH_ADMIN_API_KEY`
//! and `MISMATCH_FLAKY_URL` — a proxy failing the first attempt of each new
//! POST with 503). Without it the scenario is skipped with a printed reason,
//! except under CI (`CI=true` or `CI=1`), where a missing server fails the
//! test: CI must never pass without having run it.
//!
//! `matcher_cases_give_their_verdicts` checks the interpreter against
//! tests/scenario/matchers.json, and `totp_cases_give_their_codes` its `totp`
//! action against tests/scenario/totp.json, without a server, so that the
//! Rust, Python and JavaScript runners cannot read the same data differently.

mod scenario;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use mismatch_recruiter::ErrorKind;
use serde_json::{Map, Value, json};

use scenario::matcher::{Failure, check, resolve};
use scenario::{Player, Settings};

struct Env {
    base_url: String,
    admin_key: String,
    flaky_url: String,
}

/// Whether `CI` says this is a CI run (`true` or `1`, as CI services set it).
fn in_ci(ci: Option<&str>) -> bool {
    ci.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The live server's settings; `None` (skip) without `MISMATCH_BASE_URL`
/// outside CI. Panics in CI without one, and whenever the server is given
/// but the variables that go with it are not.
fn env() -> Option<Env> {
    let Some(base_url) = std::env::var("MISMATCH_BASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        let ci = std::env::var("CI").ok();
        assert!(
            !in_ci(ci.as_deref()),
            "MISMATCH_BASE_URL is not set but CI={}: the end-to-end scenario must run in CI \
             (tests/run.sh starts a server and exports it)",
            ci.unwrap_or_default()
        );
        println!(
            "skipped: MISMATCH_BASE_URL not set (set it to a live server to run this scenario)"
        );
        return None;
    };
    let need = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set with MISMATCH_BASE_URL"))
    };
    Some(Env {
        base_url,
        admin_key: need("MISMATCH_ADMIN_API_KEY"),
        flaky_url: need("MISMATCH_FLAKY_URL"),
    })
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read_json(relative: &str) -> Value {
    let path = repo_root().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

#[test]
fn matcher_cases_give_their_verdicts() {
    let document = read_json("tests/scenario/matchers.json");
    let cases = document["cases"]
        .as_array()
        .expect("matchers.json has cases");
    assert!(!cases.is_empty());
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let saved = case
            .get("saved")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // An absent value is the key "k" of an empty object.
        let (actual, matcher) = if case.get("missing") == Some(&Value::Bool(true)) {
            (json!({}), json!({"k": case["matcher"]}))
        } else {
            (case["value"].clone(), case["matcher"].clone())
        };
        let outcome = resolve(&matcher, &saved)
            .map_err(Failure::Scenario)
            .and_then(|matcher| check(Some(&actual), &matcher, "matcher"));
        let verdict = match (&outcome, case.get("error") == Some(&Value::Bool(true))) {
            (Err(Failure::Scenario(_)), true) => continue,
            (_, true) => format!("gave {outcome:?} instead of a scenario error"),
            (Err(Failure::Scenario(e)), false) => format!("raised {e}"),
            (_, false) if outcome.is_ok() == case["holds"].as_bool().expect("a verdict") => {
                continue;
            }
            (Ok(()), false) => "held".to_owned(),
            (Err(Failure::Mismatch(m)), false) => format!("did not hold ({m})"),
        };
        wrong.push(format!("case {i} {case}: {verdict}"));
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn totp_cases_give_their_codes() {
    let document = read_json("tests/scenario/totp.json");
    let cases = document["cases"].as_array().expect("totp.json has cases");
    assert!(cases.len() >= 10, "only {} cases", cases.len());
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        // The step as the scenario writes it, played with the clock at `time`.
        let mut step = Map::new();
        step.insert("totp".into(), case["secret"].clone());
        for key in ["offset_steps", "digits"] {
            if let Some(value) = case.get(key) {
                step.insert(key.into(), value.clone());
            }
        }
        let now = case["time"].as_i64().expect("a time");
        let outcome = scenario::totp::step_code(&step, &Map::new(), now);
        match (outcome, case.get("error") == Some(&Value::Bool(true))) {
            (Err(_), true) => {}
            (Ok(code), true) => wrong.push(format!(
                "case {i} {case}: gave {code} instead of a scenario error"
            )),
            (Err(e), false) => wrong.push(format!("case {i} {case}: {e}")),
            (Ok(code), false) if case["code"] == code.as_str() => {}
            (Ok(code), false) => wrong.push(format!("case {i} {case}: gave {code}")),
        }
    }
    assert!(wrong.is_empty(), "wrong codes:\n{}", wrong.join("\n"));
}

#[test]
fn a_failure_names_the_matcher_path() {
    let value = json!({"items": [{"skill": "Go", "n": [1, 2]}]});
    let failure = |matcher: Value| match check(Some(&value), &matcher, "expect") {
        Err(Failure::Mismatch(m)) => m.path,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        failure(json!({"items": {"$some": {"skill": "Rust"}}})),
        "expect.items.$some"
    );
    assert_eq!(
        failure(json!({"items": {"$each": {"n": {"$len": 3}}}})),
        "expect.items.$each[0].n.$len"
    );
    assert_eq!(
        failure(json!({"items": [{"n": [1, 3]}]})),
        "expect.items[0].n[1]"
    );
    // An unknown operator is reported even where no element reaches it.
    let unknown = check(Some(&json!([])), &json!({"$some": {"$nope": 1}}), "expect");
    assert!(matches!(unknown, Err(Failure::Scenario(_))), "{unknown:?}");
    // So is an unknown reference inside a longer string.
    let saved: Map<String, Value> = Map::new();
    assert!(resolve(&json!({"a": ["x ${missing} y"]}), &saved).is_err());
}

#[tokio::test]
async fn recruiting_scenario() {
    let Some(env) = env() else {
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let document = read_json("tests/scenario/recruiting.json");
    let settings = Settings {
        base_url: env.base_url.clone(),
        admin_key: env.admin_key,
        flaky_url: env.flaky_url,
        stamp: format!("rust-{nanos}"),
    };
    let mut player =
        Player::new(&repo_root(), &document, settings).unwrap_or_else(|e| panic!("{e}"));
    if let Err(failure) = player
        .play(&document, |n, step| println!("ok {n:>3} {step}"))
        .await
    {
        panic!("recruiting.json against {}:\n{failure}", env.base_url);
    }

    // What the data cannot say: the typed client decodes the same resource
    // into a model, and its errors convert into the SDK's error.
    let recruiter = player
        .client("recruiter")
        .expect("the scenario's recruiter");
    let candidate_id = player.saved()["candidate"]["id"]
        .as_str()
        .expect("the saved candidate's id");
    let typed = recruiter
        .api()
        .get_candidate(candidate_id)
        .await
        .expect("typed getCandidate")
        .into_inner();
    assert_eq!(typed.id, candidate_id);
    assert!(typed.skills.iter().any(|s| s.name == "Python"));
    let missing: mismatch_recruiter::Error = recruiter
        .api()
        .get_candidate("cand_missing")
        .await
        .unwrap_err()
        .into();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(missing.request_id().is_some(), "{missing}");
    println!("rust e2e scenario passed against {}", env.base_url);
}

/// Runs `recruiting_scenario` of this binary in a child process without a
/// server and with `CI` set to `ci` (or unset).
fn scenario_without_server(ci: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "recruiting_scenario", "--nocapture"])
        .env_remove("MISMATCH_BASE_URL")
        .env_remove("CI");
    if let Some(ci) = ci {
        command.env("CI", ci);
    }
    command.output().unwrap()
}

#[test]
fn without_a_server_ci_fails_and_a_developer_run_skips() {
    for ci in ["true", "1", "TRUE"] {
        let output = scenario_without_server(Some(ci));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "CI={ci} must fail:\n{text}");
        assert!(
            text.contains("MISMATCH_BASE_URL is not set but CI="),
            "{text}"
        );
    }
    for ci in [None, Some("false"), Some("")] {
        let output = scenario_without_server(ci);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "CI={ci:?} skips:\n{stdout}");
        assert!(
            stdout.contains("skipped: MISMATCH_BASE_URL not set"),
            "{stdout}"
        );
    }
    assert!(in_ci(Some("true")) && in_ci(Some("1")) && !in_ci(Some("0")) && !in_ci(None));
}
