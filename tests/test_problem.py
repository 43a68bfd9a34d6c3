"""Chapter 1 claims about the problem, its data and the two baseline solution maps."""

import numpy as np
import pytest
from conftest import rel

import dlinv
from dlinv import theory


def test_oracle_exact_on_S_and_annihilates_the_complement(small):
    P, _ = small
    assert rel(P.oracle @ P.A @ P.R, P.R) < 1e-12  # W* A x = x for x in S
    assert np.linalg.norm(P.oracle @ P.P_perp) < 1e-12  # W* P_perp = 0
    # and the projectors are what they claim: idempotent, symmetric, complementary,
    # range(P) = range(AR)
    for Pr in (P.P_signal, P.P_perp):
        assert rel(Pr @ Pr, Pr) < 1e-12 and rel(Pr, Pr.T) < 1e-14
    assert rel(P.P_signal @ P.AR, P.AR) < 1e-12
    assert np.linalg.norm(P.P_perp @ P.AR) < 1e-12


def test_pinv_is_min_norm_and_its_error_is_the_kernel_component(small):
    P, _ = small
    x = P.R @ np.array([1.0, -2.0, 0.5])
    xhat = P.pinv @ (P.A @ x)
    assert np.linalg.norm(P.A @ xhat - P.A @ x) < 1e-12  # consistent
    ker = np.eye(P.d) - P.pinv @ P.A  # projector onto ker A
    assert rel(x - xhat, ker @ x) < 1e-12
    assert abs(xhat @ (x - xhat)) < 1e-12  # row space is orthogonal to ker A


def test_haar_subspace_and_gaussian_operator_statistics():
    # E[A_ij^2] = 1/m and R orthonormal
    P = dlinv.random_problem(300, 150, 4, seed=3)
    assert abs(np.mean(P.A**2) * P.m - 1) < 0.02
    assert rel(P.R.T @ P.R, np.eye(4)) < 1e-13


def test_whitened_codes_are_exactly_white():
    Z = dlinv.sample_latent(5, 37, seed=4, whiten=True)
    assert rel(Z @ Z.T / 37, np.eye(5)) < 1e-13


def test_second_moments_and_stable_fit(small):
    P, D = small
    assert rel(D.Syy, D.Y @ D.Y.T / D.n) < 1e-14
    assert rel(D.Sxy, D.X @ D.Y.T / D.n) < 1e-14
    W = np.random.default_rng(5).standard_normal((P.d, P.m))
    direct = 0.5 * np.sum((W @ D.Y - D.X) ** 2) / D.n
    assert abs(D.fit(W) - direct) < 1e-12 * direct
    # no cancellation: the oracle fits noiseless data to rounding, not to 1e-16 * tr(Sxx)
    assert D.fit(P.oracle) < 1e-26


def test_noisy_measurements_have_the_requested_noise_level(small):
    P, _ = small
    X = P.R @ dlinv.sample_latent(P.s, 20000, seed=6)
    Y = dlinv.noisy_measurements(P, X, 0.3, seed=7)
    assert abs(np.std(Y - P.A @ X) - 0.3) < 0.005


def test_pinv_closed_forms_against_monte_carlo(small):
    P, _ = small
    g = np.random.default_rng(8)
    E = g.standard_normal((P.m, 200000))
    pinv_amp = np.mean(np.sum((P.pinv @ E) ** 2, 0))
    oracle_amp = np.mean(np.sum((P.oracle @ E) ** 2, 0))
    assert abs(pinv_amp / theory.pinv_noise_amplification(P) - 1) < 0.01
    assert abs(oracle_amp / theory.oracle_noise_amplification(P) - 1) < 0.01


def test_identifiability_is_enforced():
    A = np.zeros((4, 6))
    A[:, :4] = np.eye(4)
    R = np.zeros((6, 2))
    R[4, 0] = R[5, 1] = 1.0  # S inside ker A
    with pytest.raises(ValueError, match="not identifiable"):
        dlinv.InverseProblem(A, R)
