"""Study time per chapter, computed from the pages' length, for the instructors' schedule.

A chapter's hours are the sum of
* first-pass reading: words of the theory page outside the folded blocks, at WORDS_PER_HOUR_TEXT
  (mathematical prose read with pencil and paper is slow);
* technical details: words inside the folded blocks ("skip on first reading", dropdown proofs),
  at the same rate, counted separately (a first pass skips them);
* the lab: LAB_BASE_HOURS to run and read it, plus HOURS_PER_CODING_EXERCISE for each coding
  exercise and HOURS_PER_QUIZ for the quiz;
* homework: HOURS_PER_HOMEWORK for each homework problem assigned (HOMEWORK_PER_WEEK a week).

``python scripts/study_time.py`` prints the table as Markdown; ``--write`` stores it in
chapters/study-time.md, which the instructors page includes (the build writes it: _ext/study_time_page.py).
The rates are stated assumptions, not measurements: change them here and the schedule follows.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "chapters" / "study-time.md"

WORDS_PER_HOUR_TEXT = 1500  # about 25 words a minute: definitions, proofs, checking steps
LAB_BASE_HOURS = 0.75
HOURS_PER_CODING_EXERCISE = 0.5
HOURS_PER_QUIZ = 0.25
HOURS_PER_HOMEWORK = 1.5
HOMEWORK_PER_CHAPTER = 2  # of the homework problems and exercises, assigned per chapter

#: the 10-week plan: (week, what is read, the lab session, {chapter: fraction of its hours})
WEEKS = [
    (1, "Chapter 1: inverse problems, the oracle", "Lab 1", {1: 1.0}),
    (2, "Chapter 2: one linear layer, the frozen component", "Lab 2", {2: 1.0}),
    (3, "Chapter 3: deep linear networks, Lemmas A to D", "Lab 3", {3: 1.0}),
    (
        4,
        "Chapter 4, first part: representation cost, the oracle as cheapest interpolant",
        "Lab 4, first part",
        {4: 0.6},
    ),
    (
        5,
        "Chapter 4, second part: the regularized limit, collapse; Chapter 5 begins",
        "Lab 4, second part",
        {4: 0.4, 5: 0.3},
    ),
    (6, "Chapter 5: convergence in three phases", "Lab 5", {5: 0.7}),
    (7, "Chapter 6: what the network learns", "Lab 6", {6: 1.0}),
    (8, "Chapter 7: robustness and the trade-off", "Lab 7", {7: 1.0}),
    (9, "Chapter 8: beyond linear networks", "Lab 8", {8: 1.0}),
    (10, "Chapter 9 and a mini-project", "the Explorer; project presentations", {9: 1.0}),
]
PROJECT_HOURS = 5.0  # week 10's mini-project

FOLD_START = re.compile(r"^(`{3,}|:{3,})\{(dropdown|prf:proof)\}.*$|^:class:.*dropdown", re.M)
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def split_folded(text: str) -> tuple[str, str]:
    """(unfolded text, folded text) of a MyST page: dropdown blocks and dropdown proofs fold."""
    lines = text.splitlines()
    unfolded, folded = [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(`{3,}|:{3,})\{([\w:-]+)\}", line)
        if m:
            fence, name = m.group(1), m.group(2)
            j = i + 1
            depth_lines = [line]
            while j < len(lines) and lines[j].strip() != fence:
                depth_lines.append(lines[j])
                j += 1
            block = "\n".join(depth_lines)
            is_fold = name == "dropdown" or re.search(r"^:class:.*\bdropdown\b", block, re.M)
            (folded if is_fold else unfolded).append(block)
            i = j + 1
            continue
        unfolded.append(line)
        i += 1
    return "\n".join(unfolded), "\n".join(folded)


def words(text: str) -> int:
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)  # display math: counted by its prose
    text = re.sub(r"^(`{3,}|:{3,}|:[\w-]+:).*$", " ", text, flags=re.M)  # directive markup
    return len(WORD.findall(text))


def coding_exercises(lab: Path) -> int:
    if not lab.exists():
        return 0
    nb = json.loads(lab.read_text(encoding="utf-8"))
    return sum(1 for c in nb["cells"] if "solution" in c.get("metadata", {}).get("tags", []))


def chapters() -> list[dict]:
    rows = []
    for folder in sorted((ROOT / "chapters").glob("[0-9][0-9]-*")):
        theory, lab = folder / "theory.md", folder / "lab.ipynb"
        n = int(folder.name[:2])
        first, details = (
            ("", "") if not theory.exists() else split_folded(theory.read_text("utf-8"))
        )
        ex = coding_exercises(lab)
        quiz = (folder / "quiz.json").exists()
        hw = HOMEWORK_PER_CHAPTER * HOURS_PER_HOMEWORK if theory.exists() else 0.0
        row = {
            "chapter": n,
            "first_pass_words": words(first),
            "details_words": words(details),
            "reading": words(first) / WORDS_PER_HOUR_TEXT,
            "details": words(details) / WORDS_PER_HOUR_TEXT,
            "lab": (LAB_BASE_HOURS if lab.exists() else 0)
            + ex * HOURS_PER_CODING_EXERCISE
            + (HOURS_PER_QUIZ if quiz else 0),
            "coding_exercises": ex,
            "homework": hw,
        }
        row["total"] = row["reading"] + row["details"] + row["lab"] + row["homework"]
        rows.append(row)
    return rows


def table() -> str:
    rows = chapters()
    out = [
        "| Chapter | first pass (words) | technical details (words) | reading h | details h "
        "| lab h (coding exercises) | homework h | total h |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['chapter']} | {r['first_pass_words']} | {r['details_words']} | "
            f"{r['reading']:.1f} | {r['details']:.1f} | {r['lab']:.1f} "
            f"({r['coding_exercises']}) | {r['homework']:.1f} | {r['total']:.1f} |"
        )
    total = sum(r["total"] for r in rows)
    out.append(
        f"| all | {sum(r['first_pass_words'] for r in rows)} | "
        f"{sum(r['details_words'] for r in rows)} | "
        f"{sum(r['reading'] for r in rows):.1f} | {sum(r['details'] for r in rows):.1f} | "
        f"{sum(r['lab'] for r in rows):.1f} | {sum(r['homework'] for r in rows):.1f} | "
        f"{total:.1f} |"
    )
    return "\n".join(out)


def schedule() -> str:
    hours = {r["chapter"]: r["total"] for r in chapters()}
    out = ["| Week | Reading | Lab session | Hours of study |", "|---|---|---|---|"]
    for week, reading, lab, parts in WEEKS:
        h = sum(frac * hours.get(ch, 0.0) for ch, frac in parts.items())
        if week == WEEKS[-1][0]:
            h += PROJECT_HOURS
        out.append(f"| {week} | {reading} | {lab} | {h:.1f} |")
    return "\n".join(out)


def page() -> str:
    return (
        "<!-- generated by scripts/study_time.py --write; do not edit by hand -->\n\n"
        + "**Ten weeks.** Hours of study a week, outside the lectures, from the table below "
        "(week 10 adds a mini-project of "
        + f"{PROJECT_HOURS:.0f} hours):\n\n"
        + schedule()
        + "\n\n"
        + "**Hours per chapter**, computed from the pages' length:\n\n"
        + table()
        + "\n\n"
        + f"Rates assumed: {WORDS_PER_HOUR_TEXT} words of mathematical text per hour, "
        f"{LAB_BASE_HOURS} h per lab plus {HOURS_PER_CODING_EXERCISE} h per coding "
        f"exercise and {HOURS_PER_QUIZ} h per quiz, {HOMEWORK_PER_CHAPTER} homework "
        f"problems of {HOURS_PER_HOMEWORK} h per chapter.\n"
    )


if __name__ == "__main__":
    if "--write" in sys.argv:
        OUT.write_text(page(), encoding="utf-8")
    print(page())
