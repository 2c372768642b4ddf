"""scikit-learn's GradientBoostingRegressor on the salary model's holdout split.

Reads the train/test rows that `cargo run -p mismatch-core --example
salary_eval` exported (the same seeded split the Rust model is scored on) and
prints the held-out MAE in dollars for:

- GBR on the features the Rust model uses (age, education, job class, year);
- GBR on every column of the survey (adds marital status, race, region,
  health, health insurance), i.e. what a model free to use them could reach;
- predicting the training mean.

Usage: python salary_sklearn.py [SPLIT_DIR]   (default target/salary-eval)
"""

import csv
import sys
from pathlib import Path

from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_absolute_error

OUR_FEATURES = ["age", "education", "jobclass", "year"]
ALL_FEATURES = ["year", "age", "maritl", "race", "education", "region", "jobclass", "health", "health_ins"]
NUMERIC = {"year", "age"}


def load(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def encode(rows, features, categories):
    """Numeric columns as they are, categorical ones one-hot (levels from train)."""
    out = []
    for r in rows:
        x = []
        for name in features:
            if name in NUMERIC:
                x.append(float(r[name]))
            else:
                x.extend(1.0 if r[name] == level else 0.0 for level in categories[name])
        out.append(x)
    return out


def main() -> None:
    split = Path(sys.argv[1] if len(sys.argv) > 1 else "target/salary-eval")
    train, test = load(split / "train.csv"), load(split / "test.csv")
    # Wage is in $1000s in the survey; report dollars like the Rust side.
    y_train = [float(r["wage"]) * 1000 for r in train]
    y_test = [float(r["wage"]) * 1000 for r in test]
    categories = {
        name: sorted({r[name] for r in train}) for name in ALL_FEATURES if name not in NUMERIC
    }
    mean = sum(y_train) / len(y_train)
    print(f"predict-the-mean          n_train={len(train)} n_test={len(test)} "
          f"mae={mean_absolute_error(y_test, [mean] * len(y_test)):.0f}")
    for label, features in [("same features", OUR_FEATURES), ("all columns", ALL_FEATURES)]:
        model = GradientBoostingRegressor(random_state=0)
        model.fit(encode(train, features, categories), y_train)
        predicted = model.predict(encode(test, features, categories))
        print(f"sklearn GBR ({label:13}) n_train={len(train)} n_test={len(test)} "
              f"mae={mean_absolute_error(y_test, predicted):.0f}")
    # The same model with the absolute-error loss targets the median, which
    # is what MAE rewards; shown so the comparison is not against a strawman.
    model = GradientBoostingRegressor(random_state=0, loss="absolute_error")
    model.fit(encode(train, OUR_FEATURES, categories), y_train)
    predicted = model.predict(encode(test, OUR_FEATURES, categories))
    print(f"sklearn GBR (same, L1 loss) n_train={len(train)} n_test={len(test)} "
          f"mae={mean_absolute_error(y_test, predicted):.0f}")


if __name__ == "__main__":
    main()
