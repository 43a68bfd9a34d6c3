"""The student edition of the labs (scripts/make_student.py, `make student`; issue 10 item 3).

* the transformation, on a tiny fixture notebook built here: stubs at the markers' indentation
  with the exercise's heading, no solution text left, ``hide-input`` removed, errors on
  unsafe markup, identical bytes on a second run;
* every lab of the book: its student edition contains no solution text, and EXECUTED (nbclient,
  in the lab's folder copy, two labs at a time) it raises no error and every check cell prints
  "not implemented yet". A lab without a ``solution`` cell is skipped locally; in CI (CI=true)
  every lab of chapters 1-8 must have at least 3 coding exercises.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parents[1]
SCRIPT = BOOK / "scripts" / "make_student.py"
LABS = sorted((BOOK / "chapters").glob("*/lab.ipynb"))
MIN_EXERCISES = 3
NOT_YET = "not implemented yet"
JOBS = int(os.environ.get("DLINV_STUDENT_JOBS", "2"))


def _load_script():
    spec = importlib.util.spec_from_file_location("make_student", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_student"] = mod
    spec.loader.exec_module(mod)
    return mod


ms = _load_script()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def chapter_number(lab: Path) -> int:
    m = re.match(r"(\d+)-", lab.parent.name)
    return int(m.group(1)) if m else 0


# ---- a tiny fixture lab ----------------------------------------------------------------------
CHECKS = """\
import numpy as np

from dlinv.exercises import Mistake, call, check


@check("Coding exercise 0.1: double a vector", verified="2 x on 3 vectors")
def check_double(fn):
    for n in (1, 2, 5):
        x = np.arange(n, dtype=float)
        if not np.allclose(call(fn, x), 2 * x):
            raise Mistake("f(x) is not 2 x", hint="multiply by two")


@check("Coding exercise 0.2: the sum of squares", verified="on 2 vectors")
def check_sumsq(fn):
    for x in (np.ones(3), np.arange(4.0)):
        if not np.isclose(call(fn, x), float(x @ x)):
            raise Mistake("wrong sum of squares", hint="x @ x")"""

SOLUTION_1 = '''\
def double(x):
    """Return 2 x."""
    # BEGIN SOLUTION
    y = 2 * x
    SECRET_DOUBLE_MARK = 1
    return y
    # END SOLUTION'''

SOLUTION_2 = '''\
def sumsq(x):
    """The sum of the squares of x."""
    if x.ndim != 1:
        raise ValueError("x must be a vector")
    # BEGIN SOLUTION
    total = 0.0
    for v in x:
        total += v * v  # SECRET_SUMSQ_MARK
    # END SOLUTION
    return total'''

LONG_TITLE = (
    "Coding exercise 0.2: the sum of squares, with a long title that does not fit on one line"
)
QUIZ = [
    {
        "question": "What is 2 times 3?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "6", "correct": True, "feedback": "Right: 2 x 3 = 6."},
            {"answer": "5", "correct": False, "feedback": "No: that is 2 + 3."},
        ],
    }
]


def fixture_notebook() -> nbformat.NotebookNode:
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell("# Fixture lab\n\nA tiny lab for the student-edition tests."),
        v4.new_code_cell(CHECKS),
        v4.new_markdown_cell("## Exercises"),
        v4.new_markdown_cell("### Coding exercise 0.1: double a vector\n\nWrite `double(x)`."),
        v4.new_code_cell(SOLUTION_1, metadata={"tags": ["solution", "hide-input"]}),
        v4.new_code_cell("check_double(double)"),
        v4.new_markdown_cell("Some prose between the exercises."),
        v4.new_markdown_cell(f"### {LONG_TITLE}\n\nWrite `sumsq(x)`."),
        v4.new_code_cell(SOLUTION_2, metadata={"tags": ["hide-input", "solution"]}),
        v4.new_code_cell("check_sumsq(sumsq)"),
        v4.new_markdown_cell("## Self-check quiz"),
        v4.new_code_cell(
            'from dlinv.quiz import show_quiz\n\nshow_quiz("quiz.json")',
            metadata={"tags": ["remove-input"]},
        ),
    ]
    nb = v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            }
        },
    )
    for i, c in enumerate(nb.cells):
        c["id"] = f"fixture-{i:02d}"
    cells[5].outputs = [v4.new_output("stream", name="stdout", text="passed\n")]
    cells[5].execution_count = 3
    return nb


@pytest.fixture
def fixture_book(tmp_path) -> Path:
    """A book with one chapter: the fixture lab, its quiz, a data file and a theory page."""
    ch = tmp_path / "book" / "chapters" / "00-fixture"
    ch.mkdir(parents=True)
    nbformat.write(fixture_notebook(), ch / "lab.ipynb")
    (ch / "quiz.json").write_text(json.dumps(QUIZ), encoding="utf-8")
    (ch / "data").mkdir()
    (ch / "data" / "x.csv").write_text("1,2\n", encoding="utf-8")
    (ch / "theory.md").write_text("# Theory\n", encoding="utf-8")
    (ch / "problem-solutions.md").write_text("# Solutions\nSECRET_HW\n", encoding="utf-8")
    return tmp_path / "book"


# ---- the transformation ----------------------------------------------------------------------
def test_fixture_stubs():
    student = ms.student_notebook(fixture_notebook(), where="fixture")
    src = [c.source for c in student.cells]
    assert src[4] == (
        'def double(x):\n    """Return 2 x."""\n'
        '    raise NotImplementedError("Coding exercise 0.1: double a vector")'
    )
    assert src[8] == (
        'def sumsq(x):\n    """The sum of the squares of x."""\n'
        '    if x.ndim != 1:\n        raise ValueError("x must be a vector")\n'
        "    raise NotImplementedError(\n"
        '        "Coding exercise 0.2: the sum of squares, with a long title that "\n'
        '        "does not fit on one line")\n'
        "    return total"
    )
    for i in (4, 8):
        ast.parse(src[i])  # still valid Python
        assert student.cells[i].metadata["tags"] == ["solution"]
        assert all(len(line) <= 79 for line in src[i].splitlines())
    text = json.dumps(student)
    for secret in ("SECRET_DOUBLE_MARK", "SECRET_SUMSQ_MARK", "y = 2 * x", ms.BEGIN, ms.END):
        assert secret not in text
    assert all(
        c.get("outputs", []) == [] and c.get("execution_count") is None
        for c in student.cells
        if c.cell_type == "code"
    )
    # everything else is untouched
    original = fixture_notebook()
    for i, (a, b) in enumerate(zip(original.cells, student.cells)):
        if i not in (4, 8):
            assert a.source == b.source and a.metadata == b.metadata
    assert ms.solution_cells(original) == [4, 8]


@pytest.mark.parametrize(
    "source, message",
    [
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "without"),
        ("def f():\n    return 1\n    # END SOLUTION\n", "without"),
        ("def f():\n    return 1\n", "no '# BEGIN SOLUTION'"),
        ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    # END SOLUTION\n", "nested"),
    ],
)
def test_bad_markers(source, message):
    nb = fixture_notebook()
    nb.cells[4].source = source
    with pytest.raises(ms.StudentEditionError, match=message):
        ms.student_notebook(nb)


def test_markers_outside_a_solution_cell_are_refused():
    nb = fixture_notebook()
    nb.cells[4].metadata["tags"] = ["hide-input"]  # forgot the tag: would leak
    with pytest.raises(ms.StudentEditionError, match="not tagged"):
        ms.student_notebook(nb)


def test_solution_without_heading_is_refused():
    nb = fixture_notebook()
    del nb.cells[3]
    with pytest.raises(ms.StudentEditionError, match="Coding exercise' heading"):
        ms.student_notebook(nb)


def test_edition_files_and_determinism(fixture_book, tmp_path):
    out1, out2 = tmp_path / "s1", tmp_path / "s2"
    ms.make_student(fixture_book, out1, quiet=True)
    ms.make_student(fixture_book, out1, quiet=True)  # over an existing edition
    ms.make_student(fixture_book, out2, quiet=True)
    files1 = sorted(p.relative_to(out1) for p in out1.rglob("*") if p.is_file())
    files2 = sorted(p.relative_to(out2) for p in out2.rglob("*") if p.is_file())
    ch = Path("chapters/00-fixture")
    assert files1 == files2 == [ch / "data/x.csv", ch / "lab.ipynb", ch / "quiz.json"]
    for f in files1:
        assert (out1 / f).read_bytes() == (out2 / f).read_bytes(), f"{f} differs between runs"
    nbformat.validate(nbformat.read(out1 / ch / "lab.ipynb", as_version=4))


def test_fixture_student_edition_runs(fixture_book, tmp_path):
    """The student fixture runs top to bottom; each check says 'not implemented yet'."""
    ms.make_student(fixture_book, tmp_path / "s", quiet=True)
    lab = tmp_path / "s" / "chapters" / "00-fixture" / "lab.ipynb"
    nb = nbformat.reads(execute(str(lab)), as_version=4)
    assert_runs_as_student(nb, ms.solution_cells(nb), "fixture")


# ---- the book's labs ---------------------------------------------------------------------------
def lab_id(lab: Path) -> str:
    return lab.parent.name


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    ms.make_student(BOOK, out, quiet=True)
    return out


def execute(path: str) -> str:
    """Execute a notebook in its own folder; return the executed notebook (JSON text)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    if JOBS > 1:  # two kernels on two cores: one BLAS thread each
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    client.execute(env=env)
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def executions(edition):
    """Start executing every student lab that has exercises, JOBS at a time."""
    todo = [lab for lab in LABS if ms.solution_cells(nbformat.read(lab, as_version=4))]
    with cf.ThreadPoolExecutor(max_workers=max(1, JOBS)) as pool:
        futures = {lab: pool.submit(execute, str(edition / lab.relative_to(BOOK))) for lab in todo}
        yield futures
        for f in futures.values():
            f.cancel()


def marked_lines(source: str) -> list[str]:
    """The stripped lines between the solution markers of a cell."""
    out, inside = [], False
    for line in source.split("\n"):
        s = line.strip()
        if s == ms.BEGIN:
            inside = True
        elif s == ms.END:
            inside = False
        elif inside and s and not s.startswith("#"):
            out.append(s)
    return out


def outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(str(out["data"].get("text/plain", "")))
    return "".join(parts)


def assert_runs_as_student(nb, solutions: list[int], name: str) -> None:
    errors = [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    errors += [
        f"cell {i}: traceback on stderr"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("name") == "stderr" and "Traceback" in o.get("text", "")
    ]
    assert not errors, f"{name}: the student edition fails: {errors}"
    for i in solutions:
        nxt = next(
            (j for j in range(i + 1, len(nb.cells)) if nb.cells[j].cell_type == "code"), None
        )
        assert nxt is not None, f"{name}: no check cell after the solution cell {i}"
        text = outputs_text(nb.cells[nxt])
        assert NOT_YET in text, (
            f"{name}: the check cell {nxt} after solution cell {i} "
            f"does not say '{NOT_YET}': {text[:300]!r}"
        )


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_exercise_count(lab):
    n = len(ms.solution_cells(nbformat.read(lab, as_version=4)))
    if 1 <= chapter_number(lab) <= 8 and n < MIN_EXERCISES:
        msg = f"{lab_id(lab)}: {n} coding exercise(s), at least {MIN_EXERCISES} wanted (issue 10)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg + " (a failure in CI)")


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_no_solution_text(edition, lab):
    original = nbformat.read(lab, as_version=4)
    student = nbformat.read(edition / lab.relative_to(BOOK), as_version=4)
    assert len(student.cells) == len(original.cells)
    solutions = ms.solution_cells(original)
    outside = "\n".join(  # lines that legitimately appear outside the marked blocks
        ms.strip_solution(c.source, "", "") if i in solutions else c.source
        for i, c in enumerate(original.cells)
    )
    outside_lines = {s.strip() for s in outside.split("\n")}
    student_lines = {s.strip() for c in student.cells for s in c.source.split("\n")}
    leaked = sorted(
        {
            s
            for i in solutions
            for s in marked_lines(original.cells[i].source)
            if s not in outside_lines and s in student_lines
        }
    )
    assert not leaked, f"solution lines left in the student edition: {leaked}"
    text = nbformat.writes(student)
    assert ms.BEGIN not in text and ms.END not in text
    for i in solutions:
        assert "hide-input" not in student.cells[i].metadata.get("tags", [])
        assert "raise NotImplementedError(" in student.cells[i].source
        ast.parse(student.cells[i].source)


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_student_lab_runs(executions, lab):
    if lab not in executions:
        pytest.skip(f"{lab_id(lab)} has no coding exercise: its student edition is the lab")
    nb = nbformat.reads(executions[lab].result(), as_version=4)
    assert_runs_as_student(nb, ms.solution_cells(nb), lab_id(lab))


def test_heading_inside_a_longer_markdown_cell():
    nb = fixture_notebook()
    nb.cells[
        3
    ].source = "## Tools\n\nSome intro.\n\n### Coding exercise 0.1: double a vector\n\nGo."
    student = ms.student_notebook(nb)
    assert 'NotImplementedError("Coding exercise 0.1: double a vector")' in student.cells[4].source
