#!/usr/bin/python3
"""Lathe's linear models against scikit-learn's scores on the fixed splits.

Trains `lathe train --model logistic` (classification) and `--model ridge`
(regression) on tests/data/splits/NAME/train.csv, scores on test.csv, and
checks the issue's bar against scikit-learn's figures on exactly these rows,
as ../shared/BENCHMARKS.md records them (LogisticRegression / Ridge after
imputing, one-hot encoding and scaling): accuracy no more than 0.005 below,
RMSE no more than 2% above.

Usage: test_splits_linear.py PATH_TO_LATHE   (run from tests/)
"""
import json
import os
import subprocess
import sys
import tempfile

LATHE = sys.argv[1]

# scikit-learn 1.2.1's test figures on these splits (BENCHMARKS.md, sk_linear).
SKLEARN = {
    "spam": ("type", "logistic", "accuracy", 0.9294),
    "pima_diabetes2": ("diabetes", "logistic", "accuracy", 0.6948),
    "shuttle": ("Class", "logistic", "accuracy", 0.9675),
    "income": ("INCOME", "logistic", "accuracy", 0.3480),
    "diamonds": ("price", "ridge", "rmse", 1135.20),
}

passed = failed = 0
with tempfile.TemporaryDirectory() as work:
    for name, (target, model, metric, reference) in SKLEARN.items():
        split = f"data/splits/{name}"
        out = subprocess.run(
            [LATHE, "train", f"{split}/train.csv", "--test-data", f"{split}/test.csv",
             "--target", target, "--model", model, "-o", os.path.join(work, name + ".lathe"),
             "--json"], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"FAIL {name}: lathe train exited {out.returncode}: {out.stderr.strip()}")
            failed += 1
            continue
        got = json.loads(out.stdout)["metrics"][metric]
        if metric == "rmse":
            ok = got <= reference * 1.02
            bar = f"<= {reference * 1.02:.2f}"
        else:
            ok = got >= reference - 0.005
            bar = f">= {reference - 0.005:.4f}"
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {model} {metric} {got:.4f} "
              f"(scikit-learn {reference}, bar {bar})")
        passed += ok
        failed += not ok

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
