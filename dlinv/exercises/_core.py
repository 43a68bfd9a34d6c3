"""The machinery behind the labs' coding exercises: run a student's function, say what is wrong.

A check is written as a plain function that calls the student's code on random instances and
edge cases and raises :class:`Mistake` (what fails, which result of the chapter it
contradicts, a hint) at the first wrong answer. The :func:`check` decorator turns it into what
the lab calls:

* the student's function raises ``NotImplementedError`` (the stub of the student edition):
  print ``not implemented yet`` and return a :class:`Feedback` with ``implemented=False``.
  No exception, no traceback: the student edition runs top to bottom.
* a wrong answer (a :class:`Mistake`, or any exception raised by the student's code): print
  the feedback and raise :class:`CheckFailed`. The instructor edition (the committed
  notebooks, executed by the book build and nbval) therefore fails loudly if a reference
  solution is wrong. In IPython only the feedback is shown, not a traceback.
* success: print what was verified and return a :class:`Feedback` with ``passed=True``.

Example (a chapter's module, e.g. :mod:`dlinv.exercises.ch1`)::

    @check("Coding exercise 1.1: the oracle map",
           verified="W A R = R on 20 random problems (the oracle is exact on S)")
    def check_oracle(oracle_map):
        for prob in random_problems(20, seed=0):
            W = call(oracle_map, prob.A, prob.R)
            expect_shape(W, (prob.d, prob.m), "the map sends measurements to signals")
            if not np.allclose(W @ prob.A @ prob.R, prob.R, atol=1e-8):
                raise Mistake("W A R differs from R: the map is not exact on S",
                              contradicts="the oracle is exact on S (Lemma 1.4)",
                              hint="the oracle is R (A R)^+, not A^+")
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "CheckFailed",
    "Feedback",
    "Mistake",
    "call",
    "check",
    "expect_close",
    "expect_shape",
    "rng_for",
]

PASS, FAIL, TODO = "\u2713", "\u2717", "\u2026"  # check mark, ballot x, ellipsis


class Mistake(Exception):
    """A wrong answer found by a check: what fails, what it contradicts, and a hint."""

    def __init__(self, what: str, *, contradicts: str = "", hint: str = ""):
        super().__init__(what)
        self.what, self.contradicts, self.hint = what, contradicts, hint


class CheckFailed(AssertionError):
    """Raised after the feedback of a failed check has been printed."""


@dataclass
class Feedback:
    """What a check found. ``bool(feedback)`` is ``passed``."""

    exercise: str
    passed: bool
    implemented: bool = True
    lines: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:  # the feedback is already printed: show nothing more
        return None

    def __repr__(self) -> str:
        state = "passed" if self.passed else "not implemented" if not self.implemented else "failed"
        return f"<{self.exercise}: {state}>"


class _StudentRaised(Exception):
    """Internal: an exception raised by the student's code (not by the check itself)."""

    def __init__(self, exc: BaseException):
        super().__init__(repr(exc))
        self.exc = exc


def call(fn, *args, **kwargs):
    """Call the student's ``fn``; mark exceptions it raises as the student's (not the check's)."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - any error in student code is feedback
        raise _StudentRaised(exc) from exc


def rng_for(seed: int) -> np.random.Generator:
    """The random generator of a check: fixed seed, so feedback is reproducible."""
    return np.random.default_rng(seed)


def expect_shape(value, shape: tuple, meaning: str) -> np.ndarray:
    """Raise a :class:`Mistake` unless ``value`` is a finite array of the given shape."""
    arr = np.asarray(value)
    if arr.shape != tuple(shape):
        raise Mistake(
            f"your function returned an array of shape {arr.shape}, "
            f"expected {tuple(shape)}: {meaning}",
            hint="check the order of the factors and any transposes",
        )
    if not np.all(np.isfinite(arr)):
        raise Mistake(
            "your function returned NaN or infinite entries",
            hint="look for a division by zero or a step that diverges",
        )
    return arr


def expect_close(
    value, expected, *, rtol: float, what: str, contradicts: str = "", hint: str = ""
) -> None:
    """Raise a :class:`Mistake` unless ``value`` equals ``expected`` to relative tolerance
    ``rtol``."""
    value, expected = np.asarray(value, dtype=float), np.asarray(expected, dtype=float)
    scale = max(float(np.linalg.norm(expected)), 1e-300)
    err = float(np.linalg.norm(value - expected)) / scale
    if not err <= rtol:
        raise Mistake(
            f"{what}: relative error {err:.2e} (tolerance {rtol:.0e})",
            contradicts=contradicts,
            hint=hint,
        )


WIDTH = 79  # a printed line the published page shows without scrolling


def _wrap(lines: list[str]) -> list[str]:
    """Lines of at most WIDTH characters (continuations indented like a feedback line)."""
    out = []
    for line in lines:
        out += textwrap.wrap(
            line, WIDTH, subsequent_indent="   ", break_long_words=False, break_on_hyphens=False
        ) or [""]
    return out


def _header(mark: str, exercise: str, state: str) -> list[str]:
    """``<mark> <exercise>: <state>`` wrapped, the state (e.g. "not implemented yet.") whole."""
    lines = _wrap([f"{mark} {exercise}:"])
    if len(lines[-1]) + 1 + len(state) <= WIDTH:
        lines[-1] += " " + state
    else:
        lines.append("   " + state)
    return lines


def _show(lines: list[str]) -> None:
    print("\n".join(lines))


def _install_ipython_handler() -> None:
    """In IPython, show a failed check as its feedback only (the cell still fails)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always there in a notebook
        return
    ip = get_ipython()
    if ip is None or getattr(ip, "_dlinv_check_handler", False):
        return

    def handler(shell, etype, value, tb, tb_offset=None):
        print(f"{FAIL} {value}")
        return None

    ip.set_custom_exc((CheckFailed,), handler)
    ip._dlinv_check_handler = True


def check(exercise: str, *, verified: str):
    """Decorator: turn a function that raises :class:`Mistake` into a lab's check.

    ``exercise`` names the exercise as the lab does ("Coding exercise 3.2: ..."); ``verified``
    says, in the chapter's terms, what a pass establishes.
    """

    def decorate(body):
        @functools.wraps(body)
        def run(*student_fns, **kwargs) -> Feedback:
            try:
                body(*student_fns, **kwargs)
            except NotImplementedError:
                lines = _header(TODO, exercise, "not implemented yet.") + _wrap(
                    [
                        "   Replace `raise NotImplementedError` in the cell above with "
                        "your code, run it, then run this check again."
                    ]
                )
                _show(lines)
                return Feedback(exercise, passed=False, implemented=False, lines=lines)
            except Mistake as m:
                lines = [f"{FAIL} {exercise}: not right yet.", f"   What fails: {m.what}"]
                if m.contradicts:
                    lines.append(f"   This contradicts: {m.contradicts}")
                if m.hint:
                    lines.append(f"   Hint: {m.hint}")
                _show(lines)
                _install_ipython_handler()
                raise CheckFailed(f"{exercise}: not passed (see the feedback above)") from None
            except _StudentRaised as e:
                lines = [
                    f"{FAIL} {exercise}: your function raised {type(e.exc).__name__}: {e.exc}",
                    "   Hint: run it by hand on a small instance and compare shapes with the task.",
                ]
                _show(lines)
                _install_ipython_handler()
                raise CheckFailed(f"{exercise}: not passed (see the feedback above)") from None
            # the lines the published page shows: wrapped so that nothing scrolls sideways
            lines = _header(PASS, exercise, "passed.") + _wrap([f"   Verified: {verified}"])
            _show(lines)
            return Feedback(exercise, passed=True, lines=lines)

        run.exercise = exercise
        return run

    return decorate
