"""Sphinx extension: the hidden code of a coding exercise's solution reads "Show solution".

myst-nb collapses a cell tagged ``hide-input`` behind a toggle labelled "Show code cell source".
For the cells tagged ``solution`` (the labs' coding exercises, issue 10) this relabels the toggle
"Show solution" / "Hide solution", so a self-study reader knows what is behind it. It runs just
before myst-nb's ``HideInputCells`` post-transform (priority 199) and changes nothing else.

Enable in ``_config.yml``::

    sphinx:
      local_extensions:
        solution_toggle: _ext/
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

SHOW, HIDE = "Show solution", "Hide solution"


class SolutionToggleLabel(SphinxPostTransform):
    default_priority = 198  # before myst_nb.sphinx_.HideInputCells (199)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        for node in self.document.findall(nodes.container):
            if node.get("nb_element") != "cell_code" or not node.get("hide_mode"):
                continue
            tags = (node.get("cell_metadata") or {}).get("tags", [])
            if "solution" in tags:
                node["prompt_show"], node["prompt_hide"] = SHOW, HIDE


def setup(app):
    app.add_post_transform(SolutionToggleLabel)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
