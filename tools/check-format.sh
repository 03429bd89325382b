#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format (Debian 12's, 14) makes of it
# with the repository's .clang-format. Fix with: git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is missing (tools/setup.sh installs it)" >&2; exit 2; }
if ! git ls-files -z '*.cpp' '*.h' | xargs -0 clang-format --dry-run --Werror 2>/tmp/trocar-format.$$; then
  grep -E "^[^ ].*: error:" /tmp/trocar-format.$$ | cut -d: -f1-2 | sort -u | head -40 >&2
  rm -f /tmp/trocar-format.$$
  echo "check-format: the files above are not formatted; run: git ls-files '*.cpp' '*.h' | xargs clang-format -i" >&2
  exit 1
fi
rm -f /tmp/trocar-format.$$
