"""The release's two facts live in one place each; everything else is derived and checked.

* the repository URL: ``repository.url`` in ``_config.yml``;
* the version: ``__version__`` in ``dlinv/__init__.py``.

``python scripts/release.py check`` lists every place that disagrees (exit 1 if any);
``python scripts/release.py sync`` rewrites them: pyproject.toml, CITATION.cff, the Colab
install cell of every lab, the version in the book's footer, README.md, LICENSE-CONTENT.md
and the instructors page. The top entry of CHANGELOG.md must name the version (checked, not
written: a changelog is written by hand). Standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GITHUB = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?(?=[/@\s\"'`>)]|\.git|$)")


def repo_url() -> str:
    m = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", (ROOT / "_config.yml").read_text(), re.M)
    if not m:
        raise SystemExit("_config.yml has no repository.url")
    return m.group(1).rstrip("/")


def version() -> str:
    m = re.search(r'^__version__ = "([^"]+)"', (ROOT / "dlinv/__init__.py").read_text(), re.M)
    if not m:
        raise SystemExit("dlinv/__init__.py has no __version__")
    return m.group(1)


def rules(url: str, ver: str):
    """(path glob, pattern, replacement) triples: each pattern must match at least once."""
    return [
        ("pyproject.toml", r'(?m)^version = "[^"]*"', f'version = "{ver}"'),
        ("CITATION.cff", r"(?m)^version: .*$", f"version: {ver}"),
        ("CITATION.cff", r"(?m)^repository-code: .*$", f'repository-code: "{url}"'),
        ("_config.yml", r"(?m)^(\s+extra_footer: .*?Version )[0-9][^ <\"]*", rf"\g<1>{ver}"),
        ("chapters/*/lab.ipynb", r'REPO = \\"[^"\\]*\\"', f'REPO = \\"{url}\\"'),
        ("chapters/*/lab.ipynb", r'RELEASE = \\"v[^"\\]*\\"', f'RELEASE = \\"v{ver}\\"'),
    ]


def github_urls_elsewhere(url: str) -> list[str]:
    """Every github.com/<owner>/<repo> URL in the tracked text files that is not ours."""
    bad = []
    for p in [
        "README.md",
        "LICENSE-CONTENT.md",
        "CITATION.cff",
        "intro.md",
        "chapters/**/*.md",
        ".github/**/*.yml",
    ]:
        for f in sorted(ROOT.glob(p)):
            for m in GITHUB.finditer(f.read_text(encoding="utf-8")):
                u = m.group(0)
                if "/dlinv" in u and u != url:
                    bad.append(f"{f.relative_to(ROOT)}: {u} (expected {url})")
    return bad


def run(write: bool) -> list[str]:
    url, ver = repo_url(), version()
    problems = []
    for glob, pattern, repl in rules(url, ver):
        files = sorted(ROOT.glob(glob))
        if not files:
            problems.append(f"{glob}: no such file")
        for f in files:
            text = f.read_text(encoding="utf-8")
            if not re.search(pattern, text):
                problems.append(f"{f.relative_to(ROOT)}: no match for {pattern!r}")
                continue
            new = re.sub(pattern, repl, text)
            if new != text:
                if write:
                    f.write_text(new, encoding="utf-8")
                else:
                    problems.append(
                        f"{f.relative_to(ROOT)}: out of date (run: python scripts/release.py sync)"
                    )
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    top = re.search(r"(?m)^## \[?([0-9][^\] ]*)", changelog)
    if not top or top.group(1) != ver:
        problems.append(
            f"CHANGELOG.md: the top entry is {top.group(1) if top else None}, expected {ver}"
        )
    problems += github_urls_elsewhere(url)
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in {"check", "sync"}:
        print(__doc__)
        return 2
    problems = run(write=argv[1] == "sync")
    for p in problems:
        print(p)
    if not problems:
        print(f"release {version()} at {repo_url()}: every place agrees")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
