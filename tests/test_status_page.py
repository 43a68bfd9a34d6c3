"""The "What is proved" page covers every numbered result of the book, each with a status.

Every ``prf:theorem``, ``lemma``, ``proposition``, ``corollary``, ``conjecture`` and ``remark`` of the
chapters and of the appendix must have exactly one row in chapters/appendix/status.md, whose
status is one of STATUSES; the page must not list a label that no longer exists. A new result
cannot be added without saying what its status is.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "chapters" / "appendix" / "status.md"
KINDS = ("theorem", "lemma", "proposition", "corollary", "conjecture", "remark")
STATUSES = {
    "proved",
    "proved under hypotheses on the trajectory",
    "classical (cited)",
    "heuristic",
    "conjecture",
    "numerical observation",
    "commentary",
}
DIRECTIVE = re.compile(
    r"^(`{3,}|:{3,})\{prf:(" + "|".join(KINDS) + r")\}[^\n]*\n((?::[^\n]*\n)*)", re.M
)
ROW = re.compile(r"^\|\s*\{prf:ref\}`([^`]+)`\s*\|[^|]*\|\s*([^|]+?)\s*\|", re.M)


def results() -> dict:
    """label -> (file, kind) of every numbered result in the sources."""
    found = {}
    for f in sorted((ROOT / "chapters").rglob("*.md")):
        if f.name == "status.md" or f.name.startswith("problem-solutions"):
            continue
        for m in DIRECTIVE.finditer(f.read_text(encoding="utf-8")):
            label = re.search(r":label:\s*(\S+)", m.group(3))
            assert label, f"{f.relative_to(ROOT)}: a prf:{m.group(2)} without :label:"
            found[label.group(1)] = (f.relative_to(ROOT).as_posix(), m.group(2))
    return found


def rows() -> dict:
    text = PAGE.read_text(encoding="utf-8")
    out = {}
    for label, status in ROW.findall(text):
        assert label not in out, f"status.md lists {label} twice"
        out[label] = status.strip().lower()
    return out


def test_every_result_has_a_status():
    missing = sorted(set(results()) - set(rows()))
    assert not missing, f"results without a row in status.md: {missing}"


def test_no_stale_rows():
    stale = sorted(set(rows()) - set(results()))
    assert not stale, f"status.md lists labels that no longer exist: {stale}"


def test_statuses_are_known():
    bad = {k: v for k, v in rows().items() if v not in STATUSES}
    assert not bad, f"unknown statuses (use one of {sorted(STATUSES)}): {bad}"


def test_commentary_is_for_remarks_only():
    r = rows()
    for label, (_, kind) in results().items():
        if r.get(label) == "commentary":
            assert kind == "remark", (
                f"{label} is a {kind}: a result needs a status, not 'commentary'"
            )


def test_conjectures_are_labelled_conjecture():
    r = rows()
    for label, (_, kind) in results().items():
        if kind == "conjecture":
            assert r.get(label) == "conjecture", label


def test_the_check_can_fail(tmp_path, monkeypatch):
    """A chapter with a new lemma and no row makes the first test fail."""
    ch = tmp_path / "chapters" / "99-new"
    ch.mkdir(parents=True)
    (ch / "theory.md").write_text("```{prf:lemma} New\n:label: lem-new\n\nText.\n```\n")
    (tmp_path / "chapters" / "appendix").mkdir()
    (tmp_path / "chapters" / "appendix" / "status.md").write_text("| result | kind | status |\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PAGE", tmp_path / "chapters/appendix/status.md")
    assert "lem-new" in set(results()) - set(rows())
