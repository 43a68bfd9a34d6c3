"""Check the PDF edition: its pages, its images against the HTML's figures, no unresolved reference.

``python scripts/check_pdf.py [PDF] [HTML_DIR]`` (defaults: _build/latex/dlinv-course.pdf and
_build/html) uses poppler's ``pdfinfo``, ``pdfimages`` and ``pdftotext`` and fails (exit 1) when

* the PDF has fewer than MIN_PAGES pages;
* it embeds fewer images than the HTML edition has numbered figures (every figure must reach the
  PDF; widget snapshots and animation frames exist on the web pages only);
* its text contains "??", LaTeX's mark of an unresolved reference or citation.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_PAGES = 150


class _ImageCounter(HTMLParser):
    """Counts <img> elements inside the page's article (not the theme's logos and icons)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.images = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article" or (tag == "main" and a.get("id") == "main-content"):
            self.depth += 1
        elif tag == "img" and self.depth:
            src = a.get("src") or ""
            if not src.endswith(".svg") or "_images" in src:
                self.images += 1

    def handle_endtag(self, tag):
        if tag == "article" and self.depth:
            self.depth -= 1


def html_figures(html_dir: Path) -> int:
    """Numbered figures of the HTML edition (Sphinx's "Fig. N.M" caption numbers)."""
    total = 0
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir).as_posix()
        if rel.startswith(("_", "reports/", "genindex", "search")):
            continue
        total += page.read_text(encoding="utf-8", errors="replace").count(
            '<span class="caption-number">Fig'
        )
    return total


def html_images(html_dir: Path) -> int:
    total = 0
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir).as_posix()
        if rel.startswith(("_", "reports/", "genindex", "search")):
            continue
        counter = _ImageCounter()
        counter.feed(page.read_text(encoding="utf-8", errors="replace"))
        total += counter.images
    return total


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def pdf_images(pdf: Path) -> int:
    out = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    # count images, not their soft masks (the alpha channel of a PNG is a second entry)
    return sum(1 for line in out if line.split()[2] == "image")


def unresolved(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [line.strip() for line in text.splitlines() if "??" in line]


def main(argv: list[str]) -> int:
    pdf = Path(argv[1]) if len(argv) > 1 else ROOT / "_build" / "latex" / "dlinv-course.pdf"
    html = Path(argv[2]) if len(argv) > 2 else ROOT / "_build" / "html"
    problems = []
    pages, images = pdf_pages(pdf), pdf_images(pdf)
    figures, all_images = html_figures(html), html_images(html)
    print(
        f"{pdf.name}: {pages} pages, {images} images; the HTML has {figures} numbered figures "
        f"({all_images} images in all, with widget snapshots and animation frames that only the "
        f"web pages show); {pdf.stat().st_size / 2**20:.1f} MB"
    )
    if pages < MIN_PAGES:
        problems.append(f"only {pages} pages (expected at least {MIN_PAGES})")
    if images < figures:
        problems.append(
            f"{images} images in the PDF but {figures} numbered figures in the HTML: "
            f"figures are missing"
        )
    bad = unresolved(pdf)
    if bad:
        problems.append(f"{len(bad)} lines with an unresolved reference '??', e.g. {bad[:3]}")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("PDF check passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
