#pragma once
// A display for window tests: the one in $DISPLAY, or a private Xvfb started on first use
// (and stopped at exit), so the GLFW swapchain path is tested on headless CI machines too.

#include <string>

namespace trocar::render::test {

// Returns an empty string when a display is reachable (DISPLAY is set for GLFW), else why not.
std::string ensureDisplay();

}  // namespace trocar::render::test
