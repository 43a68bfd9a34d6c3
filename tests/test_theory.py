"""Closed forms of dlinv.theory checked independently (brute force, Monte Carlo, identities)."""

import numpy as np
import pytest

import dlinv
from dlinv import theory


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("lam", [0.0, 0.01, 0.1, 0.25, 0.4, 0.9])
def test_spectral_limit_is_the_global_minimizer(depth, lam):
    sig = np.array([0.6, 0.9, 1.0, 1.4])
    w = theory.spectral_limit(sig, lam, depth)
    for si, wi in zip(sig, w):
        grid = np.linspace(0, 1.5 / si, 300001)
        f = theory.scalar_objective(grid, si, lam, depth)
        assert theory.scalar_objective(wi, si, lam, depth) <= f.min() + 1e-12
        if lam > 0 and wi > 0:  # stationarity: sigma(sigma w - 1) + lam w^{2/L - 1} = 0
            assert abs(si * (si * wi - 1) + lam * wi ** (2 / depth - 1)) < 1e-10


def test_closed_forms_for_depth_one_and_two():
    sig = np.array([0.5, 1.0, 2.0])
    assert np.allclose(theory.spectral_limit(sig, 0.3, 1), sig / (sig**2 + 0.3), rtol=1e-15)
    assert np.allclose(
        theory.spectral_limit(sig, 0.7, 2), np.maximum(0, (sig - 0.7) / sig**2), rtol=1e-15
    )


@pytest.mark.parametrize("depth", [3, 4, 5, 8])
def test_collapse_thresholds(depth):
    cL, cstar = theory.collapse_threshold(depth), theory.global_collapse_threshold(depth)
    assert cstar < cL
    sig = 1.3
    scale = sig ** (2 / depth)
    # nonzero stationary point exists just below c_L, not just above
    assert theory.spectral_limit(sig, 0.999 * cL * scale, depth, "nonzero") > 0
    assert theory.spectral_limit(sig, 1.001 * cL * scale, depth, "nonzero") == 0
    # the global minimizer jumps to zero at c*_L, from sigma w = (L-2)/(L-1)
    below = theory.spectral_limit(sig, 0.9999 * cstar * scale, depth)
    assert abs(sig * below - (depth - 2) / (depth - 1)) < 1e-2
    assert theory.spectral_limit(sig, 1.0001 * cstar * scale, depth) == 0
    # between the thresholds: nonzero local minimizer, but zero is global
    mid = 0.5 * (cL + cstar) * scale
    assert (
        theory.spectral_limit(sig, mid, depth)
        == 0
        < theory.spectral_limit(sig, mid, depth, "nonzero")
    )


def test_known_threshold_values():
    assert abs(theory.collapse_threshold(3) - 0.4725) < 1e-4
    assert abs(theory.collapse_threshold(5) - 0.3470) < 1e-4
    assert theory.collapse_threshold(2) == theory.global_collapse_threshold(2) == 1.0
    assert theory.collapse_threshold(1) == np.inf


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_small_lambda_expansion_is_first_order(depth):
    sig = np.array([0.7, 1.2])
    for lam in (1e-2, 1e-3):
        err = np.abs(
            theory.spectral_limit(sig, lam, depth)
            - theory.spectral_limit_expansion(sig, lam, depth)
        )
        assert np.all(err < 50 * lam**2)


def test_regularized_limit_is_aligned_and_annihilates_the_complement():
    P = dlinv.random_problem(20, 10, 3, seed=2)
    W = theory.regularized_limit(P, 0.05, 3)
    assert np.linalg.norm(P.project_perp(W)) < 1e-13
    assert np.linalg.norm(W - P.R @ (P.R.T @ W)) < 1e-13  # range in S
    assert abs(np.linalg.norm(W @ P.AR - P.R) - theory.on_subspace_bias(P, 0.05, 3)) < 1e-13
    assert np.allclose(theory.regularized_limit(P, 0.0, 3), P.oracle, atol=1e-12)


def test_gaussian_averages_of_the_baselines():
    d, m, s = 60, 30, 4
    pin, sig = [], []
    for k in range(300):
        P = dlinv.random_problem(d, m, s, seed=k)
        pin.append(theory.pinv_noise_amplification(P))
        sig.append(theory.pinv_signal_error(P))
    assert abs(np.mean(pin) / theory.pinv_noise_amplification_gaussian(d, m) - 1) < 0.03
    assert abs(np.mean(sig) / theory.pinv_signal_error_gaussian(d, m, s) - 1) < 0.03


def test_phase3_time_reaches_eps():
    t = theory.phase3_time(0.05, 0.01, 1e-3, 2.0, 5.0)
    assert theory.phase3_bound(0.05, 0.01, np.ceil(t), 2.0, 5.0) <= 1e-3
    assert theory.phase3_bound(0.05, 0.01, 0.9 * t, 2.0, 5.0) > 1e-3
