"""Offline internal-link check of the built site: every local href (page, asset or #anchor)
in every built page resolves. External links (http, https, mailto, ...) are not followed:
CI has no network, and the published site's CDN-free assets are local anyway."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

BOOK = Path(__file__).resolve().parents[1]
HTML = BOOK / "_build" / "html"
REQUIRED = os.environ.get("DLINV_REQUIRE_SITE") == "1" or os.environ.get("CI", "").lower() == "true"
SKIP_DIRS = {
    # viewcode's highlighted sources: their "[docs]" links point at every function, documented on
    # the API page or not; the links of the book's own pages are all checked
    "_modules",
    "_static",
    "_sources",
    "_images",
    "mathjax",
    "widgets",
    "reports",
    "_sphinx_design_static",
}


def built_pages() -> list[Path]:
    if not HTML.is_dir():
        return []
    return sorted(
        p for p in HTML.rglob("*.html") if not (set(p.relative_to(HTML).parts[:-1]) & SKIP_DIRS)
    )


@lru_cache(maxsize=None)
def ids_of(page: Path) -> frozenset:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return frozenset(
        [t["id"] for t in soup.find_all(id=True)]
        + [t["name"] for t in soup.find_all("a", attrs={"name": True})]
    )


def broken_links(page: Path) -> list[str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    bad = []
    for tag, attr in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")):
        for el in soup.find_all(tag, attrs={attr: True}):
            url = el[attr]
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("javascript:", "data:")):
                continue  # external or inline: not checked offline
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                bad.append(f"{url} (missing file)")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and unquote(parts.fragment) not in ids_of(target)
            ):
                bad.append(f"{url} (missing anchor)")
    return bad


PAGES = built_pages()


def test_site_is_built():
    if not PAGES:
        if REQUIRED:
            pytest.fail("no built site in _build/html: run `make book` first")
        pytest.skip("book not built")
    assert (HTML / "index.html").exists()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(HTML)))
def test_internal_links_resolve(page):
    bad = broken_links(page)
    assert not bad, (
        f"{len(bad)} broken internal link(s) in {page.relative_to(HTML)}:\n  "
        + "\n  ".join(bad[:20])
    )
