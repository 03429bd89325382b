# Every dependency comes from Debian 12 packages (tools/setup.sh installs them).
# See ../shared/STACK.md for why each one is found the way it is.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Vulkan REQUIRED COMPONENTS glslc)   # Vulkan::Vulkan, Vulkan::glslc
find_package(glfw3 3.3 REQUIRED CONFIG)
find_package(glm REQUIRED CONFIG)
find_package(OpenAL REQUIRED)
find_package(OpenXR REQUIRED CONFIG)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(benchmark REQUIRED)
find_package(yaml-cpp REQUIRED)
if(TROCAR_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
# Bullet: pkg-config, not Debian's BulletConfig.cmake (relative include dirs, no targets).
pkg_check_modules(BULLET REQUIRED IMPORTED_TARGET bullet)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)  # the history database (embedded)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)  # the history on a PostgreSQL server
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)  # Ed25519 signatures, BLAKE2b (trocar sign)
pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)  # static, glfw + vulkan backends inside
pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)
