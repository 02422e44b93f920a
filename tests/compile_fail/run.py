#!/usr/bin/env python3
"""Compile-fail check: SOURCE must not compile with -DCALLINFO_COMPILE_FAIL
(and the compiler must say a deleted function was used), and must compile
without it (so the test fails when the snippet itself rots).

usage: run.py SOURCE INCLUDE_DIR -- COMPILER [ARGS...]
"""
import subprocess
import sys


def main() -> int:
    sep = sys.argv.index("--")
    source, include = sys.argv[1], sys.argv[2]
    compiler = sys.argv[sep + 1:]
    base = compiler + ["-std=c++20", "-fsyntax-only", "-I" + include, source]
    good = subprocess.run(base, capture_output=True, text=True)
    if good.returncode != 0:
        print("the control build (without CALLINFO_COMPILE_FAIL) failed:\n" + good.stderr)
        return 1
    bad = subprocess.run(base + ["-DCALLINFO_COMPILE_FAIL"], capture_output=True, text=True)
    if bad.returncode == 0:
        print("compiled, but must be refused: " + source)
        return 1
    if "delete" not in bad.stderr:
        print("refused for another reason than a deleted function:\n" + bad.stderr)
        return 1
    print("refused as expected: " + bad.stderr.strip().splitlines()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
