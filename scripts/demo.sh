#!/bin/sh
# demo.sh: Lathe's main job end to end on a small real dataset shipped in the
# repo, with embedded defaults. Usage: scripts/demo.sh PATH_TO_LATHE
set -eu
lathe=$1
data=tests/data/pima_diabetes2.csv

echo "== lathe describe $data --target diabetes"
"$lathe" describe "$data" --target diabetes
