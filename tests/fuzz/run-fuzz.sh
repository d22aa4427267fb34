#!/bin/sh
# run-fuzz.sh TARGET WORKDIR SECONDS SEED...
# Runs one libFuzzer target for a fixed time from a fresh corpus holding the
# seeds (the seeds themselves are never written to); crashes, leaks, hangs
# and allocations over 256 MiB fail the test, and the input that did it is
# left in WORKDIR.
set -eu
target=$1 work=$2 seconds=$3
shift 3
rm -rf "$work"
mkdir -p "$work/corpus"
cp "$@" "$work/corpus/"
exec "$target" -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=256 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus"
