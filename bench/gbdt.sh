#!/bin/sh
# gbdt.sh: gradient boosting, Lathe against XGBoost (hist) and scikit-learn's
# HistGradientBoostingClassifier, same files, same run, 2 threads, 100
# rounds, learning rate 0.3, 255 value bins: Lathe depth-wise to depth 6
# against XGBoost's depth 6, Lathe leaf-wise with 31 leaves against
# HistGradientBoosting's 31 leaves.
# Usage: bench/gbdt.sh BUILD_DIR [RUNS] [DATASET...]   (from the repository
# root; build with -DCMAKE_BUILD_TYPE=Release; DATASET is synth1m or fashion,
# default both). Fashion-MNIST fits once whatever RUNS says: XGBoost takes
# minutes on it. Needs python3-xgboost and python3-sklearn.
# Prints a Markdown table per dataset: median fit seconds, batch prediction
# rows/s on the test file (Lathe: lathe__ensemble_predict_parallel on 2
# threads; peers: predict_proba), one-row latency in microseconds (Lathe:
# lathe__ensemble_predict_row with the whole model and its first 100
# trees), test accuracy / ROC-AUC / log loss, the fit's peak memory (VmHWM
# from just before fitting) and the whole process's peak (/usr/bin/time).
set -eu
build=$1
runs=${2:-3}
shift $(($# < 2 ? $# : 2))
datasets=${*:-synth1m fashion}
threads=2
rounds=100
rate=0.3
depth=6
leaves=31
bins=255
export OMP_NUM_THREADS=$threads

peak_kb() { # peak resident set of a command, in KiB (its output goes to $out)
    /usr/bin/time -f '%M' -o "$work/time" "$@" >"$out"
    tail -n 1 "$work/time"
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/out

for name in $datasets; do
    case $name in
    synth1m) target=y; n=$runs ;;
    fashion) target=label; n=1 ;;
    *) echo "unknown dataset $name (synth1m or fashion)" >&2; exit 2 ;;
    esac
    train=bench/data/${name}_train.csv
    test=bench/data/${name}_test.csv
    common="n_estimators=$rounds learning_rate=$rate max_bin=$bins"
    kb_d=$(peak_kb "$build/lathe_gbdt_bench" "$train" "$test" "$target" --threads $threads \
        --runs "$n" $common max_depth=$depth)
    lathe_d=$(cat "$out")
    kb_l=$(peak_kb "$build/lathe_gbdt_bench" "$train" "$test" "$target" --threads $threads \
        --runs "$n" $common grow_policy=lossguide num_leaves=$leaves)
    lathe_l=$(cat "$out")
    kb_x=$(peak_kb /usr/bin/python3 bench/gbdt_peers.py xgb "$train" "$test" "$target" "$n" \
        $threads $rounds $rate $depth $leaves $bins)
    xgb=$(cat "$out")
    kb_h=$(peak_kb /usr/bin/python3 bench/gbdt_peers.py hgb "$train" "$test" "$target" "$n" \
        $threads $rounds $rate $depth $leaves $bins)
    hgb=$(cat "$out")
    /usr/bin/python3 - "$name" "$lathe_d" "$kb_d" "$xgb" "$kb_x" "$lathe_l" "$kb_l" "$hgb" "$kb_h" <<'PY'
import sys, json
name = sys.argv[1]
rows = [("Lathe depthwise 6", json.loads(sys.argv[2]), int(sys.argv[3])),
        ("XGBoost hist depth 6", json.loads(sys.argv[4]), int(sys.argv[5])),
        ("Lathe lossguide 31", json.loads(sys.argv[6]), int(sys.argv[7])),
        ("sklearn HGB 31 leaves", json.loads(sys.argv[8]), int(sys.argv[9]))]
print(f"\n**{name}** ({rows[0][1]['n_train']:,} train rows × {rows[0][1]['n_features']} "
      f"features, {rows[0][1]['n_classes']} classes, {rows[0][1]['n_trees']} trees)\n")
print("| model | fit s | predict rows/s | 1-row µs (all trees) | 1-row µs (100 trees) | accuracy | ROC-AUC | log loss | fit peak MB | process peak MB |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for label, r, kb in rows:
    hundred = f"{r['row_microseconds_100_trees']:.1f}" if "row_microseconds_100_trees" in r else "-"
    print(f"| {label} | {r['fit_seconds']:.2f} | {r['predict_rows_per_s']:,.0f} | "
          f"{r['row_microseconds']:.1f} | {hundred} | {r['accuracy']:.4f} | {r['roc_auc']:.4f} | "
          f"{r['log_loss']:.4f} | {r['fit_peak_mb']:.0f} | {kb / 1024:.0f} |")
lathe, xgb, lathe_l, hgb = (r for _, r, _ in rows)
print(f"\nRatios: fit Lathe/XGBoost {lathe['fit_seconds'] / xgb['fit_seconds']:.2f}, "
      f"Lathe/HGB {lathe_l['fit_seconds'] / hgb['fit_seconds']:.2f}; batch prediction "
      f"Lathe/XGBoost {lathe['predict_rows_per_s'] / xgb['predict_rows_per_s']:.2f}, "
      f"Lathe/HGB {lathe_l['predict_rows_per_s'] / hgb['predict_rows_per_s']:.2f}; process peak "
      f"Lathe/XGBoost {int(sys.argv[3]) / int(sys.argv[5]):.2f}.")
PY
done
