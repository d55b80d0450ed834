#!/usr/bin/python3
"""Checks `lathe describe --json` against pandas on the real datasets in tests/data.

pandas (Debian's python3-pandas) reads each file independently; every figure
Lathe reports must match it: row and column counts, which columns are
numeric, missing counts, distinct counts, category counts, and the numeric
summaries (min, max, mean, sample std, linear-interpolation quantiles).
ARFF is read with scipy.io.arff, the reference reader pandas users reach for.

Usage: test_describe_pandas.py PATH_TO_LATHE   (run from tests/)
"""
import json
import math
import subprocess
import sys

import pandas as pd
from scipy.io import arff

LATHE = sys.argv[1]
MISSING = ["", "NA", "N/A", "NaN", "null", "?"]
DATASETS = ["spam.csv", "pima_diabetes2.csv", "shuttle.csv", "diamonds.csv", "income.csv",
            "credit-g.arff"]

failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)


def close(a, b, rel=1e-9):
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def load(name):
    path = "data/" + name
    if name.endswith(".arff"):
        data, _ = arff.loadarff(path)
        frame = pd.DataFrame(data)
        for column in frame.columns:
            if frame[column].dtype == object:
                frame[column] = frame[column].str.decode("utf-8").replace("?", None)
        return frame
    return pd.read_csv(path, keep_default_na=False, na_values=MISSING)


def describe(name):
    out = subprocess.run([LATHE, "describe", "data/" + name, "--json", "--top", "1000"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def compare_numeric(name, column, series, got):
    values = series.dropna()
    where = f"{name}:{column}"
    check(got["kind"] == "numeric", f"{where}: kind {got['kind']}, pandas says numeric")
    if got["kind"] != "numeric" or len(values) == 0:
        return
    check(close(got["min"], float(values.min())), f"{where}: min {got['min']} vs {values.min()}")
    check(close(got["max"], float(values.max())), f"{where}: max {got['max']} vs {values.max()}")
    check(close(got["mean"], float(values.mean())), f"{where}: mean {got['mean']} vs {values.mean()}")
    check(close(got["std"], float(values.std(ddof=1)), rel=1e-7),
          f"{where}: std {got['std']} vs {values.std(ddof=1)}")
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        key = f"{round(q * 100)}%"
        want = float(values.quantile(q))
        check(close(got["quantiles"][key], want), f"{where}: {key} {got['quantiles'][key]} vs {want}")
    check(got["distinct"] == values.nunique(), f"{where}: distinct {got['distinct']} vs {values.nunique()}")


def compare_categorical(name, column, series, got):
    where = f"{name}:{column}"
    check(got["kind"] == "categorical", f"{where}: kind {got['kind']}, pandas says object")
    counts = series.dropna().value_counts()
    check(got["distinct"] == len(counts), f"{where}: distinct {got['distinct']} vs {len(counts)}")
    top = {entry["value"]: entry["count"] for entry in got.get("top", [])}
    for value, count in counts.items():
        check(top.get(value) == count, f"{where}: count of {value!r} {top.get(value)} vs {count}")


def compare(name):
    frame = load(name)
    got = describe(name)
    check(got["n_rows"] == len(frame), f"{name}: rows {got['n_rows']} vs {len(frame)}")
    check(got["n_columns"] == len(frame.columns), f"{name}: columns {got['n_columns']} vs {len(frame.columns)}")
    check(got["duplicate_rows"] == int(frame.duplicated().sum()),
          f"{name}: duplicate rows {got['duplicate_rows']} vs {int(frame.duplicated().sum())}")
    columns = {c["name"]: c for c in got["columns"]}
    check(list(columns) == list(frame.columns), f"{name}: column names differ")
    for column in frame.columns:
        series = frame[column]
        mine = columns.get(column)
        if mine is None:
            continue
        missing = int(series.isna().sum())
        check(mine["missing"] == missing, f"{name}:{column}: missing {mine['missing']} vs {missing}")
        if pd.api.types.is_numeric_dtype(series):
            compare_numeric(name, column, series, mine)
        else:
            compare_categorical(name, column, series, mine)


for dataset in DATASETS:
    compare(dataset)

for failure in failures:
    print("FAIL", failure)
print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
