#!/bin/sh
# forest.sh: random forests, Lathe against scikit-learn's RandomForest, on the
# fixed splits (tests/data/splits), 100 trees, default settings, 2 threads
# each, in the same run.
# Usage: bench/forest.sh BUILD_DIR [RUNS]   (from the repository root; build
# with -DCMAKE_BUILD_TYPE=Release). Needs python3-sklearn.
# Prints a Markdown table of medians over RUNS: the fit's CPU seconds on one
# thread (the work, steady on a shared machine), the fit's wall seconds on 2
# threads, predict seconds, their ratios (scikit-learn / Lathe: above 1,
# Lathe is faster), the peak RSS of a whole 2-thread run (loading included)
# and the test metric. Lathe's fit CPU covers lathe_train (pipeline, fit,
# nothing else); its wall fit is the estimator's (the lineage's
# fit_seconds); its predict runs the pipeline too, as `lathe predict` does.
# scikit-learn gets the data ordinal-encoded as in ../shared/BENCHMARKS.md;
# Lathe its default pipeline (native missing values and categorical splits).
set -eu
build=$1
runs=${2:-3}

peak_kb() { # peak resident set of a command, in KiB
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}

echo "| split | train rows | fit CPU s, 1 thread: Lathe / sklearn | ratio | fit wall s, 2 threads: Lathe / sklearn | ratio | predict s: Lathe / sklearn | ratio | peak MB Lathe / sklearn | Lathe metric | sklearn metric |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
while read -r name target task; do
    train=tests/data/splits/$name/train.csv
    test=tests/data/splits/$name/test.csv
    lathe1=$("$build/lathe_forest_bench" "$train" "$test" "$target" --threads 1 --runs "$runs")
    sklearn1=$(/usr/bin/python3 bench/forest_peers.py "$train" "$test" "$target" "$task" "$runs" 1)
    lathe=$("$build/lathe_forest_bench" "$train" "$test" "$target" --threads 2 --runs "$runs")
    sklearn=$(/usr/bin/python3 bench/forest_peers.py "$train" "$test" "$target" "$task" "$runs" 2)
    lathe_kb=$(peak_kb "$build/lathe_forest_bench" "$train" "$test" "$target" --threads 2 --runs 1)
    sklearn_kb=$(peak_kb /usr/bin/python3 bench/forest_peers.py "$train" "$test" "$target" "$task" 1)
    /usr/bin/python3 - "$name" "$lathe" "$sklearn" "$lathe_kb" "$sklearn_kb" "$lathe1" "$sklearn1" <<'PY'
import sys, json
name, lathe, sk, lathe_kb, sk_kb = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lathe1, sk1 = json.loads(sys.argv[6]), json.loads(sys.argv[7])
def metric(r):
    if "rmse" in r:
        return f"RMSE {r['rmse']:.2f}"
    return f"acc {r['accuracy']:.4f}, AUC {r['roc_auc']:.4f}"
print(f"| {name} | {lathe['train_rows']:,} | "
      f"{lathe1['train_cpu_seconds']:.3f} / {sk1['fit_cpu_seconds']:.3f} | "
      f"{sk1['fit_cpu_seconds'] / lathe1['train_cpu_seconds']:.2f}x | "
      f"{lathe['fit_seconds']:.3f} / {sk['fit_seconds']:.3f} | {sk['fit_seconds'] / lathe['fit_seconds']:.2f}x | "
      f"{lathe['predict_seconds']:.3f} / {sk['predict_seconds']:.3f} | "
      f"{sk['predict_seconds'] / lathe['predict_seconds']:.2f}x | "
      f"{lathe_kb / 1024:.0f} / {sk_kb / 1024:.0f} | {metric(lathe)} | {metric(sk)} |")
PY
done <<'LIST'
spam type binary
pima_diabetes2 diabetes binary
shuttle Class multiclass
income INCOME multiclass
diamonds price regression
LIST
