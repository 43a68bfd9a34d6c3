"""The instructors' schedule is computed from the pages: chapters/study-time.md is up to date."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("study_time", ROOT / "scripts" / "study_time.py")
study_time = importlib.util.module_from_spec(spec)
spec.loader.exec_module(study_time)


def test_schedule_is_up_to_date():
    assert study_time.OUT.read_text(encoding="utf-8") == study_time.page(), (
        "run: python scripts/study_time.py --write"
    )


def test_ten_weeks_cover_every_chapter():
    covered = {}
    for _, _, _, parts in study_time.WEEKS:
        for ch, frac in parts.items():
            covered[ch] = covered.get(ch, 0.0) + frac
    assert len(study_time.WEEKS) == 10
    assert covered == {ch: 1.0 for ch in range(1, 10)}


def test_folded_text_is_counted_apart():
    text = "Word one.\n\n:::{dropdown} Technical details\nthree more words\n:::\n"
    first, folded = study_time.split_folded(text)
    assert study_time.words(first) == 2 and study_time.words(folded) == 3
