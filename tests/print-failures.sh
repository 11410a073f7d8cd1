#!/usr/bin/env bash
# print-failures.sh BUILD_DIR: repeats, at the very end of `make test`, the name and the last
# lines of output of each test that failed in BUILD_DIR's last ctest run. CI keeps only the tail
# of a long log, and a failure hundreds of tests back would otherwise be out of sight.
set -u
build=$1
failed=$build/Testing/Temporary/LastTestsFailed.log
log=$build/Testing/Temporary/LastTest.log
[[ -s $failed ]] || exit 0
echo "make test: tests that failed in $build:"
while IFS=: read -r _ name; do
  echo "==== $name (the last 60 lines of its output)"
  # A test's block in LastTest.log runs from "Testing: NAME" to its "time elapsed" line.
  awk -v name="$name" '$0 ~ "Testing: " name "$" {inside = 1} inside {print} inside && /time elapsed/ {exit}' \
    "$log" | tail -n 60
done <"$failed"
