#!/usr/bin/env bash
# Builds the fuzz targets (clang + libFuzzer, ASan+UBSan: part of the `asan` preset) and runs each one
# on its seed corpus for SECONDS (default 30, as CI does), two at a time. A finding fails the
# run and is kept under build/asan/findings/ with the command that reproduces it.
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]   (targets: scenario recording wav timeline mesh volume archive curriculum)
# A longer campaign: tools/fuzz.sh 3600 mesh   (new inputs it finds go to build/asan/corpus/mesh;
# copy the useful ones into tests/fuzz/corpus/mesh).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(scenario recording wav timeline mesh volume archive curriculum)
tools/setup.sh asan >&2

findings=build/asan/findings
mkdir -p "$findings"
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The asan tests' asset cache (the same build and compiler): the timeline target's reference
# cholecystectomy finds its imported liver there instead of importing it again.
export TROCAR_CACHE_DIR="$PWD/build/asan/test-cache"
run_one() {
  local t=$1 work=build/asan/corpus/$1
  mkdir -p "$work"
  # New inputs go to the scratch corpus (first folder); the seeds are only read. -timeout:
  # one input taking 25 s is a hang, a finding like a crash.
  if build/asan/tests/fuzz/trocar_fuzz_"$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$findings/$t-" "$work" "tests/fuzz/corpus/$t" \
      >"$findings/$t.log" 2>&1; then
    echo "fuzz $t: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$findings/$t.log" | grep -o '[0-9]*$') inputs in ${seconds} s, nothing found"
  else
    echo "fuzz $t: FOUND a problem; see $findings/$t.log" >&2
    grep -m1 -A12 'ERROR\|runtime error\|deadly signal\|timeout' "$findings/$t.log" >&2 || true
    for f in "$findings/$t"-*; do
      [[ -f "$f" ]] && echo "  reproduce: build/asan/tests/fuzz/trocar_fuzz_$t $f" >&2
    done
    return 1
  fi
}
export -f run_one
export seconds findings
jobs=$(nproc 2>/dev/null || echo 2)
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
