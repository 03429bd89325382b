#!/usr/bin/env bash
# Trocar's main job, on a fresh Debian 12 machine or any later time: installs what is
# missing, builds the release preset, and runs `trocar` with the given arguments.
# With no arguments it runs the default scenario: on a headset when an OpenXR runtime answers,
# else in a desktop window when there is a display, else headless (a bot plays it and the
# score is printed). Every run is recorded; the recording and report paths are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh release >&2
if (($# == 0)); then set -- run; fi
exec build/release/trocar "$@"
