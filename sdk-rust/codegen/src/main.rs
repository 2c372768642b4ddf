//! `cargo run -p mismatch-codegen -- [--check] [--spec PATH] [--out DIR]`
//!
//! Writes `sdk-rust/src/generated.rs` and `sdk-rust/src/operations.rs` from
//! `openapi.json` (workspace root by default). With `--check`, writes nothing
//! and exits with status 1 when either file would change. `--out` writes the
//! two files to another folder (to try a spec without touching the SDK).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use mismatch_codegen::{generate, workspace_root};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mismatch-codegen: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let root = workspace_root();
    let mut check = false;
    let mut spec_path = root.join("openapi.json");
    let mut src = root.join("sdk-rust/src");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--spec" => {
                spec_path = PathBuf::from(args.next().context("--spec needs a path")?);
            }
            "--out" => {
                src = PathBuf::from(args.next().context("--out needs a folder")?);
            }
            "-h" | "--help" => {
                println!("usage: mismatch-codegen [--check] [--spec PATH] [--out DIR]");
                return Ok(ExitCode::SUCCESS);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }

    let text = std::fs::read_to_string(&spec_path)
        .with_context(|| format!("cannot read {}", spec_path.display()))?;
    let spec: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", spec_path.display()))?;
    let output = generate::generate_from_json(spec)?;

    let files = [
        (src.join("generated.rs"), output.generated_rs),
        (src.join("operations.rs"), output.operations_rs),
    ];
    let mut stale = Vec::new();
    for (path, content) in &files {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current != *content {
            stale.push(path);
        }
    }
    if check {
        if stale.is_empty() {
            println!(
                "generated SDK code is up to date with {}",
                spec_path.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        for path in &stale {
            eprintln!(
                "{} is out of date with {}",
                path.strip_prefix(&root).unwrap_or(path).display(),
                spec_path.display()
            );
        }
        eprintln!("run `cargo run -p mismatch-codegen` and commit the result");
        return Ok(ExitCode::FAILURE);
    }
    for (path, content) in &files {
        if stale.contains(&path) {
            std::fs::write(path, content)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "wrote {}",
                path.strip_prefix(&root).unwrap_or(path).display()
            );
        }
    }
    if stale.is_empty() {
        println!("generated SDK code already up to date");
    }
    Ok(ExitCode::SUCCESS)
}
