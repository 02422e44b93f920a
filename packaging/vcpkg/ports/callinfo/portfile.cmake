# callinfo is header-only: one (release) configuration is enough.
set(VCPKG_BUILD_TYPE release)

vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    # PLACEHOLDER: the GitHub repository callinfo is published in, and the
    # SHA512 of its v${VERSION} archive. GitHub makes that archive with
    # `git archive` and `gzip -n`, so it is reproduced from the tagged
    # checkout (packaging/README.md, "The archive and its SHA512"):
    #   git archive --prefix=callinfo-${VERSION}/ v${VERSION} | gzip -n | sha512sum
    # (vcpkg also prints the hash it downloaded on a first install with SHA512 0).
    REPO callinfo/callinfo
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
)

# The optional components follow the port's features, never what else
# happens to be installed: without the feature, Meson's `auto` would pick up
# a hiredis or pugixml found in the installed tree or on the system.
set(feature_options "")
foreach(feature IN ITEMS redis dialog-info)
    string(REPLACE "-" "_" meson_option "${feature}")
    if("${feature}" IN_LIST FEATURES)
        list(APPEND feature_options "-D${meson_option}=enabled")
    else()
        list(APPEND feature_options "-D${meson_option}=disabled")
    endif()
endforeach()

# Meson's Boost lookup does not read cpp_args: point it at vcpkg's Boost
# when the installed tree has one (boost-spirit puts it there); otherwise
# leave Meson to its own search.
set(boost_properties "")
if(EXISTS "${CURRENT_INSTALLED_DIR}/include/boost/version.hpp")
    set(boost_properties ADDITIONAL_PROPERTIES "boost_root = '${CURRENT_INSTALLED_DIR}'")
endif()

vcpkg_configure_meson(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -Dtests=false
        -Dexamples=false
        -Dbench=false
        -Dfuzz=false
        -Dcmake_package=enabled
        ${feature_options}
    ${boost_properties}
)
vcpkg_install_meson()

# share/pkgconfig/callinfo.pc, share/cmake/callinfo -> share/callinfo
vcpkg_fixup_pkgconfig()
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/callinfo)

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
