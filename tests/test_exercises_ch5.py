"""Lab 5's coding exercises: each check passes a reference solution and rejects typical mistakes."""

import numpy as np
import pytest

from dlinv.exercises import CheckFailed, Feedback
from dlinv.exercises import ch5 as ex


# ---- reference solutions (as in the lab) --------------------------------------------------------
def mode_step(a, sigma, lam, L, eta):
    a = np.asarray(a, dtype=float)
    return a - eta * (sigma * (sigma * a**L - 1.0) * a ** (L - 1) + lam * a)


def offsubspace_bound(t, eta, lam, B, W1_0, U):
    first = np.linalg.norm(W1_0 - (W1_0 @ U) @ U.T)
    return B * first * (1.0 - eta * lam) ** np.asarray(t, dtype=float)


def phase3_time(eta, lam, eps, B, off0):
    return max(0.0, float(np.log(B * off0 / eps) / (eta * lam)))


def pl_ratio(weights, Y, X):
    N = Y.shape[1]
    fwd = [np.eye(Y.shape[0])]
    for W in weights:
        fwd.append(W @ fwd[-1])
    E = fwd[-1]
    R = E @ Y - X
    fit = np.sum(R**2) / (2 * N)
    G = R @ Y.T / N
    total, back = 0.0, G
    for j in range(len(weights) - 1, -1, -1):
        g = back @ fwd[j].T
        total += np.sum(g**2)
        back = weights[j].T @ back
    return total / (2 * fit)


# ---- wrong implementations ------------------------------------------------------------------------
def mode_step_wrong_sign(a, sigma, lam, L, eta):
    a = np.asarray(a, dtype=float)
    return a + eta * (sigma * (sigma * a**L - 1.0) * a ** (L - 1) + lam * a)


def mode_step_e2e_penalty(a, sigma, lam, L, eta):  # weight decay on the end-to-end gain
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pen = np.where(a > 0, lam * a ** (2.0 / L - 1), 0.0)
    return a - eta * (sigma * (sigma * a**L - 1.0) * a ** (L - 1) + pen)


def mode_step_eta_over_L(a, sigma, lam, L, eta):  # a missing factor: step eta / L
    return mode_step(a, sigma, lam, L, eta / L)


def offsubspace_bound_squared(t, eta, lam, B, W1_0, U):
    first = np.linalg.norm(W1_0 - (W1_0 @ U) @ U.T)
    return B * first * (1.0 - eta * lam) ** (2 * np.asarray(t, dtype=float))


def offsubspace_bound_no_projection(t, eta, lam, B, W1_0, U):
    return B * np.linalg.norm(W1_0) * (1.0 - eta * lam) ** np.asarray(t, dtype=float)


def phase3_time_no_clip(eta, lam, eps, B, off0):
    return float(np.log(B * off0 / eps) / (eta * lam))


def phase3_time_wrong_rate(eta, lam, eps, B, off0):
    return max(0.0, float(np.log(B * off0 / eps) / (2 * eta * lam)))


def pl_ratio_only_last_layer(weights, Y, X):  # forgets the sum over layers
    N = Y.shape[1]
    E = np.eye(Y.shape[0])
    for W in weights:
        E = W @ E
    R = E @ Y - X
    G = R @ Y.T / N
    prev = np.eye(Y.shape[0])
    for W in weights[:-1]:
        prev = W @ prev
    g = G @ prev.T
    return np.sum(g**2) / (np.sum(R**2) / N)


def pl_ratio_missing_half(weights, Y, X):  # divides by l instead of 2 l
    return 2 * pl_ratio(weights, Y, X)


def _stub(*args):
    raise NotImplementedError("Coding exercise 5.x: write the function")


# ---- tests ---------------------------------------------------------------------------------------
CASES = [
    (
        ex.check_mode_step,
        mode_step,
        [
            (mode_step_wrong_sign, "matrix gradient step"),
            (mode_step_e2e_penalty, "fixed point"),
            (mode_step_eta_over_L, "matrix gradient step"),
        ],
    ),
    (
        ex.check_offsubspace_bound,
        offsubspace_bound,
        [
            (offsubspace_bound_squared, "(1 - eta lambda)^t"),
            (offsubspace_bound_no_projection, "at t = 0"),
        ],
    ),
    (
        ex.check_phase3_time,
        phase3_time,
        [(phase3_time_no_clip, "starts below eps"), (phase3_time_wrong_rate, "predicted time")],
    ),
    (
        ex.check_pl_ratio,
        pl_ratio,
        [(pl_ratio_only_last_layer, "the ratio"), (pl_ratio_missing_half, "the ratio")],
    ),
]


@pytest.mark.parametrize("chk, ref, wrongs", CASES, ids=[c[0].__name__ for c in CASES])
def test_reference_passes(chk, ref, wrongs, capsys):
    fb = chk(ref)
    assert fb.passed
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("chk, ref, wrongs", CASES, ids=[c[0].__name__ for c in CASES])
def test_wrong_implementations_rejected(chk, ref, wrongs, capsys):
    for wrong, property_named in wrongs:
        with pytest.raises(CheckFailed):
            chk(wrong)
        out = capsys.readouterr().out
        assert "What fails" in out and property_named in out, (wrong.__name__, out)
        assert "This contradicts" in out


@pytest.mark.parametrize("chk", [c[0] for c in CASES], ids=[c[0].__name__ for c in CASES])
def test_stub_is_not_implemented(chk, capsys):
    fb = chk(_stub)
    assert isinstance(fb, Feedback) and not fb.implemented and not fb.passed
    assert "not implemented yet" in capsys.readouterr().out
