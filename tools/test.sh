#!/usr/bin/env bash
# Builds and runs the whole test suite: the developer preset (and the clang-format check),
# then the ASan+UBSan preset, then the main job's smoke check. Installs missing packages first.
# Usage: tools/test.sh [--quick]   (--quick: developer preset only)
#
# Time on 2 cores matters (CI): the ASan preset leaves out the three ScenarioGoldens tests
# (full reference runs, 11 minutes under ASan; the developer preset checks them exactly), and
# the smoke check runs the developer build's `trocar` (same sources as the release build that
# tools/run.sh makes; building a third configuration would cost six more minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
presets=(dev asan)
[[ "${1:-}" == "--quick" ]] && presets=(dev)
for preset in "${presets[@]}"; do
  echo "== trocar tests: $preset ==" >&2
  tools/setup.sh "$preset"
  # Style: every C++ file as clang-format makes it (after setup, which installs it).
  [[ "$preset" == dev ]] && tools/check-format.sh
  ctest --preset "$preset"
done
if [[ "${1:-}" != "--quick" ]]; then
  # The README's main job: it must start and run the default scenario (headless here: a bot
  # plays it; the recording goes to a scratch folder).
  echo "== trocar main job: smoke check ==" >&2
  build/dev/trocar doctor >/dev/null
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  env -u DISPLAY -u WAYLAND_DISPLAY TROCAR_DATA_DIR="$scratch" build/dev/trocar run --rig headless >/dev/null
fi
