"""The course's TeX macros in the PDF too: one definition, in ``mathjax3_config`` (_config.yml).

MathJax reads ``mathjax3_config.tex.macros``; LaTeX needs ``\\newcommand`` lines in the
preamble. This extension writes them from the same dictionary when the LaTeX builder runs, so
the HTML and the PDF cannot disagree. ``\\providecommand`` followed by ``\\renewcommand``
defines a macro whether or not a package already did (e.g. ``\\R`` or ``\\E``). A macro
without arguments is wrapped in braces: MathJax accepts ``P_\\cS`` for ``P_{\\mathcal{S}}``,
LaTeX only if ``\\cS`` expands to one group.
"""

from __future__ import annotations


def latex_preamble(macros: dict) -> str:
    lines = []
    for name, body in macros.items():
        nargs = 0
        if isinstance(body, (list, tuple)):
            body, nargs = body[0], int(body[1])
        args = f"[{nargs}]" if nargs else ""
        if not nargs and not body.startswith("\\operatorname"):
            body = "{" + body + "}"  # so that P_\cS works in LaTeX as it does in MathJax
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{args}{{{body}}}")
    return "\n".join(lines)


def add_macros(app, config):
    macros = ((config.mathjax3_config or {}).get("tex") or {}).get("macros") or {}
    elements = dict(config.latex_elements or {})
    elements["preamble"] = elements.get("preamble", "") + "\n" + latex_preamble(macros) + "\n"
    config.latex_elements = elements


def setup(app):
    app.connect("config-inited", add_macros)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
