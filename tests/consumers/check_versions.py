#!/usr/bin/env python3
"""callinfo: every place that states the version agrees.

    python3 tests/consumers/check_versions.py [SOURCE_ROOT]

Reads meson.build (project version), include/callinfo/version.hpp (the
macros and the string), packaging/vcpkg/ports/callinfo/vcpkg.json,
packaging/conan/conanfile.py, the newest entry of CHANGELOG.md and the
revision of packaging/meson/callinfo.wrap; exits 1 naming each one that
differs from meson.build.
"""
import ast
import configparser
import json
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])


def read(path):
    return (root / path).read_text(encoding="utf-8")


def meson_version():
    m = re.search(r"project\(\s*'callinfo'.*?version\s*:\s*'([^']+)'", read("meson.build"), re.S)
    return m.group(1) if m else None


def header_version():
    text = read("include/callinfo/version.hpp")
    macro = {k: re.search(rf"#define CALLINFO_VERSION_{k}\s+(\S+)", text) for k in ("MAJOR", "MINOR", "PATCH", "STRING")}
    if not all(macro.values()):
        return "(macros missing)"
    parts = ".".join(macro[k].group(1) for k in ("MAJOR", "MINOR", "PATCH"))
    string = macro["STRING"].group(1).strip('"')
    return string if string == parts else f"{string} (but MAJOR.MINOR.PATCH = {parts})"


def vcpkg_version():
    manifest = json.loads(read("packaging/vcpkg/ports/callinfo/vcpkg.json"))
    return manifest.get("version") or manifest.get("version-semver")


def conan_version():
    tree = ast.parse(read("packaging/conan/conanfile.py"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign) and any(getattr(t, "id", None) == "version" for t in stmt.targets)
                        and isinstance(stmt.value, ast.Constant)):
                    return stmt.value.value
    return None


def changelog_version():
    m = re.search(r"^## \[?(\d+\.\d+\.\d+)\]?", read("CHANGELOG.md"), re.M)
    return m.group(1) if m else None


def wrap_version():
    wrap = configparser.ConfigParser()
    wrap.read_string(read("packaging/meson/callinfo.wrap"))
    section = next((s for s in ("wrap-git", "wrap-file") if wrap.has_section(s)), None)
    if section == "wrap-git":
        return wrap.get(section, "revision", fallback="").removeprefix("v")
    m = re.search(r"(\d+\.\d+\.\d+)", wrap.get(section, "directory", fallback="")) if section else None
    return m.group(1) if m else None


expected = meson_version()
if not expected:
    sys.exit("check_versions: no project version in meson.build")
failed = False
for name, get in [("include/callinfo/version.hpp", header_version),
                  ("packaging/vcpkg/ports/callinfo/vcpkg.json", vcpkg_version),
                  ("packaging/conan/conanfile.py", conan_version),
                  ("CHANGELOG.md (newest entry)", changelog_version),
                  ("packaging/meson/callinfo.wrap", wrap_version)]:
    try:
        got = get()
    except (OSError, ValueError, SyntaxError, configparser.Error) as e:
        got = f"unreadable: {e}"
    ok = got == expected
    failed |= not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {got}")
print(f"meson.build: {expected}")
sys.exit(1 if failed else 0)
