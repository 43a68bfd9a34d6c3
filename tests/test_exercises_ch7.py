"""Lab 7's coding-exercise checks pass the reference solutions and reject typical mistakes."""

import numpy as np
import pytest

from dlinv.exercises import CheckFailed
from dlinv.exercises import ch7 as ex


# ---- reference solutions (as in the lab) ---------------------------------------------------------
def error_terms(W, A, R, sigma):
    AR = A @ R
    P_on = AR @ np.linalg.pinv(AR)
    P_off = np.eye(A.shape[0]) - P_on
    bias = np.linalg.norm(W @ AR - R) ** 2
    return bias, sigma**2 * np.linalg.norm(W @ P_on) ** 2, sigma**2 * np.linalg.norm(W @ P_off) ** 2


def oracle_noise_gain(A, R):
    return float(np.sum(np.linalg.svd(A @ R, compute_uv=False) ** -2.0))


def best_weight_decay(beta, c, rate, noise):
    def slope(lam):
        return 2 * lam * beta**2 - 2 * rate * noise**2 * c**2 * np.exp(-2 * rate * lam)

    lo, hi = 0.0, 1.0
    while slope(hi) < 0:
        hi *= 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if slope(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


def _stub(*args):
    raise NotImplementedError("Coding exercise 7.k: write it")


@pytest.mark.parametrize(
    "check,solution",
    [
        (ex.check_error_terms, error_terms),
        (ex.check_oracle_noise_gain, oracle_noise_gain),
        (ex.check_best_weight_decay, best_weight_decay),
    ],
)
def test_reference_passes_and_stub_is_not_implemented(check, solution, capsys):
    assert check(solution).passed
    assert "passed" in capsys.readouterr().out
    fb = check(_stub)
    assert not fb.implemented and not fb.passed
    assert "not implemented yet" in capsys.readouterr().out


def _rejects(check, fn, capsys, *words):
    with pytest.raises(CheckFailed):
        check(fn)
    out = capsys.readouterr().out
    for w in words:
        assert w in out, out
    return out


def test_error_terms_rejects_wrong(capsys):
    def sigma_not_squared(W, A, R, sigma):
        b, on, off = error_terms(W, A, R, 1.0)
        return b, sigma * on, sigma * off

    def swapped(W, A, R, sigma):
        b, on, off = error_terms(W, A, R, sigma)
        return b, off, on

    def projector_of_A(W, A, R, sigma):  # projects on range(A) = R^m: P_perp = 0
        P_on = A @ np.linalg.pinv(A)
        bias = np.linalg.norm(W @ A @ R - R) ** 2
        return (
            bias,
            sigma**2 * np.linalg.norm(W @ P_on) ** 2,
            sigma**2 * np.linalg.norm(W @ (np.eye(A.shape[0]) - P_on)) ** 2,
        )

    def bias_not_squared(W, A, R, sigma):
        b, on, off = error_terms(W, A, R, sigma)
        return np.sqrt(b), on, off

    _rejects(
        ex.check_error_terms,
        sigma_not_squared,
        capsys,
        "multiply the noise terms by 4",
        "Theorem 7.1",
    )
    _rejects(ex.check_error_terms, swapped, capsys, "noise through A S", "swap")
    _rejects(ex.check_error_terms, projector_of_A, capsys, "noise through A S")
    _rejects(ex.check_error_terms, bias_not_squared, capsys, "the bias")


def test_oracle_gain_rejects_wrong(capsys):
    def exponent_minus_one(A, R):
        return float(np.sum(np.linalg.svd(A @ R, compute_uv=False) ** -1.0))

    def pinv_gain(A, R):
        return float(np.trace(np.linalg.inv(A @ A.T)))

    def missing_square(A, R):  # ||R (AR)^+||_F instead of its square
        return float(np.linalg.norm(R @ np.linalg.pinv(A @ R)))

    _rejects(ex.check_oracle_noise_gain, exponent_minus_one, capsys, "not 1/4", "Corollary 7.1")
    _rejects(ex.check_oracle_noise_gain, pinv_gain, capsys, "pseudo-inverse")
    _rejects(ex.check_oracle_noise_gain, missing_square, capsys, "not 1/4")


def test_best_weight_decay_rejects_wrong(capsys):
    def missing_half(beta, c, rate, noise):  # W_0(x)/r instead of W_0(x)/(2r)
        return 2 * best_weight_decay(beta, c, rate, noise)

    def wrong_argument(beta, c, rate, noise):  # forgot the square on rate in the argument
        from dlinv.robustness import lambert_w0

        return float(lambert_w0(2 * rate * noise**2 * c**2 / beta**2) / (2 * rate))

    def always_positive(beta, c, rate, noise):
        return best_weight_decay(beta, c, rate, noise) + 1e-3

    _rejects(ex.check_best_weight_decay, missing_half, capsys, "too large", "Proposition 7.4")
    _rejects(ex.check_best_weight_decay, wrong_argument, capsys, "too small")
    out = _rejects(ex.check_best_weight_decay, always_positive, capsys)
    assert "Proposition 7.4" in out
