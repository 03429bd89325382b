#!/usr/bin/env bash
# Regenerates the reference recordings: for every scenarios/<id>/bots/{expert,novice}*.yaml,
# records the bot to scenarios/<id>/recordings/<bot>.trec and writes the report of replaying
# it to <bot>.expected.json next to it. Run it when a change to the simulation alters results
# on purpose (the scenario-golden tests fail until then), and commit what it writes.
#
#   tools/update-scenario-goldens.sh [BUILD_DIR]     (default: build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/dev}"
trocar="$build/trocar"
[ -x "$trocar" ] || { echo "error: no $trocar (build first: cmake --build --preset dev)" >&2; exit 2; }
# Goldens carry the build id: only a build of committed sources may write them.
if "$trocar" --version | grep -q -- '-dirty'; then
  echo "error: $("$trocar" --version) was built from uncommitted changes" >&2
  echo "  hint: commit, rebuild (cmake --build $build), then run this again" >&2
  exit 2
fi
for bot in scenarios/*/bots/expert*.yaml scenarios/*/bots/novice*.yaml; do
  [ -e "$bot" ] || continue
  dir="$(dirname "$(dirname "$bot")")"
  name="$(basename "$bot" .yaml)"
  mkdir -p "$dir/recordings"
  "$trocar" record "$dir/scenario.yaml" --bot "$bot" --out "$dir/recordings/$name.trec" --trainee "$name"
  # Exit 1 is a bot below the pass mark: expected for novices.
  "$trocar" replay "$dir/recordings/$name.trec" --scenario "$dir/scenario.yaml" \
    --report "$dir/recordings/$name.expected.json" >/dev/null 2>&1 || [ $? -eq 1 ]
  echo "wrote $dir/recordings/$name.trec and $name.expected.json"
done
