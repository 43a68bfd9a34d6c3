"""Checks for the labs' coding exercises, one module per chapter (``dlinv.exercises.ch1`` ...).

Each check runs the student's function on random instances and edge cases and prints feedback
in the chapter's terms (see :mod:`dlinv.exercises._core`). Import the chapter's module in its
lab: ``from dlinv.exercises import ch3 as ex``, then ``ex.check_gradient(my_gradient)``.
"""

from ._core import CheckFailed, Feedback, Mistake, call, check, expect_close, expect_shape, rng_for

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
