#!/usr/bin/env bash
# Vendor MathJax 3 + the ipywidgets embed manager into _offline/ (git-ignored) so the
# built HTML renders math and widget state with no CDN. Uses only the npm registry
# (npm pack = tarball only, no dependency tree; ~4 s).
#
# _config.yml ships _offline/ through `html_extra_path` and points `mathjax_path` and
# `nb_ipywidgets_js` at it. Do not move these files under _static/: JB1 adds every
# *.js/*.css found under html_static_path to EVERY page.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf _offline && mkdir -p _offline/mathjax _offline/widgets
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent mathjax@3.2.2 @jupyter-widgets/html-manager@1.0.6 requirejs@2.3.7 >/dev/null )
for t in "$tmp"/*.tgz; do mkdir -p "${t%.tgz}" && tar -xzf "$t" -C "${t%.tgz}"; done
mj="$tmp"/mathjax-3.2.2/package/es5
cp -r "$mj"/tex-mml-chtml.js "$mj"/input "$mj"/output "$mj"/a11y "$mj"/ui "$mj"/adaptors "$mj"/sre _offline/mathjax/
rm -rf _offline/mathjax/output/svg _offline/mathjax/output/svg.js
hm="$tmp"/jupyter-widgets-html-manager-1.0.6/package/dist
cp "$hm"/embed-amd.js "$hm"/[0-9]*.embed.js _offline/widgets/
find "$hm" -maxdepth 1 -regex '.*\.\(woff2?\|ttf\|eot\|svg\)' -exec cp {} _offline/widgets/ \;
cp "$tmp"/requirejs-2.3.7/package/require.js _offline/widgets/require.js
# widget-paths.js (not part of the upstream recipe), loaded by _config.yml between require.js
# and embed-amd.js, fixes two problems of html-manager 1.0.6 in a self-hosted, MathJax 3 book:
#  1. embed-amd.js computes the URL of its icon fonts (and lazy chunks) from its AMD module ids
#     ("@jupyter-widgets/html-manager/dist/..."), which require.js resolves against the page's
#     own folder: 404s. Map those ids onto this folder.
#  2. widget labels are typeset through the MathJax 2 API, MathJax.Hub.Queue, which MathJax 3
#     lacks: "Cannot read properties of undefined (reading 'Queue')" on every page that has math
#     and widgets. Provide Hub.Queue on top of MathJax 3's typesetPromise.
# Written last: `make assets` takes its presence to mean that _offline/ is complete.
cat > _offline/widgets/widget-paths.js <<'JS'
(function () {
  var dir = new URL(".", document.currentScript.src).href.replace(/\/$/, "");
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
JS
du -sh _offline
