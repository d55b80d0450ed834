#!/bin/sh
# read.sh: CSV loading, Lathe against pandas.read_csv, same files, same run.
# Usage: bench/read.sh BUILD_DIR [DATA_DIR]
# DATA_DIR holds fashion_train.csv and synth1m_train.csv from
# ../shared/bench/make_big.py (built there if missing) and diamonds.csv.
# Prints a Markdown table: median of 5 loads, MB/s, ratio, peak RSS.
set -eu
build=$1
data=${2:-bench/data}
runs=5
mkdir -p "$data"
if [ ! -f "$data/fashion_train.csv" ] || [ ! -f "$data/synth1m_train.csv" ]; then
    /usr/bin/python3 ../shared/bench/make_big.py "$data"
fi
[ -f "$data/diamonds.csv" ] || cp tests/data/diamonds.csv "$data/"

peak_kb() { # peak resident set of a command, in KiB
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}

echo "| file | MB | pandas s | lathe s | pandas MB/s | lathe MB/s | speed ratio | pandas peak MB | lathe peak MB | values MB | lathe peak / values |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for name in fashion_train.csv synth1m_train.csv diamonds.csv; do
    file="$data/$name"
    pandas_s=$(/usr/bin/python3 - "$file" "$runs" <<'PY'
import sys, time, statistics, pandas as pd
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); pd.read_csv(sys.argv[1]); times.append(time.perf_counter() - t)
print(f"{statistics.median(times):.4f}")
PY
)
    pandas_kb=$(peak_kb /usr/bin/python3 -c "import pandas as pd, sys; pd.read_csv(sys.argv[1])" "$file")
    json=$("$build/lathe_read_bench" "$file" "$runs")
    lathe_kb=$(peak_kb "$build/lathe_read_bench" "$file" 1)
    /usr/bin/python3 - "$name" "$pandas_s" "$pandas_kb" "$lathe_kb" "$json" <<'PY'
import sys, json
name, pandas_s, pandas_kb, lathe_kb, result = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
mb = result["bytes"] / 1e6
values = result["value_bytes"] / 1e6
print(f"| {name} | {mb:.1f} | {pandas_s:.3f} | {result['seconds']:.3f} | {mb / pandas_s:.0f} | {mb / result['seconds']:.0f} | "
      f"{pandas_s / result['seconds']:.2f}x | {pandas_kb / 1024:.0f} | {lathe_kb / 1024:.0f} | {values:.0f} | {lathe_kb * 1024 / 1e6 / values:.2f} |")
PY
done
