"""dlinv.exercises.ch1: each check of Lab 1 passes a reference solution, rejects typical wrong
implementations with feedback that names the failing property, and reports a stub as
"not implemented yet" without raising."""

import numpy as np
import pytest

from dlinv.exercises import CheckFailed
from dlinv.exercises import ch1 as ex


# ---- reference solutions (what the lab's solution cells compute) ----------------------------
def oracle_map(A, R):
    return R @ np.linalg.pinv(A @ R)


def pinv_error(A, x):
    return x - A.T @ np.linalg.solve(A @ A.T, A @ x)


def expected_error(W, A, R, sigma):
    K = (W @ A - np.eye(A.shape[1])) @ R
    return float(np.sum(K**2) + sigma**2 * np.sum(W**2))


def stub(*args):
    raise NotImplementedError("Coding exercise: write it")


CASES = [
    (
        ex.check_oracle_map,
        oracle_map,
        [
            (lambda A, R: np.linalg.pinv(A), "not exact on S"),  # the pseudo-inverse
            (lambda A, R: R @ (A @ R).T, "not exact on S"),  # transpose for pinv
            (lambda A, R: np.linalg.pinv(A @ R), "shape"),  # forgot R
        ],
    ),
    (
        ex.check_pinv_error,
        pinv_error,
        [
            (lambda A, x: A.T @ np.linalg.solve(A @ A.T, A @ x), "not in ker A"),  # reconstruction
            (lambda A, x: x - A.T @ (A @ x), "not in ker A"),  # missing inverse
            (lambda A, x: x - np.linalg.pinv(A) @ A @ x[:, None], "shape"),  # broadcasting
        ],
    ),
    (
        ex.check_expected_error,
        expected_error,
        [
            (lambda W, A, R, s: s * np.sum(W**2) + expected_error(W, A, R, 0.0), "noise amplific"),
            (lambda W, A, R, s: s**2 * np.sum(W**2), "pseudo-inverse at sigma"),  # no signal term
            (
                lambda W, A, R, s: expected_error(W, A, R, 0.0) + s**2 * np.linalg.norm(W, 2) ** 2,
                "noise amplific",
            ),  # spectral norm
        ],
    ),
]


@pytest.mark.parametrize("check, ref, wrongs", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_reference_passes_and_wrong_fails(check, ref, wrongs, capsys):
    fb = check(ref)
    assert fb.passed and fb.implemented
    assert "passed" in capsys.readouterr().out
    for wrong, says in wrongs:
        with pytest.raises(CheckFailed):
            check(wrong)
        out = capsys.readouterr().out
        assert "not right yet" in out or "your function raised" in out or "shape" in out
        assert says in out, (says, out)


@pytest.mark.parametrize("check", [c[0] for c in CASES])
def test_stub_is_not_implemented(check, capsys):
    fb = check(stub)
    assert not fb.passed and not fb.implemented
    assert "not implemented yet" in capsys.readouterr().out


def test_feedback_names_the_result(capsys):
    with pytest.raises(CheckFailed):
        ex.check_oracle_map(lambda A, R: np.linalg.pinv(A))
    out = capsys.readouterr().out
    assert "This contradicts: the oracle is exact on S" in out and "Theorem 1.3" in out
    assert "Hint:" in out
