#!/usr/bin/env bash
# Builds and runs the whole test suite: the developer preset (with the clang-format check and
# clang-tidy on the last commit's files), then the ASan+UBSan preset (clang) and every fuzz
# target for 30 s, then the main job's smoke check. Installs missing packages first.
# Usage: tools/test.sh [--quick]   (--quick: developer preset only)
#
# Time on 2 cores matters (CI): the ASan preset leaves out the three ScenarioGoldens tests
# (full reference runs, 11 minutes under ASan; the developer preset checks them exactly) and
# PackIncision (84 s under ASan, nearly all of it importing the head CT; the same cutting
# code runs under ASan in the sim tests' packs) and the bench-sim JSON test (66 s under ASan for
# a check of the JSON's keys; the cases' code runs under ASan in the sim tests), and
# the smoke check runs the developer build's `trocar` (same sources as the release build that
# tools/run.sh makes; building a third configuration would cost six more minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
presets=(dev asan)
[[ "${1:-}" == "--quick" ]] && presets=(dev)
for preset in "${presets[@]}"; do
  echo "== trocar tests: $preset ==" >&2
  tools/setup.sh "$preset"
  if [[ "$preset" == dev ]]; then
    # Style: every C++ file as clang-format makes it (after setup, which installs it), and
    # clang-tidy's checks on what the last commit changed.
    tools/check-format.sh
    tools/tidy.sh
  fi
  ctest --preset "$preset"
  # Every reader's fuzz target, 30 s each, on its seed corpus (built by the asan preset).
  [[ "$preset" == asan ]] && tools/fuzz.sh 30
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
