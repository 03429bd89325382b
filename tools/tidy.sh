#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy) on the C++ sources a change touches, with the
# developer build's compile commands; any finding fails. Headers are checked through the
# sources that include them.
# Usage: tools/tidy.sh [REVISION]   (default HEAD~1: the files the last commit changed, and
#        any changed since; CI runs it this way) | tools/tidy.sh --all
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/dev/compile_commands.json ]] || tools/setup.sh dev >&2
command -v clang-tidy >/dev/null || tools/setup.sh dev >&2
if [[ "${1:-}" == "--all" ]]; then
  mapfile -t files < <(git ls-files '*.cpp')
else
  base="${1:-HEAD~1}"
  if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
    # A shallow clone has no parent to compare with; checking every file takes too long here.
    echo "tidy: no revision $base to compare with; skipped (tools/tidy.sh --all checks everything)" >&2
    exit 0
  fi
  mapfile -t files < <( (git diff --name-only "$base" -- '*.cpp'; git ls-files --others --exclude-standard '*.cpp') | sort -u)
fi
# Only sources the build compiles (fuzz targets and ASan probes are not in the dev build).
known=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] && grep -q "\"file\": \"$PWD/$f\"" build/dev/compile_commands.json && known+=("$f")
done
if ((${#known[@]} == 0)); then
  echo "tidy: no compiled C++ source changed"
  exit 0
fi
echo "tidy: ${#known[@]} file(s)" >&2
# GCC-only warning flags in the compile commands are unknown to clang: not findings.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
printf '%s\n' "${known[@]}" | xargs -P "$(nproc)" -n 1 clang-tidy -p build/dev --quiet \
  --extra-arg=-Wno-unknown-warning-option >"$log" 2>&1 || status=1
grep -v 'warnings\? generated\.$' "$log" || true
((status == 0)) && echo "tidy: clean" >&2
exit "$status"
