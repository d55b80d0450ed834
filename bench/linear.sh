#!/bin/sh
# linear.sh: L2 logistic regression (C=1) on standardized features, Lathe
# against liblinear (-s 0 -B 1: trust-region Newton, its default eps 0.01)
# and scikit-learn (lbfgs), on the same rows in the same run.
# Usage: bench/linear.sh BUILD_DIR [RUNS]   (from the repository root; build
# with -DCMAKE_BUILD_TYPE=Release). Needs liblinear-tools and python3-sklearn.
# Prints a Markdown table: fit seconds (median of RUNS) for Lathe with 1 and
# 2 threads, liblinear's train() alone and its command with text parsing,
# scikit-learn; Lathe's best time over liblinear's train(); test log loss and
# accuracy of each; and liblinear run to eps 1e-4 (its train() time, log
# loss, and Lathe's best time over it). Rows with Lathe options rerun Lathe only.
set -eu
build=$1
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

peak_kb() { # peak resident set of a command, in KiB
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}

echo "| data | rows × features, classes | Lathe options | Lathe 1 thread s | Lathe 2 threads s | liblinear train() s | liblinear command s | scikit-learn s | Lathe / liblinear | log loss Lathe / liblinear / sklearn | accuracy Lathe / liblinear / sklearn | Lathe iterations | peak MB Lathe / liblinear command | liblinear eps 1e-4: train() s, log loss | Lathe / liblinear eps 1e-4 |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
while read -r name train test target options; do
    # shellcheck disable=SC2086 # options are words
    one=$("$build/lathe_linear_bench" "$train" "$test" "$target" --threads 1 --runs "$runs" $options)
    # shellcheck disable=SC2086
    two=$("$build/lathe_linear_bench" "$train" "$test" "$target" --threads 2 --runs "$runs" $options)
    # shellcheck disable=SC2086
    lathe_kb=$(peak_kb "$build/lathe_linear_bench" "$train" "$test" "$target" --runs 1 $options)
    if [ ! -f "$work/$name.json" ]; then
        /usr/bin/python3 bench/linear_peers.py "$train" "$test" "$target" "$work" "$runs" >"$work/$name.json"
    fi
    /usr/bin/python3 - "$name" "${options:--}" "$one" "$two" "$lathe_kb" "$(cat "$work/$name.json")" <<'PY'
import sys, json
name, options = sys.argv[1], sys.argv[2]
one, two, lathe_kb, peers = json.loads(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5]), json.loads(sys.argv[6])
best = min(one["fit_seconds"], two["fit_seconds"])
print(f"| {name} | {one['n_train']:,} × {one['n_features']}, {one['n_classes']} | {options} | {one['fit_seconds']:.3f} | {two['fit_seconds']:.3f} | "
      f"{peers['liblinear_train_seconds']:.3f} | {peers['liblinear_seconds']:.2f} | {peers['sklearn_seconds']:.3f} | "
      f"{best / peers['liblinear_train_seconds']:.2f} | "
      f"{one['log_loss']:.4f} / {peers['liblinear_log_loss']:.4f} / {peers['sklearn_log_loss']:.4f} | "
      f"{one['accuracy']:.4f} / {peers['liblinear_accuracy']:.4f} / {peers['sklearn_accuracy']:.4f} | "
      f"{one['iterations']} | {lathe_kb / 1024:.0f} / {peers['liblinear_peak_mb']:.0f} | "
      f"{peers['liblinear_converged_train_seconds']:.3f}, {peers['liblinear_converged_log_loss']:.4f} | "
      f"{best / peers['liblinear_converged_train_seconds']:.2f} |")
PY
done <<'LIST'
spam tests/data/splits/spam/train.csv tests/data/splits/spam/test.csv type
spam tests/data/splits/spam/train.csv tests/data/splits/spam/test.csv type --bias-feature
spam tests/data/splits/spam/train.csv tests/data/splits/spam/test.csv type tol=1e-3
shuttle tests/data/splits/shuttle/train.csv tests/data/splits/shuttle/test.csv Class
shuttle tests/data/splits/shuttle/train.csv tests/data/splits/shuttle/test.csv Class tol=1e-3
synth1m bench/data/synth1m_train.csv bench/data/synth1m_test.csv y
LIST
