#!/usr/bin/env bash
# Installs the Debian 12 packages Trocar needs (only the missing ones), then configures and
# builds one CMake preset incrementally.  Usage: tools/setup.sh [PRESET]   (default: dev)
# Called by tools/run.sh and tools/test.sh; safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"

# Keep in step with ../shared/STACK.md and cmake/TrocarDependencies.cmake.
packages=(
  build-essential cmake ninja-build pkg-config git clang-format clang-tidy
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers glslc libimgui-dev libstb-dev xvfb xauth xdotool
  libglfw3-dev libglm-dev libbullet-dev libopenal-dev libopenxr-dev libopenxr-loader1 openxr-layer-corevalidation
  nlohmann-json3-dev libcli11-dev libxxhash-dev libzstd-dev libsodium-dev
  libyaml-cpp-dev libassimp-dev libmeshoptimizer-dev libgtest-dev libgmock-dev libbenchmark-dev
  libinsighttoolkit5-dev libgdcm-dev zlib1g-dev libsqlite3-dev libpq-dev
  postgresql slurmctld slurmd munge  # the history and Slurm tests start a throwaway server and a one-node cluster in a folder
  mricron-data python3-pydicom invesalius-examples libcgal-demo  # test data (tests/assets): real MRI, atlases, CT, a segmented liver; never copied into the repo
)

# The asan preset builds with clang and links libFuzzer into its fuzz targets (tools/fuzz.sh).
[[ "$preset" == asan ]] && packages+=(clang libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "trocar setup: installing ${#missing[@]} missing package(s): ${missing[*]}" >&2
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "trocar setup: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -f "build/$preset/build.ninja" ]]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset"
