# Version, git hash and build type, baked into trocar_core at build time.
# The git hash is re-read on every build so `trocar --version` never lies.
set(TROCAR_VERSION_IN ${CMAKE_CURRENT_LIST_DIR}/Version.cpp.in)
set(TROCAR_VERSION_OUT ${CMAKE_BINARY_DIR}/generated/Version.cpp)
add_custom_target(trocar_version_gen
  COMMAND ${CMAKE_COMMAND}
          -DIN=${TROCAR_VERSION_IN} -DOUT=${TROCAR_VERSION_OUT}
          -DSRC=${CMAKE_SOURCE_DIR} -DVERSION=${PROJECT_VERSION}
          -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
          -P ${CMAKE_CURRENT_LIST_DIR}/GenerateVersion.cmake
  BYPRODUCTS ${TROCAR_VERSION_OUT}
  COMMENT "Stamping version")
