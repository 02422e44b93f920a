#!/usr/bin/env python3
"""The C++ examples of a Markdown file compile and run as written.

Every ```cpp block that defines `int main` is written to a file, compiled
with the build's compiler (warnings as errors) and run; it must exit 0.

usage: snippets.py MARKDOWN INCLUDE_DIR WORKDIR -- COMPILER [ARGS...]
"""
import pathlib
import re
import subprocess
import sys


def main() -> int:
    sep = sys.argv.index("--")
    markdown, include, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    compiler = sys.argv[sep + 1:]
    text = pathlib.Path(markdown).read_text()
    blocks = [b for b in re.findall(r"```cpp\n(.*?)```", text, re.S) if "int main" in b]
    if not blocks:
        print("no complete C++ example in " + markdown)
        return 1
    work.mkdir(parents=True, exist_ok=True)
    failed = 0
    for i, block in enumerate(blocks, 1):
        src = work / f"snippet{i}.cpp"
        exe = work / f"snippet{i}"
        src.write_text(block)
        build = subprocess.run(compiler + ["-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-O1",
                                           "-I" + include, str(src), "-o", str(exe)],
                               capture_output=True, text=True)
        if build.returncode != 0:
            print(f"example {i} of {markdown} does not compile:\n{block}\n{build.stderr}")
            failed += 1
            continue
        run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            print(f"example {i} of {markdown} exits {run.returncode}:\n{run.stdout}{run.stderr}")
            failed += 1
            continue
        print(f"example {i}: compiled and ran")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
