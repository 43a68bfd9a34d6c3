"""Accessibility: axe-core on every page of the built book, WCAG 2 A and AA, light and dark mode.

axe-core (the standard open-source accessibility engine) is fetched with the other offline
assets (``python tasks.py assets`` puts it in ``.axe/``) and injected into each page; no
network. The check fails on any *serious* or *critical* violation and prints the rule, the page
and the offending elements; minor and moderate ones are listed in the summary. Dark mode is the
theme's own (``data-theme="dark"`` on ``<html>``, what its toggle sets).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import BOOK, HTML

AXE = BOOK / ".axe" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
SUMMARY: Counter = Counter()


def toc_docnames() -> list[str]:
    text = (BOOK / "_toc.yml").read_text(encoding="utf-8")
    root = re.search(r"^root:\s*(\S+)", text, re.M).group(1)
    return [root] + re.findall(r"^\s*-?\s*file:\s*(\S+)", text, re.M)


PAGES = toc_docnames()


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' +
                                   (n.failureSummary || '').split('\\n')[1])}));
        }""",
        WCAG_TAGS,
    )
    return result


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("docname", PAGES)
def test_axe(tab, site, docname, mode):
    if not AXE.is_file():
        pytest.skip(f"axe-core not fetched ({AXE}): run `python tasks.py assets` (needs npm)")
    page = tab.page
    page.goto((HTML / f"{docname}.html").as_uri())
    page.wait_for_load_state("load")
    if mode == "dark":
        page.evaluate("""() => { const h = document.documentElement;
                                 h.dataset.theme = 'dark'; h.dataset.mode = 'dark'; }""")
    # let MathJax and the widgets finish rendering before the audit
    page.wait_for_timeout(300)
    page.evaluate("""async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)
                                     await MathJax.startup.promise; }""")
    violations = run_axe(page)
    for v in violations:
        SUMMARY[(v["id"], v["impact"], mode)] += len(v["nodes"])
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    msg = [
        f"{docname} ({mode}): {v['id']} [{v['impact']}] {v['help']}: {len(v['nodes'])} "
        f"element(s), e.g. " + "; ".join(v["nodes"][:3])
        for v in blocking
    ]
    assert not blocking, "\n".join(msg)


def test_zz_print_summary(capsys):
    """Not a check: the violations of every impact, per rule and mode (shown with -s or -v)."""
    with capsys.disabled():
        print("\naxe-core summary (rule, impact, mode: elements)")
        if not SUMMARY:
            print("  no violation of any impact, on any page, in either mode")
        for (rule, impact, mode), n in sorted(SUMMARY.items()):
            print(f"  {rule:32s} {impact:9s} {mode:5s} {n}")
