# Helpers that give every Trocar target the same settings.

# Warnings as errors on our own code only; third-party headers come in as SYSTEM
# through their imported targets.
function(trocar_target_defaults target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wdouble-promotion
    -Wformat=2 -Wimplicit-fallthrough -Wno-missing-field-initializers
    # GCC 12 at -O3 reports impossible memcpy overlaps/overflows inside std::string and
    # std::vector::insert (GCC bugs 105329, 106199): false positives in the standard library.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
    $<$<CXX_COMPILER_ID:GNU>:-Wno-stringop-overflow>
    -Werror)
endfunction()

# trocar_sanitizer_support(<executable>): in ASan builds, the libraries it loads stay loaded
# until exit, so leaks in them keep their module name for tools/lsan.supp.
function(trocar_sanitizer_support target)
  if(TROCAR_SANITIZE)
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/sanitizer/KeepLibrariesLoaded.cpp)
  endif()
endfunction()

# trocar_add_module(<target> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# One static library per module; public headers in include/trocar/<module>/.
function(trocar_add_module target)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${target} STATIC ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  trocar_target_defaults(${target})
endfunction()

# trocar_add_test(<target> SOURCES ... DEPS ...): a GoogleTest executable whose tests
# ctest lists one by one.
function(trocar_add_test target)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS} trocar_test_support GTest::gtest_main GTest::gmock)
  trocar_target_defaults(${target})
  trocar_sanitizer_support(${target})
  # gtest_discover_tests passes every list element as its own argument, so each property
  # carries exactly one variable (a list would set only its first).
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "TROCAR_LOG_LEVEL=warn"
               ENVIRONMENT_MODIFICATION "TROCAR_CACHE_DIR=set:${CMAKE_BINARY_DIR}/test-cache")
endfunction()
