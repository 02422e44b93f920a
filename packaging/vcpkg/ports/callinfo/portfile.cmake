# callinfo is header-only: one (release) configuration is enough.
set(VCPKG_BUILD_TYPE release)

vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    # PLACEHOLDER: the GitHub repository callinfo is published in, and the
    # SHA512 of its v${VERSION} archive (vcpkg prints it on the first
    # `vcpkg install` with SHA512 0).
    REPO callinfo/callinfo
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
)

# Meson's Boost lookup does not read cpp_args: point it at vcpkg's Boost.
vcpkg_configure_meson(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -Dtests=false
        -Dexamples=false
        -Dbench=false
        -Dfuzz=false
        -Dcmake_package=enabled
    ADDITIONAL_PROPERTIES
        "boost_root = '${CURRENT_INSTALLED_DIR}'"
)
vcpkg_install_meson()

# share/pkgconfig/callinfo.pc, share/cmake/callinfo -> share/callinfo
vcpkg_fixup_pkgconfig()
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/callinfo)

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
