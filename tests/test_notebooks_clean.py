"""Every committed notebook is committed clean (issue 12 item 4): no outputs, no execution counts,
no saved widget state, nbformat 4.5 with cell ids, in nbformat's own JSON layout (indent 1).

Fix a notebook with: jupyter nbconvert --clear-output --inplace path/to/lab.ipynb
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parents[1]
FIX = "jupyter nbconvert --clear-output --inplace"


def committed_notebooks() -> list[Path]:
    """The notebooks git tracks (every notebook outside _build/.venv without git)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", "*.ipynb"],
            cwd=BOOK,
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        files = [BOOK / f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = [
            p
            for p in BOOK.rglob("*.ipynb")
            if not {"_build", ".venv", ".ipynb_checkpoints"} & set(p.parts)
        ]
    return sorted(p for p in files if p.is_file())


NOTEBOOKS = committed_notebooks()


def test_notebooks_found():
    assert any(p.name == "lab.ipynb" for p in NOTEBOOKS), "no lab.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_notebook_is_clean(path):
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    rel = path.relative_to(BOOK)
    dirty = [
        f"cell {i} (id {c.get('id')}): {what}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for what, bad in (
            ("outputs", c.get("outputs")),
            (f"execution_count {c.get('execution_count')}", c.get("execution_count") is not None),
        )
        if bad
    ]
    assert not dirty, f"{rel} is committed with outputs: {dirty[:5]}; fix: {FIX} {rel}"
    assert "widgets" not in nb.metadata, f"{rel} carries saved widget state; fix: {FIX} {rel}"
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5), (
        f"{rel}: nbformat {nb.nbformat}.{nb.nbformat_minor}, expected 4.5 (cell ids)"
    )
    missing = [i for i, c in enumerate(nb.cells) if not c.get("id")]
    assert not missing, f"{rel}: cells without an id: {missing}"
    ids = [c.get("id") for c in nb.cells]
    assert len(set(ids)) == len(ids), f"{rel}: duplicate cell ids"
    canonical = nbformat.writes(nb)
    assert text.rstrip("\n") == canonical.rstrip("\n"), (
        f"{rel} is not in nbformat's JSON layout (indent 1, sorted keys); fix: {FIX} {rel}"
    )
