#!/bin/sh
# demo.sh: Lathe's main job end to end on a small real dataset shipped in the
# repo (Pima Indians diabetes, 768 rows with missing cells), with embedded
# defaults: files under LATHE_HOME (default ./.lathe).
# Usage: scripts/demo.sh PATH_TO_LATHE
set -eu
lathe=$1
home=${LATHE_HOME:-.lathe}
out="$home/demo"
mkdir -p "$out"
data=tests/data/splits/pima_diabetes2

step() {
    printf '\n== %s\n' "$*"
    "$@"
}

step "$lathe" describe "$data/train.csv" --target diabetes
step "$lathe" train "$data/train.csv" --target diabetes --seed 42 -o "$out/diabetes.lathe"
step "$lathe" evaluate "$out/diabetes.lathe" "$data/test.csv"
printf '\n== %s\n' "$lathe predict $out/diabetes.lathe $data/test.csv --proba -o $out/predictions.csv"
"$lathe" predict "$out/diabetes.lathe" "$data/test.csv" --proba -o "$out/predictions.csv"
head -n 5 "$out/predictions.csv"
step "$lathe" inspect "$out/diabetes.lathe"

# Gradient boosting on the same rows: early stopping holds out a tenth of the
# training rows and keeps the best round; each prediction is explained.
step "$lathe" train "$data/train.csv" --target diabetes --model gbdt --set n_estimators=500 \
    --set learning_rate=0.05 --set max_depth=3 --set early_stopping_rounds=20 --seed 42 \
    -o "$out/diabetes_gbdt.lathe"
step "$lathe" evaluate "$out/diabetes_gbdt.lathe" "$data/test.csv"
printf '\n== %s\n' "$lathe inspect $out/diabetes_gbdt.lathe | grep fitted"
"$lathe" inspect "$out/diabetes_gbdt.lathe" | grep '^fitted'
printf '\n== %s\n' "$lathe predict $out/diabetes_gbdt.lathe $data/test.csv --explain --top 2 | head -n 4"
"$lathe" predict "$out/diabetes_gbdt.lathe" "$data/test.csv" --explain --top 2 | head -n 4
printf '\nThe models are %s and %s; predictions are in %s.\n' "$out/diabetes.lathe" \
    "$out/diabetes_gbdt.lathe" "$out/predictions.csv"
