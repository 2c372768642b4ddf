//! Parses resume files and prints what was found:
//! `cargo run -p mismatch-core --example parse_resume -- [--text] tests/fixtures/resume.pdf`
//! (`--text` also prints the extracted text).

use std::process::ExitCode;

use mismatch_core::resume::{DocumentFormat, parse_document};

fn main() -> ExitCode {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    let show_text = paths.iter().any(|a| a == "--text");
    paths.retain(|a| a != "--text");
    if paths.is_empty() {
        eprintln!("usage: parse_resume FILE...");
        return ExitCode::FAILURE;
    }
    let mut ok = true;
    for path in paths {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                ok = false;
                continue;
            }
        };
        let started = std::time::Instant::now();
        let parsed = DocumentFormat::detect(&bytes, Some(&path), None)
            .and_then(|format| parse_document(&bytes, format));
        let elapsed = started.elapsed();
        match parsed {
            Ok(r) => {
                println!("{path} ({elapsed:.1?}, {} chars of text)", r.text.len());
                println!("  name:       {:?}", r.name);
                println!("  email:      {:?}", r.email);
                println!("  phone:      {:?}", r.phone);
                println!("  location:   {:?}", r.location);
                println!(
                    "  experience: {:?} years, {}",
                    r.years_experience, r.seniority
                );
                println!("  education:  {:?}", r.education);
                println!("  languages:  {:?}", r.languages);
                println!("  salary:     {:?}", r.salary_expectation);
                let skills: Vec<String> = r
                    .skills
                    .iter()
                    .map(|s| match s.years {
                        Some(y) => format!("{} ({y} y)", s.name),
                        None => s.name.clone(),
                    })
                    .collect();
                println!("  skills:     {}", skills.join(", "));
                if show_text {
                    println!("----\n{}\n----", r.text);
                }
            }
            Err(e) => {
                println!("{path}: {} ({})", e, e.code());
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
