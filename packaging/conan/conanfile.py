import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy
from conan.tools.layout import basic_layout
from conan.tools.scm import Version

required_conan_version = ">=2.0"


class CallinfoConan(ConanFile):
    name = "callinfo"
    version = "0.1.0"
    description = ("Header-only C++20 library for the SIP call-info and line-seize event packages "
                   "(Shared Call Appearances): zero-copy parsers, a presence server and NOTIFY builders.")
    license = "BSL-1.0"
    topics = ("sip", "call-info", "line-seize", "shared-call-appearance", "presence", "parser", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    no_copy_source = True

    @property
    def _min_cppstd(self):
        return 20

    @property
    def _compilers_minimum_version(self):
        # The compilers callinfo is built and tested with.
        return {"gcc": "12", "clang": "14"}

    def export_sources(self):
        # The recipe lives in callinfo's own repository (packaging/conan/):
        # the package is made from the tree around it.
        root = os.path.join(self.recipe_folder, os.pardir, os.pardir)
        copy(self, "LICENSE*", src=root, dst=self.export_sources_folder)
        copy(self, "*", src=os.path.join(root, "include"), dst=os.path.join(self.export_sources_folder, "include"))

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # Spirit X3, header-only. A header-library's requirements are
        # transitive_headers, so consumers see Boost's headers too.
        self.requires("boost/[>=1.74 <2]")

    def package_id(self):
        self.info.clear()

    def validate(self):
        if self.settings.compiler.get_safe("cppstd"):
            check_min_cppstd(self, self._min_cppstd)
        minimum = self._compilers_minimum_version.get(str(self.settings.compiler))
        if minimum and Version(self.settings.compiler.version) < minimum:
            raise ConanInvalidConfiguration(
                f"{self.ref} requires C++{self._min_cppstd}, tested with {self.settings.compiler} >= {minimum}")

    def build(self):
        pass

    def package(self):
        # Header-only: the headers as they are. Conan writes the CMake and
        # pkg-config files itself (CMakeDeps, PkgConfigDeps) from package_info.
        copy(self, "LICENSE*", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "callinfo")
        self.cpp_info.set_property("cmake_target_name", "callinfo::callinfo")
        self.cpp_info.set_property("pkg_config_name", "callinfo")
        self.cpp_info.requires = ["boost::headers"]
