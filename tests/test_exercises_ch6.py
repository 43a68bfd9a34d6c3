"""The checks of Lab 6's coding exercises pass the reference solutions and reject typical wrong
implementations with feedback that names the property that fails."""

import numpy as np
import pytest

from dlinv.exercises import CheckFailed
from dlinv.exercises import ch6 as ex


# ---- reference solutions (as in the lab) ---------------------------------------------------------
def sin_angles(Q1, Q2):
    return np.linalg.svd(Q1 - Q2 @ (Q2.T @ Q1), compute_uv=False)[::-1]


def effective_rank(M, tol):
    sig = np.linalg.svd(M, compute_uv=False)
    if sig.size == 0 or sig[0] == 0:
        return 0
    return int(np.sum(sig > tol * sig[0]))


def encoding_defects(weights, U):
    first = np.linalg.norm(weights[0] - (weights[0] @ U) @ U.T)
    imb = max(
        (
            np.linalg.norm(weights[j + 1].T @ weights[j + 1] - weights[j] @ weights[j].T)
            for j in range(len(weights) - 1)
        ),
        default=0.0,
    )
    return first, imb


def test_references_pass(capsys):
    assert ex.check_sin_angles(sin_angles)
    assert ex.check_effective_rank(effective_rank)
    assert ex.check_encoding_defects(encoding_defects)
    assert capsys.readouterr().out.count("passed") == 3


def _fails(check, fn, capsys, *phrases):
    with pytest.raises(CheckFailed):
        check(fn)
    out = capsys.readouterr().out
    for p in phrases:
        assert p in out, out
    return out


# ---- wrong implementations -------------------------------------------------------------------------
def test_sin_angles_rejects_cosines(capsys):
    def cosines(Q1, Q2):  # singular values of Q1^T Q2 (or of Q2 Q2^T Q1): cosines
        return np.sort(np.linalg.svd(Q1.T @ Q2, compute_uv=False))

    _fails(ex.check_sin_angles, cosines, capsys, "cosines", "lem-ch6-angles")


def test_sin_angles_rejects_arccos(capsys):
    def via_arccos(Q1, Q2):  # loses every angle below 1e-8
        c = np.clip(np.linalg.svd(Q1.T @ Q2, compute_uv=False), 0, 1)
        return np.sort(np.sin(np.arccos(c)))

    _fails(ex.check_sin_angles, via_arccos, capsys, "identical", "arccos")


def test_sin_angles_rejects_decreasing(capsys):
    def decreasing(Q1, Q2):
        return np.linalg.svd(Q1 - Q2 @ (Q2.T @ Q1), compute_uv=False)

    _fails(ex.check_sin_angles, decreasing, capsys, "increasing order")


def test_effective_rank_rejects_absolute_tolerance(capsys):
    def absolute(M, tol):
        return int(np.sum(np.linalg.svd(M, compute_uv=False) > tol))

    _fails(ex.check_effective_rank, absolute, capsys, "relative", "def-ch6-effective-rank")


def test_effective_rank_rejects_non_strict(capsys):
    def non_strict(M, tol):
        sig = np.linalg.svd(M, compute_uv=False)
        return 0 if sig[0] == 0 else int(np.sum(sig >= tol * sig[0]))

    _fails(ex.check_effective_rank, non_strict, capsys, "strict")


def test_effective_rank_rejects_zero_matrix_crash(capsys):
    def divides(M, tol):
        sig = np.linalg.svd(M, compute_uv=False)
        return int(np.sum(sig / sig[0] > tol)) if sig[0] > 0 else 1

    _fails(ex.check_effective_rank, divides, capsys, "zero matrix")


def test_encoding_defects_rejects_wrong_projector(capsys):
    def onto_AS(weights, U):
        return np.linalg.norm(weights[0] @ U @ U.T), encoding_defects(weights, U)[1]

    _fails(ex.check_encoding_defects, onto_AS, capsys, "part 1", "I - U U^T")


def test_encoding_defects_rejects_wrong_imbalance(capsys):
    def frob_gap(weights, U):  # compares norms, not matrices
        imb = max(
            abs(np.linalg.norm(weights[j + 1]) ** 2 - np.linalg.norm(weights[j]) ** 2)
            for j in range(len(weights) - 1)
        )
        return encoding_defects(weights, U)[0], imb

    _fails(ex.check_encoding_defects, frob_gap, capsys, "imbalance", "part 4")


def test_stubs_are_not_implemented(capsys):
    def stub(*args):
        raise NotImplementedError("Coding exercise 6.k")

    for check in (ex.check_sin_angles, ex.check_effective_rank, ex.check_encoding_defects):
        fb = check(stub)
        assert not fb.implemented and not fb.passed
    assert capsys.readouterr().out.count("not implemented yet") == 3
