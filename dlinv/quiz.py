"""Self-check quizzes of the labs: multiple-choice and numeric questions with feedback.

A chapter's questions live in ``quiz.json`` beside its lab, in jupyterquiz's format (a list of
questions, each with ``question``, ``type`` (``"multiple_choice"`` or ``"numeric"``) and
``answers``; every answer has ``correct`` and ``feedback``). :func:`show_quiz` validates the
file and renders it with jupyterquiz, whose JavaScript is embedded in the cell's output: the
quiz answers on the static published page, without a kernel and without network.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["load_quiz", "show_quiz"]

QUIZ_TYPES = {"multiple_choice", "many_choice", "numeric"}


def load_quiz(path: str | Path) -> list[dict]:
    """Read and validate a quiz file; raise ``ValueError`` naming the question at fault."""
    questions = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(questions, list) or not questions:
        raise ValueError(f"{path}: a quiz is a non-empty JSON list of questions")
    for i, q in enumerate(questions, 1):
        where = f"{path}, question {i}"
        if q.get("type") not in QUIZ_TYPES:
            raise ValueError(f"{where}: type must be one of {sorted(QUIZ_TYPES)}")
        answers = q.get("answers")
        if not q.get("question") or not answers:
            raise ValueError(f"{where}: needs 'question' and 'answers'")
        if not any(a.get("correct") for a in answers):
            raise ValueError(f"{where}: no answer is marked correct")
        if not all(a.get("feedback") for a in answers):
            raise ValueError(f"{where}: every answer needs 'feedback' (why it is right or wrong)")
    return questions


def show_quiz(path: str | Path = "quiz.json") -> None:
    """Display the quiz in ``path`` (validated by :func:`load_quiz`) with jupyterquiz."""
    load_quiz(path)
    try:
        from jupyterquiz import display_quiz
    except ImportError:  # e.g. a kernel without the labs extra: say how to get it
        print("The quiz needs jupyterquiz: pip install jupyterquiz (or dlinv[labs]).")
        return
    display_quiz(str(path), shuffle_answers=False)
