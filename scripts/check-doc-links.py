#!/usr/bin/env python3
"""Checks that every relative link in the project's Markdown documents names a file that exists, and, for a link
into a Markdown file with a #fragment, a heading of that file (GitHub's anchors). Exit status 1 on a broken link."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ["README.md", "docs/*.md", "bench/README.md", "deploy/*/README.md", "src/test/resources/seed-format/README.md"]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def prose(path):
    """The file's lines outside fenced code blocks."""
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield line


def anchors(path):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen, out = {}, set()
    for line in prose(path):
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def main():
    broken = []
    for pattern in DOCS:
        for doc in sorted(ROOT.glob(pattern)):
            for line in prose(doc):
                for target in LINK.findall(line):
                    if re.match(r"[a-z]+:", target):
                        continue
                    file, _, fragment = target.partition("#")
                    dest = (doc.parent / file).resolve() if file else doc
                    where = f"{doc.relative_to(ROOT)}: {target}"
                    if not dest.exists():
                        broken.append(f"{where}: no such file")
                    elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
                        broken.append(f"{where}: no such heading")
    for b in broken:
        print(b, file=sys.stderr)
    print(f"documentation links: {'broken: ' + str(len(broken)) if broken else 'all resolve'}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
