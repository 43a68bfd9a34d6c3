"""The instructor edition's table of contents (scripts/make_instructor.py; issue 15 item 7).

The homework solutions (chapters/NN-*/problem-solutions.md) are listed right after their
chapter's lab in the instructor toc, only when the file exists, and never in _toc.yml (the
public book). That the built public site contains none of them, and the instructor site all of
them, is checked on the builds by checks/test_editions.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import yaml

BOOK = Path(__file__).resolve().parents[1]


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "make_instructor", BOOK / "scripts" / "make_instructor.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_instructor"] = mod
    spec.loader.exec_module(mod)
    return mod


mi = _load_script()

TOC = {
    "format": "jb-book",
    "root": "intro",
    "parts": [
        {
            "caption": "Part I",
            "numbered": True,
            "chapters": [
                {"file": "chapters/01-a/theory", "sections": [{"file": "chapters/01-a/lab"}]},
                {"file": "chapters/02-b/theory", "sections": [{"file": "chapters/02-b/lab.ipynb"}]},
            ],
        },
        {"caption": "Explore", "chapters": [{"file": "chapters/09-c/lab"}]},
        {"caption": "Appendix", "chapters": [{"file": "chapters/appendix/notation"}]},
    ],
}


def test_solutions_follow_their_lab(tmp_path):
    for d in ("01-a", "02-b", "09-c"):
        (tmp_path / "chapters" / d).mkdir(parents=True)
    (tmp_path / "chapters" / "01-a" / "problem-solutions.md").write_text("# s\n")
    (tmp_path / "chapters" / "09-c" / "problem-solutions.md").write_text("# s\n")
    new, added = mi.instructor_toc(TOC, tmp_path)
    assert added == ["chapters/01-a/problem-solutions", "chapters/09-c/problem-solutions"]
    ch = new["parts"][0]["chapters"]
    assert ch[0]["sections"] == [
        {"file": "chapters/01-a/lab"},
        {"file": "chapters/01-a/problem-solutions"},
    ]
    assert ch[1]["sections"] == [{"file": "chapters/02-b/lab.ipynb"}]  # no file: not listed
    assert new["parts"][1]["chapters"] == [
        {"file": "chapters/09-c/lab"},
        {"file": "chapters/09-c/problem-solutions"},
    ]
    assert new["parts"][2] == TOC["parts"][2]
    assert TOC["parts"][0]["chapters"][0]["sections"] == [{"file": "chapters/01-a/lab"}]


def test_written_toc_is_the_public_toc_plus_solutions(tmp_path):
    out = tmp_path / "toc.yml"
    added = mi.write_toc(BOOK, out)
    public = yaml.safe_load((BOOK / "_toc.yml").read_text(encoding="utf-8"))
    expected = sorted(
        str(p.relative_to(BOOK).with_suffix(""))
        for p in BOOK.glob(f"chapters/*/{mi.SOLUTIONS}.md")
        if (p.parent / "lab.ipynb").is_file()
    )
    assert sorted(added) == expected
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# GENERATED")
    assert yaml.safe_load(text) == mi.instructor_toc(public, BOOK)[0]


def test_public_toc_lists_no_solutions():
    text = (BOOK / "_toc.yml").read_text(encoding="utf-8")
    assert mi.SOLUTIONS not in text, "homework solutions must not be in the public _toc.yml"
    cfg = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    assert cfg.get("only_build_toc_files") is True, (
        "only_build_toc_files: true keeps problem-solutions.md out of the public build"
    )
