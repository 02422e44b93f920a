#!/usr/bin/env python3
"""Every link of the documentation stays in the repository, and resolves.

Reads every Markdown file under ROOT (README.md, docs/*.md, and the notes
beside the code: examples/, tests/, bench/, fuzz/; not build directories or
hidden ones) and checks each Markdown link
([text](target), [text]: target, <a href="target">), outside code blocks and
code spans:

  - http:// and https:// links (public pages: RFCs, upstream projects) are
    allowed and not fetched; any other scheme (file:, ...) is refused;
  - a relative link must resolve to a file or directory inside ROOT
    (never `../shared` or anything else outside the tree), and an absolute
    path is refused;
  - a `#fragment` must name a heading of the Markdown file it points to
    (GitHub's anchors: lower case, punctuation dropped, spaces as '-').

Also refused anywhere in these files, code included: the text `../shared`.

usage: links.py ROOT
"""
import pathlib
import re
import sys

INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^()\s>]+(?:\([^()\s]*\))?[^()\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HREF = re.compile(r"<a\s[^>]*href=\"([^\"]+)\"", re.I)
FENCE = re.compile(r"^\s*(```+|~~~+)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def outside_fences(text):
    """(line number, line) of the lines outside fenced code blocks."""
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        yield n, line


def prose_lines(text):
    """The lines outside fenced code blocks, with code spans blanked."""
    for n, line in outside_fences(text):
        yield n, re.sub(r"(`+)(.+?)\1", lambda s: " " * len(s.group(0)), line)


def anchors(path):
    """GitHub's anchors for the headings of a Markdown file."""
    seen, out = {}, set()
    for _, line in outside_fences(path.read_text()):
        m = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))     # [text](link) -> text
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        k = seen.get(slug, 0)
        out.add(slug if k == 0 else f"{slug}-{k}")
        seen[slug] = k + 1
    return out


def main() -> int:
    root = pathlib.Path(sys.argv[1]).resolve()
    docs = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    docs += sorted(p for p in root.rglob("*.md")
                   if p not in docs and not any(part.startswith(("build", ".", "subprojects"))
                                                for part in p.relative_to(root).parts[:-1]))
    errors = []
    links = 0
    cache = {}

    def anchors_of(p):
        if p not in cache:
            cache[p] = anchors(p)
        return cache[p]

    for path in docs:
        rel = path.relative_to(root).as_posix()
        text = path.read_text()
        for n, line in enumerate(text.splitlines(), 1):
            if "../shared" in line:
                errors.append(f"{rel}:{n}: mentions ../shared, which is outside the repository")
        for n, line in prose_lines(text):
            targets = [m.group(1) for m in INLINE.finditer(line)]
            targets += [m.group(1) for m in HREF.finditer(line)]
            m = REFERENCE.match(line)
            if m:
                targets.append(m.group(1))
            for target in targets:
                links += 1
                where = f"{rel}:{n}: {target}"
                if re.match(r"^https?://", target):
                    continue
                if SCHEME.match(target):
                    errors.append(f"{where}: only http(s) links may leave the repository")
                    continue
                file_part, _, fragment = target.partition("#")
                if file_part.startswith("/"):
                    errors.append(f"{where}: an absolute path; use a path relative to {rel}")
                    continue
                dest = (path.parent / file_part).resolve() if file_part else path
                if dest != root and root not in dest.parents:
                    errors.append(f"{where}: leaves the repository")
                    continue
                if not dest.exists():
                    errors.append(f"{where}: no such file in the repository")
                    continue
                if fragment and dest.suffix == ".md" and fragment.lower() not in anchors_of(dest):
                    errors.append(f"{where}: no heading #{fragment} in {dest.relative_to(root).as_posix()}")
    for e in errors:
        print("FAIL " + e)
    print(f"{len(docs)} files, {links} links, {len(errors)} broken")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
