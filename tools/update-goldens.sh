#!/usr/bin/env bash
# Regenerates the golden images in tests/golden/ from the current renderer (dev build).
# Only run this after looking at the new pictures: `git diff --stat tests/golden` shows which
# changed, and the render tests write actual/diff images to build/dev/golden-diff/ on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh dev >/dev/null
TROCAR_UPDATE_GOLDENS=1 TROCAR_LOG_LEVEL=warn build/dev/tests/render/trocar_render_tests
echo "goldens written to tests/golden/; review them before committing"
