"""The checks of Lab 4's coding exercises pass the reference solutions and reject typical
wrong implementations with feedback that names the failing property."""

import numpy as np
import pytest

from dlinv.exercises import CheckFailed
from dlinv.exercises import ch4 as ex

# ---------------------------------------------------------------- reference solutions


def representation_cost(W, depth):
    sig = np.linalg.svd(W, compute_uv=False)
    tol = sig.max(initial=0.0) * max(W.shape) * np.finfo(float).eps
    sig = sig[sig > tol]
    return 0.5 * depth * float(np.sum(sig ** (2 / depth)))


def nonzero_minimizer(sigma, lam, depth):
    q = 1 - 2 / depth
    tau = lam * sigma ** (-2 / depth)
    u0 = (q * tau) ** (1 / (1 + q))
    if u0 + tau * u0 ** (-q) > 1:
        return 0.0
    lo, hi = u0, 1.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if mid + tau * mid ** (-q) > 1:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi) / sigma


def make_thresholds(exponent=None, swap=False):
    def collapse_thresholds(depth):
        p = 2 / depth if exponent is None else exponent(depth)
        u = np.linspace(1e-6, 1.0, 100001)

        def phi(tau):
            return 0.5 * (u - 1) ** 2 + 0.5 * tau * depth * u**p

        def has_local_min(tau):
            f = phi(tau)
            return bool(np.any((f[1:-1] < f[:-2]) & (f[1:-1] < f[2:])))

        def nonzero_wins(tau):
            return phi(tau).min() < 0.5

        def bisect(pred):
            lo, hi = 0.0, 1.0
            for _ in range(50):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if pred(mid) else (lo, mid)
            return lo

        c_loc, c_glob = bisect(has_local_min), bisect(nonzero_wins)
        return (c_glob, c_loc) if swap else (c_loc, c_glob)

    return collapse_thresholds


def two_layer_limit(AR, R, lam):
    U, sig, Vt = np.linalg.svd(AR, full_matrices=False)
    w = np.maximum(0.0, (sig - lam) / sig**2)
    return R @ (Vt.T * w) @ U.T


# ---------------------------------------------------------------- passing


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_representation_cost, representation_cost),
        (ex.check_nonzero_minimizer, nonzero_minimizer),
        (ex.check_collapse_thresholds, make_thresholds()),
        (ex.check_two_layer_limit, two_layer_limit),
    ],
)
def test_reference_passes(checker, solution, capsys):
    fb = checker(solution)
    assert fb.passed and fb.implemented
    out = capsys.readouterr().out
    assert "passed" in out
    assert all(len(line) <= 79 for line in out.splitlines()), out


@pytest.mark.parametrize(
    "checker",
    [
        ex.check_representation_cost,
        ex.check_nonzero_minimizer,
        ex.check_collapse_thresholds,
        ex.check_two_layer_limit,
    ],
)
def test_stub_is_not_implemented(checker, capsys):
    def stub(*args):
        raise NotImplementedError("Coding exercise 4.k: write the function")

    fb = checker(stub)
    assert not fb.passed and not fb.implemented
    assert "not implemented yet" in capsys.readouterr().out


# ---------------------------------------------------------------- wrong implementations


def _rejects(checker, wrong, capsys, *needles):
    with pytest.raises(CheckFailed):
        checker(wrong)
    out = capsys.readouterr().out
    flat = " ".join(out.split())  # the feedback is wrapped at 79 characters
    for needle in needles:
        assert needle in flat, out
    assert all(len(line) <= 79 for line in out.splitlines()), out
    return flat


def test_cost_wrong_exponent(capsys):
    def wrong(W, depth):
        sig = np.linalg.svd(W, compute_uv=False)
        return 0.5 * depth * float(np.sum(sig[sig > 1e-10] ** (1 / depth)))

    _rejects(ex.check_representation_cost, wrong, capsys, "exponent 1/L", "Lemma E (Lemma 4.2)")


def test_cost_missing_factor(capsys):
    def wrong(W, depth):
        sig = np.linalg.svd(W, compute_uv=False)
        return float(np.sum(sig[sig > 1e-10] ** (2 / depth)))

    _rejects(ex.check_representation_cost, wrong, capsys, "without the factor L/2")


def test_cost_frobenius_norm(capsys):
    def wrong(W, depth):  # (L/2) ||W||_F^(2/L): right only for rank one
        return 0.5 * depth * float(np.sum(W**2)) ** (1 / depth)

    _rejects(ex.check_representation_cost, wrong, capsys, "C_L(W)", "Lemma E")


def test_cost_no_rounding_threshold(capsys):
    def wrong(W, depth):
        sig = np.linalg.svd(W, compute_uv=False)
        return 0.5 * depth * float(np.sum(sig ** (2 / depth)))

    _rejects(ex.check_representation_cost, wrong, capsys, "rounding-level singular values")


def test_minimizer_returns_local_maximum(capsys):
    def wrong(sigma, lam, depth):  # the smaller root u_- of u + tau u^(-q) = 1
        q, tau = 1 - 2 / depth, lam * sigma ** (-2 / depth)
        u0 = (q * tau) ** (1 / (1 + q))
        if u0 + tau * u0 ** (-q) > 1:
            return 0.0
        lo, hi = 1e-300, u0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid + tau * mid ** (-q) > 1:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi) / sigma

    _rejects(ex.check_nonzero_minimizer, wrong, capsys, "local MAXIMUM", "Proposition 4.6")


def test_minimizer_global_instead_of_local(capsys):
    from dlinv import theory

    def wrong(sigma, lam, depth):
        return float(theory.spectral_limit(sigma, lam, depth, branch="global"))

    _rejects(ex.check_nonzero_minimizer, wrong, capsys, "global minimizer", "local threshold c_L")


def test_minimizer_wrong_exponent(capsys):
    def wrong(sigma, lam, depth):  # penalty w^(1/L): f' = sigma(sigma w - 1) + (lam/2) w^(1/L-1)
        return nonzero_minimizer(sigma, lam / 2, 2 * depth) if depth > 2 else 0.0

    _rejects(ex.check_nonzero_minimizer, wrong, capsys, "is not 0 at your", "exponent 2/L")


def test_thresholds_swapped(capsys):
    _rejects(
        ex.check_collapse_thresholds, make_thresholds(swap=True), capsys, "swapped", "c*_L < c_L"
    )


def test_thresholds_global_is_local(capsys):
    def wrong(depth):
        c_loc, _ = make_thresholds()(depth)
        return c_loc, c_loc

    _rejects(ex.check_collapse_thresholds, wrong, capsys, "is the local one c_L", "part 3")


def test_thresholds_wrong_exponent(capsys):
    _rejects(
        ex.check_collapse_thresholds,
        make_thresholds(exponent=lambda L: 1 / L),
        capsys,
        "penalty w^(1/L)",
    )


def test_two_layer_ridge(capsys):
    def wrong(AR, R, lam):
        U, sig, Vt = np.linalg.svd(AR, full_matrices=False)
        return R @ (Vt.T * (sig / (sig**2 + lam))) @ U.T

    _rejects(ex.check_two_layer_limit, wrong, capsys, "ridge (L = 1)", "Theorem 4.2")


def test_two_layer_no_threshold(capsys):
    def wrong(AR, R, lam):
        U, sig, Vt = np.linalg.svd(AR, full_matrices=False)
        return R @ (Vt.T * ((sig - lam) / sig**2)) @ U.T

    _rejects(ex.check_two_layer_limit, wrong, capsys, "go negative")


def test_two_layer_thresholds_the_oracle(capsys):
    def wrong(AR, R, lam):  # soft-thresholds the oracle's singular values 1/sigma_i
        U, sig, Vt = np.linalg.svd(AR, full_matrices=False)
        return R @ (Vt.T * np.maximum(0.0, 1 / sig - lam)) @ U.T

    _rejects(ex.check_two_layer_limit, wrong, capsys, "differs from W_lambda", "Theorem 4.2")


def test_two_layer_responds_off_subspace(capsys):
    def wrong(AR, R, lam):  # uses the pseudo-inverse of A R in full: fine; plus a P_perp part
        U = np.linalg.svd(AR, full_matrices=False)[0]
        P_perp = np.eye(AR.shape[0]) - U @ U.T
        return two_layer_limit(AR, R, lam) + 0.1 * R @ np.ones((R.shape[1], AR.shape[0])) @ P_perp

    _rejects(ex.check_two_layer_limit, wrong, capsys, "W P_perp != 0", "Proposition 4.3")
