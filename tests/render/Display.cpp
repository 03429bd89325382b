#include "Display.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace trocar::render::test {
namespace {

pid_t gXvfb = -1;

void stopXvfb() {
  if (gXvfb > 0) {
    kill(gXvfb, SIGTERM);
    waitpid(gXvfb, nullptr, 0);
    gXvfb = -1;
  }
}

}  // namespace

std::string ensureDisplay() {
  // Our own Xvfb, always, never the caller's DISPLAY: a developer's desktop (its size, its
  // window manager, a GPU behind it) must not change what the window tests see.
  if (gXvfb > 0) return {};
  int fds[2];
  if (pipe(fds) != 0) return "pipe() failed";
  const pid_t pid = fork();
  if (pid < 0) return "fork() failed";
  if (pid == 0) {
    close(fds[0]);
    const std::string fd = std::to_string(fds[1]);
    execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", "1024x768x24", "-nolisten", "tcp",
           static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  gXvfb = pid;
  std::atexit(stopXvfb);
  char buffer[32] = {};
  size_t got = 0;
  while (got < sizeof(buffer) - 1) {
    const ssize_t n = read(fds[0], buffer + got, 1);
    if (n <= 0 || buffer[got] == '\n') break;
    ++got;
  }
  close(fds[0]);
  buffer[got] = '\0';
  if (got == 0) {
    stopXvfb();
    return "Xvfb did not start (apt-get install xvfb; tools/setup.sh installs it)";
  }
  setenv("DISPLAY", (std::string(":") + buffer).c_str(), 1);
  return {};
}

}  // namespace trocar::render::test
