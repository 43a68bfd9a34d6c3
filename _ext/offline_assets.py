"""Serve MathJax and the ipywidgets JavaScript from the site when a local copy exists.

``python tasks.py assets`` (needs node/npm) fetches MathJax 3 and the ipywidgets embed manager
into ``_offline/``. If it is there, the build copies it to the site root (``html_extra_path``)
and every page loads its scripts from the site: the book then works with no network, and the
browser checks can see typeset math and rendered widgets. If it is not there (a laptop with
Python only), the pages load both from their public CDN, as a published Jupyter Book normally
does; the build says so once and nothing else changes.

The files are not put under ``_static/``: Jupyter Book 1.x adds every ``*.js`` found there to
every page. ``mathjax_path`` and ``nb_ipywidgets_js`` are relative to ``_static/``, hence ``../``.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

OFFLINE = "_offline"
#: written last by scripts/fetch_offline_assets.py: its presence means the copy is complete
COMPLETE_MARKER = Path("widgets") / "widget-paths.js"


def offline_available(srcdir: str | Path) -> bool:
    return (Path(srcdir) / OFFLINE / COMPLETE_MARKER).is_file()


def choose_assets(app, config):
    if not offline_available(app.srcdir):
        logger.info(
            "dlinv: no local copy of MathJax and the widget JavaScript (_offline/): the "
            "pages load them from their CDN. For a site that works offline, run "
            "`python tasks.py assets` (needs node/npm) and build again."
        )
        return
    config.html_extra_path = [*config.html_extra_path, OFFLINE]
    config.mathjax_path = "../mathjax/tex-mml-chtml.js"
    config.nb_ipywidgets_js = {
        "../widgets/require.js": {},
        "../widgets/widget-paths.js": {},  # where embed-amd.js finds its fonts (fetch script)
        "../widgets/embed-amd.js": {"data-jupyter-widgets-cdn": "https://cdn.jsdelivr.net/npm/"},
    }


def setup(app):
    app.connect("config-inited", choose_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
