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
printf '\nThe model is %s; its predictions are in %s.\n' "$out/diabetes.lathe" "$out/predictions.csv"
