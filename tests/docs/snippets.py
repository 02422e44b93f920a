#!/usr/bin/env python3
"""Every C++ block of the documentation compiles, and the whole programs run.

Reads README.md and docs/*.md under ROOT. Each ```cpp block is one of
(see docs/testing.md, "C++ blocks in the documentation"):

  a program    it defines `int main`: compiled, linked and run; it must
               exit 0 (a program says whether it saw what the text claims);
  a fragment   marked `<!-- snippet: fragment -->` on the line before the
               fence: statements wrapped into a function of a translation
               unit that includes <callinfo/callinfo.hpp>; compiled, not run.
               Its `#include` lines go to the top of the unit. Lines between
               `<!-- snippet: fragment` and `-->` are setup code put before
               the function (declarations the fragment uses);
  a unit       marked `<!-- snippet: unit -->`: a whole translation unit
               with no main (a stack's glue: definitions at namespace
               scope), compiled, not run. The umbrella header and the
               standard headers come first; the block's own preprocessor
               lines next; then the setup lines of the marker (declarations
               of the helpers the text leaves out), then the rest;
  skipped      marked `<!-- snippet: skip REASON -->`: not compiled.

`needs=FEATURE[,FEATURE]` in the marker compiles the block only when the
build has the feature (--feature redis, --feature dialog_info); it is
reported as skipped otherwise. `needs=sofia` and `needs=libre` name a SIP
stack: its compile flags come from pkg-config (sofia-sip-ua, libre), and the
block is skipped when pkg-config does not know it. A block with neither main nor a marker is an
error, so no C++ block goes unchecked.

Every block is compiled with the build's compiler and
-std=c++20 -Wall -Wextra -Wpedantic -Werror.

usage: snippets.py ROOT INCLUDE_DIR WORKDIR [--feature F]... -- COMPILER [ARGS...]
"""
import pathlib
import re
import subprocess
import sys

FLAGS = ["-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
CPP_FENCES = {"cpp", "c++", "cxx"}
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
MARKER = re.compile(r"<!--\s*snippet:\s*(\w+)(.*)$")

# What a fragment may use without including it: the umbrella header and the
# standard headers the documentation's fragments take for granted.
FRAGMENT_HEAD = """\
#include <callinfo/callinfo.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>
"""

# A unit (a stack's glue) also takes these for granted.
UNIT_HEAD = FRAGMENT_HEAD + """#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <utility>
"""

# SIP stacks a unit may need, by their pkg-config module.
STACKS = {"sofia": "sofia-sip-ua", "libre": "libre"}


def stack_flags(name):
    """The compile flags of a SIP stack, or None when pkg-config has not it."""
    r = subprocess.run(["pkg-config", "--cflags", STACKS[name]], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    # its headers are system headers: their own warnings are not ours
    return [f.replace("-I", "-isystem", 1) if f.startswith("-I") else f for f in r.stdout.split()]


class Block:
    def __init__(self, path, line, code, kind, setup, needs, reason):
        self.path, self.line, self.code = path, line, code
        self.kind, self.setup, self.needs, self.reason = kind, setup, needs, reason

    def where(self):
        return f"{self.path}:{self.line}"


def parse_marker(lines, fence_index):
    """The snippet marker ending on the last non-blank line before a fence:
    (kind, setup lines, needs, reason), or None."""
    i = fence_index - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    if i < 0 or not lines[i].rstrip().endswith("-->"):
        return None
    end = i
    while i >= 0 and "<!--" not in lines[i]:
        i -= 1
    if i < 0:
        return None
    m = MARKER.search(lines[i])
    if not m:
        return None
    kind, rest = m.group(1), m.group(2)
    if i == end:  # one line: <!-- snippet: kind ... -->
        rest = rest[: rest.rfind("-->")]
        setup = []
    else:
        setup = [l.rstrip("\n") for l in lines[i + 1:end]]
        tail = lines[end].rstrip()[:-3]
        if tail.strip():
            setup.append(tail)
    needs = []
    words = []
    for word in rest.split():
        if word.startswith("needs="):
            needs += [f for f in word[len("needs="):].split(",") if f]
        else:
            words.append(word)
    return kind, setup, needs, " ".join(words)


def blocks_of(path, rel):
    lines = path.read_text().splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        start = i
        i += 1
        body = []
        while i < len(lines) and not (lines[i].strip().startswith(fence[0] * len(fence))
                                      and not lines[i].strip().strip(fence[0])):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1  # the closing fence
        if lang not in CPP_FENCES:
            continue
        marker = parse_marker(lines, start)
        code = "\n".join(body) + "\n"
        if marker is None:
            kind = "program" if re.search(r"\bint\s+main\s*\(", code) else "unmarked"
            out.append(Block(rel, start + 1, code, kind, [], [], ""))
        else:
            kind, setup, needs, reason = marker
            out.append(Block(rel, start + 1, code, kind, setup, needs, reason))
    return out


def fragment_unit(block):
    includes, body = [], []
    for line in block.code.splitlines():
        (includes if line.lstrip().startswith("#include") else body).append(line)
    return (FRAGMENT_HEAD + "\n".join(includes) + "\n\n" + "\n".join(block.setup) + "\n\n"
            + f"// {block.where()}\n[[maybe_unused]] static void documentation_fragment() {{\n"
            + "\n".join("  " + l if l else l for l in body) + "\n}\n")


def unit_source(block):
    lines = block.code.splitlines()
    n = 0
    while n < len(lines) and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
        n += 1
    return (UNIT_HEAD + f"// {block.where()}\n" + "\n".join(lines[:n]) + "\n\n" + "\n".join(block.setup)
            + "\n\n" + "\n".join(lines[n:]) + "\n")


def main() -> int:
    sep = sys.argv.index("--")
    args, compiler = sys.argv[1:sep], sys.argv[sep + 1:]
    features = set()
    while "--feature" in args:
        k = args.index("--feature")
        features.add(args[k + 1])
        del args[k:k + 2]
    root, include, work = pathlib.Path(args[0]), args[1], pathlib.Path(args[2])
    work.mkdir(parents=True, exist_ok=True)

    docs = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    blocks = []
    for path in docs:
        blocks += blocks_of(path, path.relative_to(root).as_posix())
    if not blocks:
        print("no C++ block in README.md or docs/*.md")
        return 1

    failed = ran = compiled = skipped = 0
    for n, b in enumerate(blocks, 1):
        name = re.sub(r"[^A-Za-z0-9]+", "_", b.path.removesuffix(".md")) + f"_{b.line}"
        if b.kind == "unmarked":
            print(f"FAIL {b.where()}: a C++ block without `int main` needs a marker "
                  "(<!-- snippet: fragment --> or <!-- snippet: skip REASON -->)")
            failed += 1
            continue
        if b.kind not in ("program", "fragment", "unit", "skip"):
            print(f"FAIL {b.where()}: unknown snippet kind '{b.kind}' (program, fragment, unit, skip)")
            failed += 1
            continue
        if b.kind == "skip":
            print(f"skip {b.where()}: {b.reason or 'marked skip'}")
            skipped += 1
            continue
        extra = []
        for f in [f for f in b.needs if f in STACKS]:
            flags = stack_flags(f)
            if flags is None:
                features.discard(f)
            else:
                features.add(f)
                extra += flags
        missing = [f for f in b.needs if f not in features]
        if missing:
            print(f"skip {b.where()}: this build has no {', '.join(missing)}")
            skipped += 1
            continue
        src = work / f"{name}.cpp"
        if b.kind == "program":
            src.write_text(f"// {b.where()}\n" + b.code)
            exe = work / name
            cmd = compiler + FLAGS + ["-O1", "-I" + include, str(src), "-o", str(exe)]
        else:
            src.write_text(unit_source(b) if b.kind == "unit" else fragment_unit(b))
            cmd = compiler + FLAGS + ["-I" + include] + extra + ["-c", str(src), "-o", str(work / f"{name}.o")]
        build = subprocess.run(cmd, capture_output=True, text=True)
        if build.returncode != 0:
            print(f"FAIL {b.where()}: the {b.kind} does not compile ({src}):\n{build.stderr}")
            failed += 1
            continue
        if b.kind in ("fragment", "unit"):
            print(f"ok   {b.where()}: {b.kind} compiled")
            compiled += 1
            continue
        try:
            run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            print(f"FAIL {b.where()}: the program did not end within 60 s")
            failed += 1
            continue
        if run.returncode != 0:
            print(f"FAIL {b.where()}: the program exits {run.returncode}:\n{run.stdout}{run.stderr}")
            failed += 1
            continue
        print(f"ok   {b.where()}: program compiled and ran")
        ran += 1
    print(f"{len(blocks)} C++ blocks: {ran} programs ran, {compiled} fragments and units compiled, "
          f"{skipped} skipped, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
