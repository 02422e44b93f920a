#!/usr/bin/env python3
"""The man pages help2man made from the tools' --help and --version.

usage: check_man.py VERSION PAGE...

Each PAGE (NAME.1) must be a section-1 page of NAME at VERSION with the
sections NAME (naming the tool), SYNOPSIS and OPTIONS, and OPTIONS must
list --help and --version; exits 1 naming what is missing.
"""
import pathlib
import re
import sys


def check(page, version):
    name = page.name.removesuffix(".1")
    text = page.read_text(encoding="utf-8")
    problems = []
    th = re.search(r'^\.TH\s+"?([^"\s]+)"?\s+"?1"?\s.*$', text, re.M)
    if not th or th.group(1).lower() != name.lower():
        problems.append("no .TH line for section 1 of " + name)
    elif version not in th.group(0):
        problems.append(f".TH does not carry the version {version}: {th.group(0)}")
    sections = {m.group(1).strip('"'): m.end() for m in re.finditer(r"^\.SH\s+(.+)$", text, re.M)}
    for s in ("NAME", "SYNOPSIS", "OPTIONS"):
        if s not in sections:
            problems.append(f"no {s} section")
    if "NAME" in sections:
        first = text[sections["NAME"]:].lstrip("\n").split("\n", 1)[0]
        if first.replace("\\-", "-").split(" - ", 1)[0] != name:
            problems.append(f"NAME is not `{name} - description`: {first}")
    if "OPTIONS" in sections:
        options = text[sections["OPTIONS"]:]
        for o in ("help", "version"):
            if f"\\fB\\-\\-{o}\\fR" not in options:
                problems.append(f"OPTIONS does not list --{o}")
    return problems


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    version, failed = argv[1], False
    for page in map(pathlib.Path, argv[2:]):
        problems = check(page, version)
        for p in problems:
            print(f"{page.name}: {p}")
        failed |= bool(problems)
        if not problems:
            print(f"{page.name}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
