"""The instructors' schedule is computed from the pages (written at every build by
_ext/study_time_page.py from scripts/study_time.py)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("study_time", ROOT / "scripts" / "study_time.py")
study_time = importlib.util.module_from_spec(spec)
spec.loader.exec_module(study_time)


def test_schedule_page_has_both_tables():
    page = study_time.page()
    assert "| Week |" in page and "| Chapter |" in page
    assert "| 10 |" in page and "| 8 |" in page


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
