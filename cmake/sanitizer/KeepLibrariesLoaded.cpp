// ASan builds only (TROCAR_SANITIZE; trocar_sanitizer_support in TrocarTargets.cmake): every
// library a process loads stays loaded until it exits. LeakSanitizer reports at exit, and a
// leak inside a library that was dlclose()d by then (a Vulkan ICD after
// vkDestroyInstance, the validation layer, an OpenXR runtime) has no module name, so no
// suppression in tools/lsan.supp could match it and the report depended on the driver.
// Defining dlclose here makes the loaders' calls into no-ops.
extern "C" int dlclose(void* /*handle*/) {
  return 0;
}
