//! Prints the skills the vocabulary finds in text files, one line per file:
//! `cargo run -p mismatch-core --example extract_skills -- FILE...`
//! (used to compare vocabulary versions on sample resumes and job ads).

use std::process::ExitCode;

use mismatch_core::skills::SkillVocabulary;

fn main() -> ExitCode {
    let vocab = SkillVocabulary::global();
    let mut ok = true;
    for path in std::env::args().skip(1) {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let names: Vec<String> = vocab
                    .extract(&text)
                    .into_iter()
                    .map(|m| {
                        let general = vocab
                            .lookup(&m.name)
                            .is_some_and(|s| !s.kind.is_technical() && s.source == "esco");
                        if general {
                            format!("{} [esco]", m.name)
                        } else {
                            m.name
                        }
                    })
                    .collect();
                println!("{path}: {} skills: {}", names.len(), names.join(", "));
            }
            Err(e) => {
                eprintln!("{path}: {e}");
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
