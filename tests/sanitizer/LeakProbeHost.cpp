// Loads the leak probe library, lets it leak, unloads it (as the Vulkan loader does with an
// ICD at vkDestroyInstance) and exits; LeakSanitizer reports at exit.
#include <dlfcn.h>

#include <cstdio>

// Overwrites the stack below main's frame, where the probe's frame (and the pointer it lost)
// was: LeakSanitizer scans live stacks, and a stale copy there would hide the leak.
__attribute__((noinline)) void clobberStack() {
  volatile char buffer[16384];
  for (char& b : const_cast<char(&)[16384]>(buffer)) b = 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: trocar_leak_probe_host LIBRARY\n");
    return 2;
  }
  void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    std::fprintf(stderr, "%s\n", dlerror());
    return 2;
  }
  auto probe = reinterpret_cast<void (*)()>(dlsym(library, "trocar_leak_probe"));
  if (!probe) return 2;
  probe();
  clobberStack();
  dlclose(library);
  return 0;
}
