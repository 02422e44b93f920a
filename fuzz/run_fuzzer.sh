#!/bin/sh
# callinfo — runs one libFuzzer target for a fixed time on a copy of its seed
# corpus in the build directory (the source tree is never written).
#
#   run_fuzzer.sh FUZZER SEEDS REGRESSIONS DICT WORKDIR SECONDS
#
# WORKDIR/corpus keeps what earlier runs found; the seeds and regressions are
# copied over it on every run. Crash, leak, timeout and out-of-memory
# reproducers land in WORKDIR/artifacts/. Exits non-zero on any finding.
set -eu
fuzzer=$1 seeds=$2 regressions=$3 dict=$4 work=$5 seconds=$6

mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
if [ -d "$regressions" ]; then
  find "$regressions" -type f ! -name '.*' -exec cp {} "$work/corpus/" \;
fi
exec "$fuzzer" \
  -max_total_time="$seconds" \
  -timeout=10 \
  -max_len=4096 \
  -dict="$dict" \
  -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" \
  "$work/corpus"
