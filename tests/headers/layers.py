#!/usr/bin/env python3
"""The layers' boundary: model/, line/, policy/ and presence/ compile without
syntax/ (the presence server takes typed requests; the Call-Info adapter in
adapters/ is the stack's step, not the server's).

Copies include/callinfo without syntax/ and adapters/ into WORKDIR and
compiles every header of those four folders alone (-fsyntax-only).

usage: layers.py INCLUDE_DIR WORKDIR -- COMPILER [ARGS...]
"""
import pathlib
import shutil
import subprocess
import sys


def main() -> int:
    sep = sys.argv.index("--")
    include, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    compiler = sys.argv[sep + 1:]
    tree = work / "include"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(include, tree, ignore=shutil.ignore_patterns("syntax", "adapters"))
    failed = 0
    headers = sorted(p for d in ("model", "line", "policy", "presence")
                     for p in (tree / "callinfo" / d).rglob("*.hpp"))
    for h in headers:
        name = h.relative_to(tree).as_posix()
        src = work / "one.cpp"
        src.write_text(f"#include <{name}>\n")
        r = subprocess.run(compiler + ["-std=c++20", "-fsyntax-only", "-I" + str(tree), str(src)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name} needs what syntax/ or adapters/ holds:\n{r.stderr[:2000]}")
            failed += 1
    print(f"{len(headers) - failed} of {len(headers)} headers compile without syntax/")
    return 1 if failed or not headers else 0


if __name__ == "__main__":
    sys.exit(main())
