#!/usr/bin/env bash
# Regenerates each reference scenario's benchmark (scenarios/<id>/benchmark.yaml): records the
# scenario's calibration experts (scenarios/<id>/calibration/expert-*.yaml, varied expert bots)
# into a scratch folder, then `trocar calibrate`s the reference expert recording with them
# (mean_plus_sd thresholds) and the reference novice recording as the novices, so the file says
# which metrics separate them. Run it after tools/update-scenario-goldens.sh, when the
# simulation or the metrics change on purpose, and commit what it writes. The calibration
# recordings are not kept: the bots and this build make them again, and the benchmark
# lists their digests.
#
#   tools/update-benchmarks.sh [BUILD_DIR]     (default: build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/dev}"
trocar="$build/trocar"
[ -x "$trocar" ] || { echo "error: no $trocar (build first: cmake --build --preset dev)" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for dir in scenarios/*/; do
  dir="${dir%/}"
  [ -d "$dir/calibration" ] || continue
  experts=("$dir/recordings/expert.trec")
  # Recording needs the scenario to load, and it names its benchmark: a first one from the
  # reference expert alone where there is none yet.
  [ -e "$dir/benchmark.yaml" ] || "$trocar" calibrate "$dir/scenario.yaml" --out "$dir/benchmark.yaml" \
    --experts "${experts[@]}" >/dev/null
  for bot in "$dir"/calibration/expert-*.yaml; do
    name="$(basename "$bot" .yaml)"
    "$trocar" record "$dir/scenario.yaml" --bot "$bot" --out "$scratch/$name.trec" --trainee "$name" >/dev/null
    experts+=("$scratch/$name.trec")
  done
  "$trocar" calibrate "$dir/scenario.yaml" --policy mean_plus_sd --out "$dir/benchmark.yaml" \
    --experts "${experts[@]}" --novices "$dir/recordings/novice.trec"
done
