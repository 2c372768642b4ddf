//! `cargo run -p mismatch-codegen -- [--check]`: the one generator front-end.
//!
//! Reads `openapi.json` once and writes
//! - `sdk-rust/codegen/operations.json`, the normalised operation description
//!   (see `describe.rs`), and the descriptions of the generator test fixtures;
//! - `sdk-rust/src/generated.rs` and `sdk-rust/src/operations.rs`;
//!
//! then runs the emitters that read the description: `sdk-python/generate.py`
//! and `sdk-js/scripts/generate.mjs`, and the JS bundle (`bundle.mjs`, which
//! needs `npm ci` in `sdk-js` first). With `--check` nothing is written and the
//! exit status is 1 when any output is stale.
//!
//! `--spec PATH --out DIR` tries another document: it writes only the Rust
//! files and the description, into DIR.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use mismatch_codegen::{describe, generate, workspace_root};

/// Specs of the emitters' test fixtures and where their descriptions go.
const FIXTURES: [(&str, &str); 1] = [(
    "sdk-python/tests/fixtures/mini_openapi.json",
    "sdk-python/tests/fixtures/mini_operations.json",
)];

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mismatch-codegen: {err:#}");
            ExitCode::from(2)
        }
    }
}

struct Options {
    check: bool,
    spec: Option<PathBuf>,
    out: Option<PathBuf>,
}

fn options() -> Result<Option<Options>> {
    let mut options = Options {
        check: false,
        spec: None,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => options.check = true,
            "--spec" => {
                options.spec = Some(PathBuf::from(args.next().context("--spec needs a path")?))
            }
            "--out" => {
                options.out = Some(PathBuf::from(args.next().context("--out needs a folder")?))
            }
            "-h" | "--help" => {
                println!("usage: mismatch-codegen [--check] | [--check] --spec PATH --out DIR");
                return Ok(None);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    if options.spec.is_some() != options.out.is_some() {
        bail!("--spec and --out go together (the committed outputs come from openapi.json)");
    }
    Ok(Some(options))
}

fn run() -> Result<ExitCode> {
    let Some(options) = options()? else {
        return Ok(ExitCode::SUCCESS);
    };
    let root = workspace_root();
    if let (Some(spec), Some(out)) = (&options.spec, &options.out) {
        let files = rust_outputs(spec, out, &out.join("operations.json"))?;
        return Ok(exit(settle(&root, &files, options.check)));
    }

    let spec = root.join("openapi.json");
    let mut files = rust_outputs(
        &spec,
        &root.join("sdk-rust/src"),
        &root.join("sdk-rust/codegen/operations.json"),
    )?;
    for (fixture, description) in FIXTURES {
        let value = read_json(&root.join(fixture))?;
        let described =
            describe::describe(&value).with_context(|| format!("cannot describe {fixture}"))?;
        files.push((root.join(description), describe::to_text(&described)));
    }
    let mut ok = settle(&root, &files, options.check);

    // The emitters read the description just written (or, with --check,
    // the committed one, which was checked above).
    let check = options.check.then_some("--check");
    let emitters: [(&str, Vec<&str>); 3] = [
        ("python3", vec!["sdk-python/generate.py"]),
        ("node", vec!["sdk-js/scripts/generate.mjs"]),
        ("node", vec!["sdk-js/scripts/bundle.mjs"]),
    ];
    for (program, mut args) in emitters {
        args.extend(check);
        ok &= emit(&root, program, &args)?;
    }
    Ok(exit(ok))
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// The Rust client, its dispatch and the description of `spec`.
fn rust_outputs(spec: &Path, src: &Path, description: &Path) -> Result<Vec<(PathBuf, String)>> {
    let output = generate::generate_from_json(read_json(spec)?)?;
    Ok(vec![
        (description.to_path_buf(), output.operations_json),
        (src.join("generated.rs"), output.generated_rs),
        (src.join("operations.rs"), output.operations_rs),
    ])
}

/// Writes the files that changed, or with `check` reports them.
fn settle(root: &Path, files: &[(PathBuf, String)], check: bool) -> bool {
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let stale: Vec<&(PathBuf, String)> = files
        .iter()
        .filter(|(path, content)| std::fs::read_to_string(path).unwrap_or_default() != *content)
        .collect();
    if check {
        if stale.is_empty() {
            println!(
                "up to date: {}",
                files
                    .iter()
                    .map(|(p, _)| shown(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return true;
        }
        for (path, _) in &stale {
            eprintln!("{} is out of date with its spec", shown(path));
        }
        eprintln!("run `cargo run -p mismatch-codegen` and commit the result");
        return false;
    }
    for (path, content) in stale {
        if let Err(err) = std::fs::write(path, content) {
            eprintln!("cannot write {}: {err}", shown(path));
            return false;
        }
        println!("wrote {}", shown(path));
    }
    true
}

/// Runs one emitter from the workspace root; false when it fails.
fn emit(root: &Path, program: &str, args: &[&str]) -> Result<bool> {
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {program} (needed for {})", args[0]))?;
    if !status.success() {
        eprintln!("{program} {} failed ({status})", args.join(" "));
    }
    Ok(status.success())
}
