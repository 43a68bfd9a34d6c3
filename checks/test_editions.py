"""The public site and the instructor edition (issue 15 item 7), checked on the builds.

* the public site (`make book` -> _build/html) has no homework-solution page, no link to one, no
  entry in its search index, and none of the solutions' sentences;
* the instructor edition (`make instructor` -> _build/instructor/_build/html) has a page for
  every chapters/NN-*/problem-solutions.md, with its solution boxes.

Run by `make site-check` after `make book` and `make instructor` (a missing instructor build is
a skip locally, a failure in CI).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest

BOOK = Path(os.environ.get("DLINV_SITE_BOOK") or Path(__file__).resolve().parents[1]).resolve()
PUBLIC = BOOK / "_build" / "html"
INSTRUCTOR = BOOK / "_build" / "instructor" / "_build" / "html"
SOLUTION_FILES = sorted(
    p for p in BOOK.glob("chapters/*/problem-solutions.md") if (p.parent / "lab.ipynb").is_file()
)
DOCNAMES = [str(p.relative_to(BOOK).with_suffix("")) for p in SOLUTION_FILES]
SENTENCE = re.compile(r"(?<=[.!?:])\s+")


def article_text(html_file: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    root = soup.select_one("article.bd-article") or soup.body or soup
    return " ".join(root.get_text(" ").split())


def sentences(text: str, min_len: int = 40) -> set[str]:
    return {s.strip() for s in SENTENCE.split(text) if len(s.strip()) >= min_len}


def public_pages() -> list[Path]:
    return sorted(p for p in PUBLIC.rglob("*.html") if "_static" not in p.parts)


@functools.lru_cache(maxsize=1)
def public_texts() -> tuple[tuple[Path, str], ...]:
    return tuple((p, article_text(p)) for p in public_pages())


def test_public_site_has_no_solution_page(site):
    pages = [p for p in PUBLIC.rglob("*problem-solutions*")]
    assert not pages, f"homework solutions in the public site: {pages}"
    linked = [
        str(p.relative_to(PUBLIC))
        for p in public_pages()
        if "problem-solutions" in p.read_text(encoding="utf-8")
    ]
    assert not linked, f"public pages that mention problem-solutions: {linked}"
    index = PUBLIC / "searchindex.js"
    if index.is_file():
        assert "problem-solutions" not in index.read_text(encoding="utf-8")


@pytest.mark.parametrize("docname", DOCNAMES or [None])
def test_solutions_only_in_the_instructor_edition(site, docname):
    if docname is None:
        pytest.skip("no chapters/*/problem-solutions.md yet")
    page = INSTRUCTOR / f"{docname}.html"
    if not INSTRUCTOR.is_dir():
        pytest.skip(f"instructor edition not built ({INSTRUCTOR}): run `make instructor`")
    assert page.is_file(), f"{docname} missing from the instructor edition"
    html = page.read_text(encoding="utf-8")
    assert 'class="solution' in html, f"{docname}: no solution box in the instructor edition"
    # sentences of the solutions that are not also on the (public) theory page
    theory = INSTRUCTOR / f"{Path(docname).parent}/theory.html"
    public_text = article_text(theory) if theory.is_file() else ""
    secret = {s for s in sentences(article_text(page)) if s not in public_text}
    assert secret, f"{docname}: no text found in the instructor page"
    leaks = []
    for p, text in public_texts():
        leaks += [f"{p.relative_to(PUBLIC)}: {s[:80]!r}" for s in secret if s in text]
    assert not leaks, f"homework solution text on the public site: {leaks[:10]}"
