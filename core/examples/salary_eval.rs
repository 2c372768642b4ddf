//! Held-out evaluation of the shipped salary model, and an export of the same
//! split for the scikit-learn comparison (`core/eval/salary.sh`).
//!
//! Usage: `cargo run --release -p mismatch-core --example salary_eval -- [OUT_DIR] [SEED…]`
//! (defaults: `target/salary-eval`, seed 42). Writes `train.csv` and
//! `test.csv` (rows of `core/data/Wage.csv`, header included) for the first
//! seed and prints one line per seed.

use std::fmt::Write as _;
use std::path::PathBuf;

use mismatch_core::salary::{evaluate_holdout, holdout_split, wage_csv};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "target/salary-eval".into()));
    let seeds: Vec<u64> = args.map(|a| a.parse()).collect::<Result<_, _>>()?;
    let seeds = if seeds.is_empty() { vec![42] } else { seeds };

    let mut lines = wage_csv().lines();
    let header = lines.next().ok_or("empty wage data")?;
    let rows: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    let (train, test) = holdout_split(seeds[0]);
    std::fs::create_dir_all(&out)?;
    for (name, indices) in [("train.csv", &train), ("test.csv", &test)] {
        let mut text = format!("{header}\n");
        for &i in indices {
            writeln!(text, "{}", rows[i])?;
        }
        std::fs::write(out.join(name), text)?;
    }

    for seed in seeds {
        let r = evaluate_holdout(seed);
        println!(
            "ours (OLS on log wage)  seed={seed} n_train={} n_test={} mae={:.0} \
             baseline_mae={:.0} coverage80={:.3}",
            r.n_train, r.n_test, r.mae, r.baseline_mae, r.interval_coverage
        );
    }
    Ok(())
}
