"""Offline assets are optional (issue 16): without _offline/ the pages use the CDN, with it the site.

The book build itself is exercised by CI (with the offline copies, which the browser checks need);
this checks the other branch of _ext/offline_assets.py, the one a laptop without node takes.
"""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("offline_assets", ROOT / "_ext" / "offline_assets.py")
offline_assets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(offline_assets)


def config():
    return SimpleNamespace(html_extra_path=[], mathjax_path="", nb_ipywidgets_js={"cdn": {}})


def test_without_offline_copies_the_cdn_is_kept(tmp_path):
    cfg = config()
    offline_assets.choose_assets(SimpleNamespace(srcdir=str(tmp_path)), cfg)
    assert cfg.html_extra_path == [] and cfg.mathjax_path == ""
    assert cfg.nb_ipywidgets_js == {"cdn": {}}


def test_with_offline_copies_the_site_serves_them(tmp_path):
    marker = tmp_path / "_offline" / offline_assets.COMPLETE_MARKER
    marker.parent.mkdir(parents=True)
    marker.write_text("")
    cfg = config()
    offline_assets.choose_assets(SimpleNamespace(srcdir=str(tmp_path)), cfg)
    assert cfg.html_extra_path == ["_offline"]
    assert cfg.mathjax_path == "../mathjax/tex-mml-chtml.js"
    assert "../widgets/embed-amd.js" in cfg.nb_ipywidgets_js


def test_an_incomplete_copy_is_not_used(tmp_path):
    (tmp_path / "_offline" / "mathjax").mkdir(parents=True)  # fetch interrupted: no marker
    cfg = config()
    offline_assets.choose_assets(SimpleNamespace(srcdir=str(tmp_path)), cfg)
    assert cfg.html_extra_path == []
