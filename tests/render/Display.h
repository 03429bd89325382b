#pragma once
// A display for window tests: a private Xvfb started on first use (and stopped at exit), never
// the caller's $DISPLAY, so the GLFW swapchain path is tested the same on a developer's desktop
// and on headless CI machines.

#include <string>

namespace trocar::render::test {

// Returns an empty string when the Xvfb runs (DISPLAY is set to it for GLFW), else why not.
std::string ensureDisplay();

}  // namespace trocar::render::test
