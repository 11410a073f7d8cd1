#!/usr/bin/env bash
# Metric extraction benchmark: mljob's extractor (RE2) against Python's `re` doing the same
# extraction, in the same run, each pinned to one core, over a synthetic training log of
# 1 GiB (and 256 MiB, to see that memory stays flat as the log grows). The logs are written
# to /tmp and deleted at the end.
#   bench/metrics_extraction.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bench=$build/bench/metrics_extraction_bench
python=/usr/bin/python3
core=${BENCH_CORE:-0}
work=$(mktemp -d /tmp/mljob-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

for size in $((256 << 20)) $((1 << 30)); do
  log=$work/output.log
  "$python" "$here/gen_training_log.py" "$log" "$size"
  cat "$log" >/dev/null  # both read it from the page cache
  fast=$(taskset -c "$core" "$bench" "$log")
  slow=$(taskset -c "$core" "$python" "$here/python_extract.py" "$log")
  echo "$fast"
  echo "$slow"
  "$python" - "$fast" "$slow" <<'PY'
import json, sys
fast, slow = json.loads(sys.argv[1]), json.loads(sys.argv[2])
same = fast["datapoints"] == slow["datapoints"] and abs(fast["sum"] - slow["sum"]) <= 1e-6 * abs(slow["sum"])
print(f"log {fast['bytes'] / 2**20:.0f} MiB: mljob {fast['mb_per_s']:.0f} MB/s, python re {slow['mb_per_s']:.1f} MB/s, "
      f"ratio {fast['mb_per_s'] / slow['mb_per_s']:.1f}x; datapoints {fast['datapoints']} vs {slow['datapoints']} "
      f"({'same' if same else 'DIFFERENT'}); max RSS mljob {fast['max_rss_kib'] / 1024:.1f} MiB")
sys.exit(0 if same else 1)
PY
  rm -f "$log"
done
