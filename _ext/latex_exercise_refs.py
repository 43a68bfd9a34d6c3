"""Sphinx extension: references to untitled exercises carry their number in the PDF.

In HTML, ``{ref}`` to an exercise without a title reads "Exercise 4.3". In LaTeX, Sphinx writes
such a reference as ``Exercise \\ref{<doc>:<label>}``, but sphinx-exercise typesets an exercise as
an admonition with its number already in the title and the anchor ``exercise:<label>``, so LaTeX
has no counter behind that ``\\ref`` and prints "Exercise ??". This post-transform (LaTeX only,
after sphinx-exercise has numbered the titles) replaces each such reference by a link to the
anchor with the number as text, taken from the exercise's own title in the assembled document.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform


def exercise_titles(document) -> dict[str, str]:
    """Label -> "Exercise N" for every numbered exercise in the (assembled) document."""
    from sphinx_exercise.nodes import exercise_enumerable_node

    titles = {}
    for node in document.findall(exercise_enumerable_node):
        title = node.children[0].astext() if node.children else ""
        head = title.split(" (", 1)[0].strip()  # drop a subtitle: "Exercise 4.3 (Title)"
        for ident in node.get("ids", []):
            titles[ident] = head
    return titles


class ExerciseNumberReferences(SphinxPostTransform):
    default_priority = 25  # after sphinx-exercise's title (20) and link-text (22) transforms
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        from sphinx_exercise.nodes import exercise_latex_number_reference

        registry = getattr(self.env, "sphinx_exercise_registry", {})
        titles = exercise_titles(self.document)
        for ref in list(self.document.findall(addnodes.number_reference)):
            target = ref.get("refid") or ref.get("refuri", "").rsplit("#", 1)[-1]
            label = target.rsplit(":", 1)[-1]
            if label not in registry or label not in titles:
                continue
            new = exercise_latex_number_reference()
            new["refid"] = label
            new += nodes.Text(titles[label])
            ref.replace_self(new)


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.add_post_transform(ExerciseNumberReferences)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
