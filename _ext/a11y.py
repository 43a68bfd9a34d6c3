"""Accessibility fixes for markup that the theme and extensions generate (WCAG 2 A/AA, axe-core).

Fixed here once, for every page, rather than page by page:

* ``image-alt``: a figure pasted from a lab with ``{glue:any}`` (the key-idea figures of the theory
  pages) gets its file name as alt text, since that directive has no ``:alt:`` option. Such an
  image takes the text of the italic caption that follows it as its alt text.
* ``aria-required-children`` and ``aria-deprecated-role``: docutils writes the bibliography as a
  ``role="list"`` whose entries have the deprecated role ``doc-biblioentry`` (so the list has no
  list items, and its back-reference links sit directly in it). Both roles are dropped: the
  entries are plain blocks, as a screen reader would read them anyway.
* ``summary-name``: pydata-sphinx-theme's navigation puts a chevron icon, marked decorative,
  alone in a ``<summary>``: a screen reader announces an unnamed control. Each such summary gets
  an ``aria-label`` naming the page whose sections it shows or hides.
* ``label-content-name-mismatch``: myst-nb's folded code cells (the labs' solutions, the Colab
  cell) have a ``<summary aria-label="Toggle hidden content">`` around the visible prompt "Show
  solution": a name that leaves out the visible text (WCAG 2.5.3). The label is dropped, so the
  summary is named by the prompt a sighted reader sees.

The check that every page has no serious or critical violation, in light and dark mode, is
checks/test_a11y.py.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from bs4 import BeautifulSoup
from docutils import nodes

ALT_MAX = 300  # characters of a caption used as alt text


def _bad_alt(image: nodes.image) -> bool:
    alt = (image.get("alt") or "").strip()
    uri = image.get("uri") or ""
    return not alt or alt == uri or alt == PurePosixPath(uri).name


def _caption_after(node: nodes.Node) -> str | None:
    """The text of the italic paragraph that follows ``node`` or one of its ancestors."""
    while node.parent is not None and not isinstance(node, nodes.section):
        parent = node.parent
        for sibling in parent.children[parent.index(node) + 1 :]:
            if isinstance(sibling, (nodes.target, nodes.comment)):
                continue
            if (
                isinstance(sibling, nodes.paragraph)
                and sibling.children
                and isinstance(sibling.children[0], nodes.emphasis)
            ):
                return sibling.astext()
            break
        node = parent
    return None


def alt_from_captions(app, doctree, docname):
    for image in doctree.findall(nodes.image):
        if not _bad_alt(image):
            continue
        caption = _caption_after(image)
        if caption:
            text = " ".join(caption.split())
            image["alt"] = text if len(text) <= ALT_MAX else text[: ALT_MAX - 1] + "\u2026"


def label_toc_toggles(html: str) -> str:
    """Give every text-less ``<summary>`` of the navigation an accessible name (the theme may
    return a BeautifulSoup object or a string: both are read as their HTML text)."""
    html = str(html)
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


def drop_citation_roles(body: str) -> str:
    return body.replace(
        '<div role="list" class="citation-list">', '<div class="citation-list">'
    ).replace(' role="doc-biblioentry"', "")


def name_folded_cells(body: str) -> str:
    return body.replace('<summary aria-label="Toggle hidden content">', "<summary>")


def on_page_context(app, pagename, templatename, context, doctree):
    if "body" in context and "citation-list" in context["body"]:
        context["body"] = drop_citation_roles(context["body"])
    if "body" in context:
        context["body"] = name_folded_cells(context["body"])
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
    app.connect("doctree-resolved", alt_from_captions)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
