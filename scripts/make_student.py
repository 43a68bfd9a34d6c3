#!/usr/bin/env python3
"""Write the student edition of the labs: solutions replaced by stubs (issue 10, item 3).

The committed notebooks are the instructor edition. In every code cell tagged ``solution``,
the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` (both included) become one

    raise NotImplementedError("Coding exercise N.k: <title>")

at the indentation of the ``# BEGIN SOLUTION`` line, where the text is the nearest preceding
markdown heading ``### Coding exercise N.k: <title>`` (a line of a markdown cell). The
``hide-input`` tag is removed from those cells (the student must see the stub), every output
and execution count is cleared, and the notebook is written with nbformat's own layout
(indent 1, sorted keys). Everything else in the chapter folder that a lab may read
(``quiz.json``, data files) is copied beside it; Markdown pages (theory, instructor-only
problem solutions) are not.

Usage::

    python scripts/make_student.py [--book DIR] [--out DIR]     # default out: _build/student

The output is deterministic: running it twice gives identical bytes. Needs only the Python
standard library and nbformat.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HEADING = re.compile(r"^###\s+(Coding exercise\b.*?)\s*#*\s*$")
SOLUTION_TAG = "solution"
HIDE_TAGS = ("hide-input",)
MAX_LINE = 79
# never copied into the student edition (besides lab.ipynb, which is transformed)
SKIP_SUFFIXES = (".md", ".pyc")
SKIP_DIRS = {".ipynb_checkpoints", "__pycache__"}


class StudentEditionError(ValueError):
    """A notebook whose solution markup cannot be turned into a stub safely."""


def _stub_lines(indent: str, message: str) -> list[str]:
    """The ``raise NotImplementedError(...)`` replacing a solution, wrapped if it is long."""
    literal = json.dumps(message, ensure_ascii=False)  # a valid Python string literal
    one = f"{indent}raise NotImplementedError({literal})"
    if len(one) <= MAX_LINE:
        return [one]
    # one string literal per line (implicit concatenation), words kept whole
    inner = indent + "    "
    width = max(MAX_LINE - len(inner) - 3, 20)  # room for the quotes and ")"
    chunks, cur = [], ""
    for word in message.split(" "):
        cand = f"{cur} {word}" if cur else word
        if cur and len(json.dumps(cand + " ", ensure_ascii=False)) > width:
            chunks.append(cur + " ")
            cur = word
        else:
            cur = cand
    chunks.append(cur)
    lines = [inner + json.dumps(c, ensure_ascii=False) for c in chunks]
    lines[-1] += ")"
    return [f"{indent}raise NotImplementedError("] + lines


def strip_solution(source: str, message: str, where: str) -> str:
    """Replace every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block of ``source`` by a stub."""
    out: list[str] = []
    inside = False
    found = 0
    for line in source.split("\n"):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise StudentEditionError(f"{where}: nested '{BEGIN}'")
            inside, found = True, found + 1
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(_stub_lines(indent, message))
        elif marker == END:
            if not inside:
                raise StudentEditionError(f"{where}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise StudentEditionError(f"{where}: '{BEGIN}' without '{END}'")
    if not found:
        raise StudentEditionError(f"{where}: a cell tagged '{SOLUTION_TAG}' has no '{BEGIN}' line")
    return "\n".join(out)


def exercise_heading(markdown: str) -> str | None:
    """'Coding exercise 3.2: ...' from the (last) coding-exercise heading of a markdown cell."""
    found = None
    for line in markdown.split("\n"):
        m = HEADING.match(line.strip())
        if m:
            found = m.group(1)
    return found


def student_notebook(nb: nbformat.NotebookNode, where: str = "notebook") -> nbformat.NotebookNode:
    """The student edition of ``nb`` (a new notebook; ``nb`` is not modified)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # deep copy
    heading = None
    for i, cell in enumerate(nb.cells):
        cid = f"{where}, cell {i} (id {cell.get('id', '?')})"
        if cell.cell_type == "markdown":
            heading = exercise_heading(cell.source) or heading
            continue
        if cell.cell_type != "code":
            continue
        tags = list(cell.get("metadata", {}).get("tags", []))
        if SOLUTION_TAG in tags:
            if heading is None:
                raise StudentEditionError(
                    f"{cid}: solution cell without a preceding '### Coding exercise' heading"
                )
            cell.source = strip_solution(cell.source, heading, cid)
            tags = [t for t in tags if t not in HIDE_TAGS]
            cell.metadata["tags"] = tags
        elif BEGIN in cell.source or END in cell.source:
            raise StudentEditionError(
                f"{cid}: solution markers in a cell not tagged '{SOLUTION_TAG}' "
                "(the solution would leak into the student edition)"
            )
        cell.outputs = []
        cell.execution_count = None
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    return nb


def solution_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the cells tagged ``solution``."""
    return [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and SOLUTION_TAG in c.get("metadata", {}).get("tags", [])
    ]


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def copy_tree(src: Path, dst: Path) -> list[Path]:
    """Copy the files a lab may read (everything but Markdown pages and the lab itself)."""
    written = []
    for f in sorted(src.rglob("*")):
        rel = f.relative_to(src)
        if (
            f.is_dir()
            or any(p in SKIP_DIRS or p.startswith(".") for p in rel.parts)
            or f.suffix in SKIP_SUFFIXES
            or rel == Path("lab.ipynb")
        ):
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dst / rel)
        written.append(dst / rel)
    return written


def make_student(book: Path, out: Path, *, quiet: bool = False) -> list[Path]:
    """Write the student edition of every ``chapters/*/lab.ipynb`` under ``out``."""
    labs = sorted((book / "chapters").glob("*/lab.ipynb"))
    if not labs:
        raise StudentEditionError(f"no chapters/*/lab.ipynb under {book}")
    chapters_out = out / "chapters"
    if chapters_out.exists():
        shutil.rmtree(chapters_out)  # no stale files from an earlier run
    written = []
    for lab in labs:
        rel = lab.relative_to(book)
        nb = nbformat.read(lab, as_version=4)
        student = student_notebook(nb, where=str(rel))
        target = out / rel
        write_notebook(student, target)
        written.append(target)
        written += copy_tree(lab.parent, target.parent)
        if not quiet:
            print(f"{rel}: {len(solution_cells(nb))} solution cell(s) -> {target}")
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("--book", type=Path, default=root, help="the book's root (default: repo)")
    ap.add_argument("--out", type=Path, default=None, help="output dir (default: _build/student)")
    args = ap.parse_args(argv)
    out = args.out if args.out is not None else args.book / "_build" / "student"
    try:
        make_student(args.book, out)
    except StudentEditionError as err:
        print(f"make_student: error: {err}", file=sys.stderr)
        return 1
    print(f"Student edition written to {out}/chapters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
