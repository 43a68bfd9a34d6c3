"""Accessibility fixes for markup that the theme and extensions generate (WCAG 2 A/AA, axe-core).

Fixed here once, for every page, rather than page by page:

* ``summary-name``: pydata-sphinx-theme's navigation puts a chevron icon, marked decorative,
  alone in a ``<summary>``: a screen reader announces an unnamed control. Each such summary gets
  an ``aria-label`` naming the page whose sections it shows or hides.

The check that every page has no serious or critical violation, in light and dark mode, is
checks/test_a11y.py.
"""

from __future__ import annotations

from bs4 import BeautifulSoup


def label_toc_toggles(html: str) -> str:
    """Give every text-less ``<summary>`` of the navigation an accessible name."""
    if "<summary" not in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    for summary in soup.select("li.has-children > details > summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        li = summary.find_parent("li")
        link = li.find("a", class_="reference", recursive=False) if li else None
        title = link.get_text(" ", strip=True) if link else "this section"
        summary["aria-label"] = f"Show or hide the sections of {title}"
    return str(soup)


def on_page_context(app, pagename, templatename, context, doctree):
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "_dlinv_a11y", False):
        return

    def generate_labelled(*args, **kwargs):
        return label_toc_toggles(generate(*args, **kwargs))

    generate_labelled._dlinv_a11y = True
    context["generate_toctree_html"] = generate_labelled


def setup(app):
    # after the theme has put generate_toctree_html into the context (default priority 500)
    app.connect("html-page-context", on_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
