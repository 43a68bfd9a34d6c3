"""Fetch MathJax 3, the ipywidgets embed manager and axe-core into _offline/ (git-ignored), via npm.

The built site then serves them itself (see _ext/offline_assets.py): math and widget state
render with no network. Uses only the npm registry: ``npm pack`` downloads the three tarballs
without a dependency tree (about 4 s). Python standard library plus the ``npm`` command; works
on Linux, macOS and Windows. Run it through ``python tasks.py assets``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_offline"
AXE = ROOT / ".axe" / "axe.min.js"  # git-ignored, used by checks/test_a11y.py
PACKAGES = [
    "mathjax@3.2.2",
    "@jupyter-widgets/html-manager@1.0.6",
    "requirejs@2.3.7",
    "axe-core@4.14.1",
]  # axe-core: the accessibility check of the built site (checks/)
MATHJAX_PARTS = ["tex-mml-chtml.js", "input", "output", "a11y", "ui", "adaptors", "sre"]
FONT_SUFFIXES = {".woff", ".woff2", ".ttf", ".eot", ".svg"}

# widget-paths.js, loaded between require.js and embed-amd.js, fixes two problems of
# html-manager 1.0.6 in a self-hosted, MathJax 3 book:
#  1. embed-amd.js computes the URL of its icon fonts (and lazy chunks) from its AMD module ids,
#     which require.js resolves against the page's own folder (404s): map them onto this folder.
#  2. widget labels are typeset through the MathJax 2 API (MathJax.Hub.Queue), which MathJax 3
#     lacks: provide Hub.Queue on top of MathJax 3's typesetPromise.
WIDGET_PATHS_JS = """(function () {
  var dir = new URL(".", document.currentScript.src).href.replace(/\\/$/, "");
  window.__jupyter_widgets_assets_path__ = dir + "/";
  var paths = {};
  ["base", "controls", "html-manager", "html-manager/dist"].forEach(function (m) {
    paths["@jupyter-widgets/" + m] = m === "html-manager/dist" ? dir : dir + "/" + m;
  });
  require.config({ paths: paths });
  document.addEventListener("DOMContentLoaded", function () {
    var MJ = window.MathJax;
    if (!MJ || MJ.Hub || !MJ.startup) return;  // no MathJax 3 on this page
    MJ.Hub = { Queue: function (job) {
      var el = Array.isArray(job) ? job[2] : undefined;
      MJ.startup.promise = MJ.startup.promise.then(function () {
        return MJ.typesetPromise(el ? [el] : undefined);
      });
    } };
  });
})();
"""


def copy(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def main() -> int:
    npm = shutil.which("npm")
    if npm is None:
        print(
            "npm not found: the book will load MathJax and the widget JavaScript from their CDN.\n"
            "Install node/npm (https://nodejs.org) for a site that works offline.",
            file=sys.stderr,
        )
        return 1
    shutil.rmtree(OUT, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run(
            [npm, "pack", "--silent", *PACKAGES], cwd=tmp, check=True, stdout=subprocess.DEVNULL
        )
        for tgz in tmp.glob("*.tgz"):
            with tarfile.open(tgz) as tar:
                tar.extractall(tmp / tgz.stem, filter="data")
        mj = tmp / "mathjax-3.2.2" / "package" / "es5"
        for part in MATHJAX_PARTS:
            copy(mj / part, OUT / "mathjax" / part)
        shutil.rmtree(OUT / "mathjax" / "output" / "svg", ignore_errors=True)
        (OUT / "mathjax" / "output" / "svg.js").unlink(missing_ok=True)
        hm = tmp / "jupyter-widgets-html-manager-1.0.6" / "package" / "dist"
        widgets = OUT / "widgets"
        for f in hm.iterdir():
            if (
                f.name == "embed-amd.js"
                or (f.name.endswith(".embed.js") and f.name[0].isdigit())
                or f.suffix in FONT_SUFFIXES
            ):
                copy(f, widgets / f.name)
        copy(tmp / "requirejs-2.3.7" / "package" / "require.js", widgets / "require.js")
        # axe-core is for the checks, not for the site: outside _offline/ (which the site serves)
        shutil.rmtree(AXE.parent, ignore_errors=True)
        copy(tmp / "axe-core-4.14.1" / "package" / "axe.min.js", AXE)
    # written last: its presence means that _offline/ is complete
    (widgets / "widget-paths.js").write_text(WIDGET_PATHS_JS, encoding="utf-8")
    size = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"_offline/: {size / 2**20:.1f} MB (MathJax 3.2.2, html-manager 1.0.6, require.js 2.3.7)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
