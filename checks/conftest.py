"""Fixtures for the browser checks of the built book (checks/test_site.py).

Run with `make site-check` (= `.venv/bin/python -m pytest checks -v`) after `make book`.

Needs the built site `_build/html`, Debian's chromium at /usr/bin/chromium (`apt-get install
chromium`; override the path with DLINV_CHROMIUM) and the `playwright` pip package. No
`playwright install` is needed: playwright drives the system browser.

Locally, a missing browser or build SKIPS the checks. With DLINV_REQUIRE_SITE=1 or CI=true every
skip is turned into a failure, so CI cannot pass by checking nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# DLINV_SITE_BOOK: check another book's build (e.g. a tiny test book), default this repository
BOOK = Path(os.environ.get("DLINV_SITE_BOOK") or Path(__file__).resolve().parents[1]).resolve()
HTML = BOOK / "_build" / "html"
SCREENSHOTS = BOOK / "_build" / "screenshots"
CHROMIUM = Path(os.environ.get("DLINV_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# JB1 / sphinx-thebe 0.3.1 emits its inline config <script> twice on every page, which raises
# "Identifier 'THEBE_JS_URL' has already been declared". Harmless; every other error counts.
KNOWN_JS_ERRORS = ("THEBE_JS_URL",)


def site_required() -> bool:
    """True in CI: the checks must run, a skip is a failure."""
    return (
        os.environ.get("DLINV_REQUIRE_SITE", "").strip() == "1"
        or os.environ.get("CI", "").strip().lower() == "true"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and site_required() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (
            f"SKIPPED, but the site check is required here "
            f"(DLINV_REQUIRE_SITE=1 or CI=true): {reason}"
        )
    return report


def pytest_report_header(config):
    return (
        f"dlinv site check: html={HTML} chromium={CHROMIUM} "
        f"required={'yes' if site_required() else 'no (skips allowed)'}"
    )


@pytest.fixture(scope="session")
def site() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.skip(f"book not built ({HTML / 'index.html'} missing): run `make book` first")
    return HTML


@contextlib.contextmanager
def launched_chromium():
    """Playwright's Chromium (the system's, headless), or a skip saying what to install."""
    if not CHROMIUM.exists():
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -r requirements.txt)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def browser(site):
    with launched_chromium() as b:
        yield b


@pytest.fixture(scope="session")
def chromium(request):
    """A browser for the checks that need no built book (the static explorers' standalone page,
    the live lab in JupyterLab): the session's ``browser`` when the book is built, else one of
    its own. One Playwright per session: a second ``sync_playwright()`` in the same thread fails
    ("Sync API inside the asyncio loop")."""
    if (HTML / "index.html").is_file():
        yield request.getfixturevalue("browser")
        return
    with launched_chromium() as b:
        yield b


@dataclass
class Tab:
    """A browser page plus everything that went wrong while it loaded."""

    page: object
    js_errors: list = field(default_factory=list)
    failed_local: list = field(default_factory=list)  # file:// resources that did not load
    failed_remote: list = field(default_factory=list)  # http(s) resources (expected offline)


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    t = Tab(page)

    def on_error(err):
        if not any(k in str(err) for k in KNOWN_JS_ERRORS):
            t.js_errors.append(str(err))

    def on_failed(request):
        entry = f"{request.url} ({request.failure})"
        (t.failed_local if request.url.startswith("file:") else t.failed_remote).append(entry)

    page.on("pageerror", on_error)
    page.on("requestfailed", on_failed)
    yield t
    context.close()


# ---- what the checks measured book-wide (printed at the end, saved as JSON) --------------------
REPORT_KEY = pytest.StashKey[dict]()
REPORT_FILE = BOOK / "_build" / "site-check" / "report.json"


@pytest.fixture(scope="session")
def site_report(request) -> dict:
    """Per page: clipped output / code blocks, images outside numbered figures (filled by
    checks/test_site.py::test_page)."""
    return request.config.stash.setdefault(
        REPORT_KEY, {"measured": [], "clipped_output": {}, "clipped_code": {}, "unfigured": {}}
    )


def pytest_terminal_summary(terminalreporter, config):
    report = config.stash.get(REPORT_KEY, None)
    if not report or not report["measured"]:
        return
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    REPORT_FILE.write_text(json.dumps(report, indent=1), encoding="utf-8")
    tr = terminalreporter
    tr.section("dlinv site check: blocks that scroll horizontally at 1280 px, bare images")
    for key, label in (
        ("clipped_output", "clipped output blocks"),
        ("clipped_code", "clipped code blocks"),
        ("unfigured", "notebook images outside a numbered figure"),
    ):
        pages = report[key]
        total = sum(len(v) for v in pages.values())
        tr.write_line(
            f"{label}: {total} on {len(pages)} page(s) (of {len(report['measured'])} measured)"
        )
        for page, items in sorted(pages.items()):
            for item in items:
                tr.write_line(f"    {page}: {item}")
    tr.write_line(f"(saved to {REPORT_FILE})")
