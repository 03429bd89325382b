#!/usr/bin/env bash
# Builds and runs the whole test suite: the developer preset, then the ASan+UBSan preset.
# Installs missing packages first.  Usage: tools/test.sh [--quick]   (--quick: dev preset only)
set -euo pipefail
cd "$(dirname "$0")/.."
presets=(dev asan)
[[ "${1:-}" == "--quick" ]] && presets=(dev)
for preset in "${presets[@]}"; do
  echo "== trocar tests: $preset ==" >&2
  tools/setup.sh "$preset"
  ctest --preset "$preset"
done
if [[ "${1:-}" != "--quick" ]]; then
  # The README's main job builds the release preset: it must build and run the default
  # scenario too (headless here: a bot plays it; the recording goes to a scratch folder).
  echo "== trocar release build: main job smoke check ==" >&2
  tools/setup.sh release
  build/release/trocar doctor >/dev/null
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  env -u DISPLAY -u WAYLAND_DISPLAY TROCAR_DATA_DIR="$scratch" build/release/trocar run --rig headless >/dev/null
fi
