# callinfo — what the vcpkg port passes to Meson, read from the port itself.
#
#   cmake -DSOURCE_ROOT=DIR -DINSTALLED_DIR=DIR -DPACKAGES_DIR=DIR -DOUT=FILE
#         [-DFEATURES=redis;dialog-info] -P tests/consumers/vcpkg_port_options.cmake
#
# Runs packaging/vcpkg/ports/callinfo/portfile.cmake with the vcpkg helpers
# it calls replaced by stubs (vcpkg_from_github hands back SOURCE_ROOT) and
# writes to OUT the port's Meson options, one a line, then each property it
# gives vcpkg_configure_meson as `property: NAME = VALUE`. INSTALLED_DIR
# stands for vcpkg's installed tree (CURRENT_INSTALLED_DIR), PACKAGES_DIR for
# the package directory the port installs its usage file into.
cmake_minimum_required(VERSION 3.19)  # string(JSON)

foreach(v SOURCE_ROOT INSTALLED_DIR PACKAGES_DIR OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "vcpkg_port_options.cmake: -D${v}= is required")
  endif()
endforeach()

set(PORT callinfo)
file(READ "${SOURCE_ROOT}/packaging/vcpkg/ports/callinfo/vcpkg.json" manifest)
string(JSON VERSION GET "${manifest}" version)
set(CURRENT_INSTALLED_DIR "${INSTALLED_DIR}")
set(CURRENT_PACKAGES_DIR "${PACKAGES_DIR}")
if(NOT DEFINED FEATURES)
  set(FEATURES "")
endif()
file(WRITE "${OUT}" "")

function(vcpkg_from_github)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF" "PATCHES")
  set(${arg_OUT_SOURCE_PATH} "${SOURCE_ROOT}" PARENT_SCOPE)
endfunction()

function(vcpkg_configure_meson)
  cmake_parse_arguments(PARSE_ARGV 0 arg "NO_PKG_CONFIG" "SOURCE_PATH"
    "OPTIONS;OPTIONS_DEBUG;OPTIONS_RELEASE;LANGUAGES;ADDITIONAL_BINARIES;ADDITIONAL_NATIVE_BINARIES;ADDITIONAL_CROSS_BINARIES;ADDITIONAL_PROPERTIES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vcpkg_configure_meson: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  foreach(o IN LISTS arg_OPTIONS arg_OPTIONS_RELEASE)
    file(APPEND "${OUT}" "${o}\n")
  endforeach()
  foreach(p IN LISTS arg_ADDITIONAL_PROPERTIES)
    file(APPEND "${OUT}" "property: ${p}\n")
  endforeach()
endfunction()

foreach(stub vcpkg_install_meson vcpkg_fixup_pkgconfig vcpkg_cmake_config_fixup vcpkg_install_copyright)
  cmake_language(EVAL CODE "function(${stub})\nendfunction()")
endforeach()

include("${SOURCE_ROOT}/packaging/vcpkg/ports/callinfo/portfile.cmake")
