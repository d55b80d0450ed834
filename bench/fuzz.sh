#!/bin/sh
# fuzz.sh: longer fuzzing runs than make test gives each target (8 s).
# Usage: bench/fuzz.sh [SECONDS_PER_TARGET] (default 300), from the repo root.
# Builds the sanitized fuzz targets (make testbuild) and runs each over a copy
# of its committed corpus; crashes land in build/fuzz-long/NAME/.
set -eu
seconds=${1:-300}
make testbuild >/dev/null
for target in build/test/tests/fuzz_*; do
    name=$(basename "$target")
    work="build/fuzz-long/$name"
    mkdir -p "$work/corpus"
    cp -r "tests/fuzz/corpus/$name/." "$work/corpus/" 2>/dev/null || true
    echo "== $name ($seconds s)"
    "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" 2>&1 |
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY" || true
done
