#!/usr/bin/env bash
# callinfo — build and run the outside consumer projects against a staged
# install of a callinfo build directory.
#
#   bash tests/consumers/run.sh -B BUILD_DIR [-w WORK_DIR] [-c "CXX..."] [CONSUMER...]
#
#   -B  a configured callinfo build directory: `meson install --destdir`
#       stages it into WORK_DIR/<compiler>/stage
#   -w  scratch directory (default: a new temporary directory, removed at
#       the end); nothing is written anywhere else
#   -c  the compilers to build each consumer with, one run per compiler
#       (default: $CXX, or "g++ clang++")
#
# CONSUMER (default: all of them):
#   cmake             tests/consumers/cmake: find_package(callinfo CONFIG) from
#                     the staged prefix (CMAKE_PREFIX_PATH)
#   pkgconfig         tests/consumers/pkgconfig: a plain Makefile using
#                     `pkg-config --cflags callinfo` (PKG_CONFIG_PATH and
#                     PKG_CONFIG_SYSROOT_DIR into the staging directory)
#   meson-subproject  tests/consumers/meson with the source tree as
#                     subprojects/callinfo and packaging/meson/callinfo.wrap
#                     (--wrap-mode=forcefallback: never an installed callinfo)
#   meson-pkgconfig   the same meson project finding the staged callinfo.pc
#                     (--wrap-mode=nofallback)
#   vcpkg-layout      a release build configured with the options the vcpkg
#                     port passes (read from the portfile by
#                     vcpkg_port_options.cmake, which also checks its
#                     features and its boost_root), installed into a package
#                     directory, its CMake package moved the way
#                     vcpkg_cmake_config_fixup moves it; then the cmake and
#                     pkgconfig consumers against that directory
#
# Each consumer prints the NOTIFY it built and exits non-zero on a mismatch;
# this script exits non-zero when any step fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_root=$(cd "$here/../.." && pwd)
build_dir= work= compilers=${CXX:-g++ clang++}
while getopts "B:w:c:" opt; do
  case $opt in
    B) build_dir=$(cd "$OPTARG" && pwd) ;;
    w) work=$OPTARG ;;
    c) compilers=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ -n "$build_dir" ] || { echo "usage: run.sh -B BUILD_DIR [-w WORK_DIR] [-c \"CXX...\"] [CONSUMER...]" >&2; exit 2; }
consumers=("$@")
[ ${#consumers[@]} -gt 0 ] || consumers=(cmake pkgconfig meson-subproject meson-pkgconfig vcpkg-layout)

# A missing tool is a skip (exit 77 for meson test), not a failure: scripts/test
# installs them all.
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "SKIP: $t is not installed" >&2; exit 77; }
  done
}
need "${MESON:-meson}" python3
for c in "${consumers[@]}"; do
  case $c in
    cmake) need "${CMAKE:-cmake}" ninja ;;
    pkgconfig) need pkg-config make ;;
    meson-pkgconfig) need pkg-config ;;
    vcpkg-layout) need "${CMAKE:-cmake}" ninja pkg-config make ;;
  esac
done

if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/callinfo-consumers.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
MESON=${MESON:-meson}
CMAKE=${CMAKE:-cmake}
# Outside projects see no build environment of ours.
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR CMAKE_PREFIX_PATH CPATH CPLUS_INCLUDE_PATH \
  CXXFLAGS CPPFLAGS LDFLAGS

step() { printf '== %s\n' "$*"; }

# copy_project NAME DEST: the consumer project NAME and the shared source,
# with the layout they refer to each other by (../common/consumer.cpp).
copy_project() {
  rm -rf "$2"
  mkdir -p "$2"
  cp -R "$here/common" "$here/$1" "$2/"
}

# stage_install DEST: `meson install --destdir` of the build directory; prints
# the staged prefix.
stage_install() {
  local prefix
  prefix=$("$MESON" introspect "$build_dir" --buildoptions |
    python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
  rm -rf "$1"
  "$MESON" install -C "$build_dir" --no-rebuild --quiet --destdir "$1" >&2
  echo "$1$prefix"
}

# expect_files PREFIX: what an install must contain; no lib/ (header-only),
# and in bin/ only the tools (callinfo-inspect, callinfo-play: installed with
# the examples).
expect_files() {
  local p=$1 f n
  for f in include/callinfo/callinfo.hpp include/callinfo/version.hpp include/callinfo/src.hpp \
    share/pkgconfig/callinfo.pc share/cmake/callinfo/callinfoConfig.cmake \
    share/cmake/callinfo/callinfoConfigVersion.cmake; do
    [ -f "$p/$f" ] || { echo "missing from the install: $f" >&2; return 1; }
  done
  n=$(cd "$source_root/include" && find callinfo -type f | wc -l)
  [ "$(cd "$p/include" && find callinfo -type f | wc -l)" -eq "$n" ] ||
    { echo "the install has not the $n files of include/callinfo" >&2; return 1; }
  if [ -e "$p/lib" ]; then echo "a header-only install has lib/" >&2; return 1; fi
  if [ -e "$p/bin" ] && [ -n "$(find "$p/bin" -mindepth 1 ! -name callinfo-inspect ! -name callinfo-play)" ]; then
    echo "the install's bin/ has more than the tools:" >&2
    ls "$p/bin" >&2
    return 1
  fi
}

run_cmake() {  # CXX PREFIX DIR
  copy_project cmake "$3"
  step "cmake consumer ($1) against $2"
  CXX=$1 "$CMAKE" -S "$3/cmake" -B "$3/build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_PREFIX_PATH="$2" -DCALLINFO_EXPECTED_PREFIX="$2" --no-warn-unused-cli >"$3/configure.log" ||
    { cat "$3/configure.log"; return 1; }
  grep -- '-- callinfo ' "$3/configure.log"
  "$CMAKE" --build "$3/build"
  "$3/build/consumer"
}

run_pkgconfig() {  # CXX PREFIX DIR [SYSROOT]
  copy_project pkgconfig "$3"
  step "pkg-config + make consumer ($1) against $2"
  (
    export PKG_CONFIG_PATH="$2/share/pkgconfig"
    [ -z "${4:-}" ] || export PKG_CONFIG_SYSROOT_DIR="$4"
    cflags=$(pkg-config --cflags callinfo)
    echo "pkg-config --cflags callinfo: $cflags"
    found=
    for f in $cflags; do
      case $f in -I*) [ "$(realpath -m "${f#-I}")" != "$(realpath -m "$2/include")" ] || found=1 ;; esac
    done
    [ -n "$found" ] || { echo "Cflags do not point into $2/include" >&2; exit 1; }
    make -C "$3/pkgconfig" CXX="$1"
  )
  "$3/pkgconfig/consumer"
}

run_meson() {  # CXX MODE(subproject|pkgconfig) DIR [PREFIX SYSROOT]
  copy_project meson "$3"
  local options=()
  if [ "$2" = subproject ]; then
    step "meson consumer ($1), callinfo as a subproject (the source tree)"
    mkdir -p "$3/meson/subprojects"
    ln -s "$source_root" "$3/meson/subprojects/callinfo"
    cp "$source_root/packaging/meson/callinfo.wrap" "$3/meson/subprojects/"
    options=(--wrap-mode=forcefallback)
  else
    step "meson consumer ($1), callinfo through pkg-config from $4"
    options=(--wrap-mode=nofallback)
  fi
  (
    if [ "$2" = pkgconfig ]; then
      export PKG_CONFIG_PATH="$4/share/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$5"
    fi
    cd "$3"  # meson setup leaves nothing in the current directory, but keep it ours
    CXX=$1 "$MESON" setup "${options[@]}" "$3/meson/build" "$3/meson" >"$3/configure.log" ||
      { cat "$3/configure.log"; exit 1; }
    grep -E "Dependency callinfo|Run-time dependency callinfo|Executing subproject callinfo" "$3/configure.log" || true
    "$MESON" compile -C "$3/meson/build" >"$3/compile.log" || { cat "$3/compile.log"; exit 1; }
  )
  "$3/meson/build/consumer"
}

# port_options OUT INSTALLED_DIR PACKAGES_DIR [FEATURES]: the Meson options
# and properties packaging/vcpkg/ports/callinfo/portfile.cmake passes
# (vcpkg_port_options.cmake runs it with the vcpkg helpers stubbed).
port_options() {
  "$CMAKE" -DSOURCE_ROOT="$source_root" -DOUT="$1" -DINSTALLED_DIR="$2" -DPACKAGES_DIR="$3" \
    -DFEATURES="${4:-}" -P "$here/vcpkg_port_options.cmake" >/dev/null
}

# check_port_logic DIR: the port's choices that a Debian build cannot show.
# Without features the optional components are disabled, each feature
# enables its own; boost_root is set exactly when the installed tree has
# Boost.
check_port_logic() {
  local d=$1 f
  mkdir -p "$d/bare" "$d/with-boost/include/boost" "$d/packages"
  touch "$d/with-boost/include/boost/version.hpp"
  port_options "$d/none" "$d/bare" "$d/packages"
  port_options "$d/redis" "$d/bare" "$d/packages" redis
  port_options "$d/all" "$d/with-boost" "$d/packages" "redis;dialog-info"
  for f in "none:-Dredis=disabled" "none:-Ddialog_info=disabled" "redis:-Dredis=enabled" \
    "redis:-Ddialog_info=disabled" "all:-Dredis=enabled" "all:-Ddialog_info=enabled" \
    "all:property: boost_root = '$d/with-boost'"; do
    grep -qxF -- "${f#*:}" "$d/${f%%:*}" ||
      { echo "the vcpkg port does not pass '${f#*:}' (${f%%:*}):" >&2; cat "$d/${f%%:*}" >&2; return 1; }
  done
  ! grep -q '^property: boost_root' "$d/none" ||
    { echo "the vcpkg port sets boost_root for an installed tree without Boost" >&2; return 1; }
}

# The install a vcpkg port makes (vcpkg_configure_meson's options with the
# port's own, vcpkg_install_meson), then what vcpkg_cmake_config_fixup does
# to a meson-generated CMake package: share/cmake/callinfo -> share/callinfo
# and PACKAGE_PREFIX_DIR two levels up. The installed tree stands for one
# without Boost (Boost is Debian's, on the default path), so the port sets
# no boost_root; its properties would go into a native file, as
# vcpkg_configure_meson writes them into its own.
run_vcpkg_layout() {  # CXX DIR
  local pkg=$2/packages/callinfo options=() properties=() line native=()
  step "vcpkg-style package directory ($1)"
  rm -rf "$2"
  mkdir -p "$2/installed" "$pkg"
  check_port_logic "$2/port-logic"
  port_options "$2/port-options" "$2/installed" "$pkg"
  while IFS= read -r line; do
    case $line in
      "property: "*) properties+=("${line#property: }") ;;
      *) options+=("$line") ;;
    esac
  done <"$2/port-options"
  echo "port options: ${options[*]}"
  if [ ${#properties[@]} -gt 0 ]; then
    { echo '[properties]'; printf '%s\n' "${properties[@]}"; } >"$2/port-native.ini"
    native=(--native-file "$2/port-native.ini")
  fi
  (
    cd "$2"
    CXX=$1 "$MESON" setup "$2/build" "$source_root" --prefix "$pkg" --libdir lib --buildtype release \
      -Doptimization=plain -Ddebug=false --pkgconfig.relocatable --wrap-mode nodownload \
      "${native[@]}" "${options[@]}" >"$2/configure.log" ||
      { cat "$2/configure.log"; exit 1; }
    "$MESON" install -C "$2/build" --no-rebuild --quiet
  )
  expect_files "$pkg"
  grep -q '^prefix=${pcfiledir}/../..' "$pkg/share/pkgconfig/callinfo.pc" ||
    { echo "callinfo.pc is not relocatable" >&2; return 1; }
  mkdir -p "$pkg/share/callinfo"
  mv "$pkg/share/cmake/callinfo/"* "$pkg/share/callinfo/"
  rm -r "$pkg/share/cmake"
  sed -i -E 's#(PACKAGE_PREFIX_DIR "\$\{CMAKE_CURRENT_LIST_DIR\})/\.\.(/\.\.)*"#\1/../../"#' \
    "$pkg/share/callinfo/callinfoConfig.cmake"
  grep -q 'CMAKE_CURRENT_LIST_DIR}/../../"' "$pkg/share/callinfo/callinfoConfig.cmake" ||
    { echo "PACKAGE_PREFIX_DIR line not in the form vcpkg_cmake_config_fixup rewrites" >&2; return 1; }
  run_cmake "$1" "$pkg" "$2/cmake"
  run_pkgconfig "$1" "$pkg" "$2/pkgconfig"
}

status=0
for cxx in $compilers; do
  tag=$(basename "${cxx##* }")
  dir=$work/$tag
  prefix=
  for c in "${consumers[@]}"; do
    case $c in
      cmake | pkgconfig | meson-pkgconfig)
        if [ -z "$prefix" ]; then
          step "meson install --destdir $dir/stage"
          prefix=$(stage_install "$dir/stage")
          expect_files "$prefix" || { status=1; continue 2; }
        fi ;;
    esac
    # A subshell outside any `||`, so that `set -e` stops a consumer at its
    # first failing command.
    set +e
    (
      set -e
      case $c in
        cmake) run_cmake "$cxx" "$prefix" "$dir/cmake" ;;
        pkgconfig) run_pkgconfig "$cxx" "$prefix" "$dir/pkgconfig" "$dir/stage" ;;
        meson-subproject) run_meson "$cxx" subproject "$dir/meson-subproject" ;;
        meson-pkgconfig) run_meson "$cxx" pkgconfig "$dir/meson-pkgconfig" "$prefix" "$dir/stage" ;;
        vcpkg-layout) run_vcpkg_layout "$cxx" "$dir/vcpkg-layout" ;;
        *) echo "unknown consumer: $c" >&2; exit 2 ;;
      esac
    )
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then echo "FAILED: $c with $cxx" >&2; status=1; fi
  done
done
[ $status -eq 0 ] && echo "all consumers OK (${consumers[*]}; compilers: $compilers)"
exit $status
