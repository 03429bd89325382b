// A library that leaks 4 x 32 bytes each time it is asked to (see CMakeLists.txt); several
// blocks, as the most recent allocation can still be referenced from the allocator's state.
#include <cstdlib>

extern "C" __attribute__((visibility("default"))) void trocar_leak_probe() {
  for (int i = 0; i < 4; ++i) {
    void* volatile lost = std::malloc(32);
    (void)lost;
  }
}
