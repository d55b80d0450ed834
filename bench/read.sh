#!/bin/sh
# read.sh: CSV loading, Lathe against pandas.read_csv, same files, same run.
# Usage: bench/read.sh BUILD_DIR [DATA_DIR] [ROUNDS]
# DATA_DIR holds fashion_train.csv and synth1m_train.csv from
# ../shared/bench/make_big.py (built there if missing) and diamonds.csv.
# Prints a Markdown table: per file, ROUNDS rounds (default 3) of 5 pandas
# loads then 5 Lathe loads, each side's median load; the table gives the
# median over rounds of each side and of the per-round ratio, with the
# ratios' range (this guest's speed drifts by up to a third from minute to
# minute, so only loads close in time are compared), MB/s and peak RSS.
set -eu
build=$1
data=${2:-bench/data}
runs=5
rounds=${3:-3}
mkdir -p "$data"
if [ ! -f "$data/fashion_train.csv" ] || [ ! -f "$data/synth1m_train.csv" ]; then
    /usr/bin/python3 ../shared/bench/make_big.py "$data"
fi
[ -f "$data/diamonds.csv" ] || cp tests/data/diamonds.csv "$data/"

peak_kb() { # peak resident set of a command, in KiB
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}

echo "| file | MB | pandas s | lathe s | pandas MB/s | lathe MB/s | speed ratio | ratio range | pandas peak MB | lathe peak MB | values MB | lathe peak / values |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for name in fashion_train.csv synth1m_train.csv diamonds.csv; do
    file="$data/$name"
    pairs=""
    round=0
    while [ "$round" -lt "$rounds" ]; do
        pandas_s=$(/usr/bin/python3 - "$file" "$runs" <<'PY'
import sys, time, statistics, pandas as pd
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); pd.read_csv(sys.argv[1]); times.append(time.perf_counter() - t)
print(f"{statistics.median(times):.4f}")
PY
)
        json=$("$build/lathe_read_bench" "$file" "$runs" | tr -d " ")
        pairs="$pairs $pandas_s,$json"
        round=$((round + 1))
    done
    pandas_kb=$(peak_kb /usr/bin/python3 -c "import pandas as pd, sys; pd.read_csv(sys.argv[1])" "$file")
    lathe_kb=$(peak_kb "$build/lathe_read_bench" "$file" 1)
    /usr/bin/python3 - "$name" "$pandas_kb" "$lathe_kb" $pairs <<'PY'
import sys, json, statistics
name, pandas_kb, lathe_kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rounds = [(float(p), json.loads(j)) for p, j in (arg.split(",", 1) for arg in sys.argv[4:])]
result = rounds[0][1]
mb = result["bytes"] / 1e6
values = result["value_bytes"] / 1e6
pandas_s = statistics.median(p for p, _ in rounds)
lathe_s = statistics.median(r["seconds"] for _, r in rounds)
ratios = [p / r["seconds"] for p, r in rounds]
print(f"| {name} | {mb:.1f} | {pandas_s:.3f} | {lathe_s:.3f} | {mb / pandas_s:.0f} | {mb / lathe_s:.0f} | "
      f"{statistics.median(ratios):.2f}x | {min(ratios):.2f}-{max(ratios):.2f}x | {pandas_kb / 1024:.0f} | "
      f"{lathe_kb / 1024:.0f} | {values:.0f} | {lathe_kb * 1024 / 1e6 / values:.2f} |")
PY
done
