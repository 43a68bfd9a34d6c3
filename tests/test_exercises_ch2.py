"""dlinv.exercises.ch2: each check of Lab 2 passes a reference solution, rejects typical wrong
implementations with feedback that names the failing property, and reports a stub as
"not implemented yet" without raising."""

import numpy as np
import pytest

from dlinv.exercises import CheckFailed
from dlinv.exercises import ch2 as ex


# ---- reference solutions ----------------------------------------------------------------------
def gd_step(W, Syy, Sxy, eta, lam):
    return W - eta * (W @ Syy - Sxy) - eta * lam * W


def frozen_component(W0, A, R, eta, lam, t):
    B = A @ R
    P_perp = np.eye(A.shape[0]) - B @ np.linalg.pinv(B)
    return (1 - eta * lam) ** t * W0 @ P_perp


def ridge_map(Syy, Sxy, lam):
    return Sxy @ np.linalg.inv(Syy + lam * np.eye(Syy.shape[0]))


def stub(*args):
    raise NotImplementedError("Coding exercise: write it")


CASES = [
    (
        ex.check_gd_step,
        gd_step,
        [
            (
                lambda W, Syy, Sxy, eta, lam: W - eta * (W @ Syy - Sxy) - lam * W,
                "W(t+1) P_perp != (1 - eta lam)",
            ),  # decoupled: missing eta
            (
                lambda W, Syy, Sxy, eta, lam: W - eta * (W @ Syy - Sxy) + eta * lam * W,
                "W(t+1) P_perp != (1 - eta lam)",
            ),  # wrong sign of the decay
            (
                lambda W, Syy, Sxy, eta, lam: W + eta * (W @ Syy - Sxy) - eta * lam * W,
                "your step differs from the GD update",
            ),  # ascent
        ],
    ),
    (
        ex.check_frozen_component,
        frozen_component,
        [
            (
                lambda W0, A, R, eta, lam, t: (
                    (1 - eta * lam) ** (t + 1) * frozen_component(W0, A, R, 0.0, 0.0, 0)
                ),
                "W(t) P_perp at t",
            ),  # exponent t + 1
            (
                lambda W0, A, R, eta, lam, t: (1 - eta * lam) ** t * W0,
                "not of the form",
            ),  # no P_perp
            (
                lambda W0, A, R, eta, lam, t: (
                    np.exp(-eta * lam * t) * frozen_component(W0, A, R, 0.0, 0.0, 0)
                ),
                "W(t) P_perp at t",
            ),  # gradient-flow factor
        ],
    ),
    (
        ex.check_ridge_map,
        ridge_map,
        [
            (lambda Syy, Sxy, lam: Sxy @ np.linalg.inv(Syy + lam), "not a stationary point"),
            (lambda Syy, Sxy, lam: Sxy @ np.linalg.pinv(Syy), "not a stationary point"),
            (lambda Syy, Sxy, lam: np.linalg.inv(Syy + lam * np.eye(Syy.shape[0])) @ Sxy, "raised"),
        ],
    ),
]


def CORRECT_VARIANT(W, Syy, Sxy, eta, lam):
    """The same step written through transposes ((W Syy)^T = Syy W^T, Syy symmetric)."""
    return (1 - eta * lam) * W - eta * (Syy @ W.T - Sxy.T).T


@pytest.mark.parametrize("check, ref, wrongs", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_reference_passes_and_wrong_fails(check, ref, wrongs, capsys):
    fb = check(ref)
    assert fb.passed and fb.implemented
    assert "passed" in capsys.readouterr().out
    for wrong, says in wrongs:
        with pytest.raises(CheckFailed):
            check(wrong)
        out = capsys.readouterr().out
        assert says in out, (says, out)


def test_equivalent_implementation_passes():
    assert ex.check_gd_step(CORRECT_VARIANT).passed


@pytest.mark.parametrize("check", [c[0] for c in CASES])
def test_stub_is_not_implemented(check, capsys):
    fb = check(stub)
    assert not fb.passed and not fb.implemented
    assert "not implemented yet" in capsys.readouterr().out


def test_feedback_names_lemma_a(capsys):
    with pytest.raises(CheckFailed):
        ex.check_frozen_component(
            lambda W0, A, R, eta, lam, t: (
                (1 - eta * lam) ** (t + 1) * frozen_component(W0, A, R, 0.0, 0.0, 0)
            )
        )
    out = capsys.readouterr().out
    assert "This contradicts: Lemma A for one layer (Lemma 2.3)" in out
