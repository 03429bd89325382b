#!/usr/bin/env bash
# Trocar's main job, on a fresh Debian 12 machine or any later time: installs what is
# missing, builds the release preset, and runs `trocar` with the given arguments.
# With no arguments it checks the machine with `trocar doctor` (`trocar run` comes with
# the app-loop work).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh release >&2
if (($# == 0)); then set -- doctor; fi
exec build/release/trocar "$@"
