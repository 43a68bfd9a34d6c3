"""dlinv.single_layer (Chapter 2): the closed-form GD trajectory against dlinv.train, its limits,
the general ridge bias, the ridge/oracle crossing, and bad input."""

import numpy as np
import pytest
from conftest import rel

import dlinv
from dlinv import metrics, single_layer, theory


@pytest.fixture(scope="module")
def W0(small):
    P, _ = small
    return dlinv.init_weights(P.d, P.m, width=None, depth=1, seed=9)


@pytest.mark.parametrize("lam", [0.0, 0.05])
@pytest.mark.parametrize("frac", [0.3, 0.9, 1.05])  # the last one diverges slowly
def test_trajectory_matches_training(small, W0, lam, frac):
    P, D = small
    eta = frac * theory.max_stable_step_single_layer(D, lam)
    for t in (0, 1, 7, 60):
        trained = dlinv.train(P, D, lam=lam, eta=eta, steps=t, init=W0, record_every=0).end_to_end
        assert rel(single_layer.gd_trajectory(D, W0, lam, eta, t), trained) < 1e-11


def test_trajectory_vectorized_and_metrics(small, W0):
    P, D = small
    eta, lam = 0.2, 0.03
    steps = np.array([0, 5, 50])
    stack = single_layer.gd_trajectory(D, W0, lam, eta, steps)
    assert stack.shape == (3, P.d, P.m)
    assert rel(stack[0], W0[0]) < 1e-14
    r = dlinv.train(P, D, lam=lam, eta=eta, steps=50, init=W0, record_every=5)
    ex = single_layer.trajectory_metrics(P, D, W0, lam, eta, r.history.step)
    for name in (
        "loss",
        "fit",
        "on_subspace",
        "off_subspace",
        "off_subspace_first",
        "oracle_distance",
    ):
        assert np.allclose(ex[name], r.history[name], rtol=1e-10, atol=1e-13), name


def test_frozen_component_is_exact(small, W0):
    """eq-frozen-single: the P_perp factor of the closed form is exactly (1 - eta lam)^t."""
    P, D = small
    for lam in (0.0, 0.1):
        W = single_layer.gd_trajectory(D, W0, lam, 0.3, 40)
        assert rel(P.project_perp(W), (1 - 0.3 * lam) ** 40 * P.project_perp(W0[0])) < 1e-12


def test_limits(small, W0):
    P, D = small
    # lambda = 0: the interpolant closest to W0, W* + W0 P_perp (thm-gd-single)
    lim0 = single_layer.gd_limit(D, W0, 0.0)
    assert rel(lim0, P.oracle + P.project_perp(W0[0])) < 1e-10
    assert D.fit(lim0) < 1e-20
    # lambda > 0: the ridge map, whatever W0
    assert rel(single_layer.gd_limit(D, W0, 0.1), theory.ridge_solution(D, 0.1)) < 1e-14
    # long GD runs reach them
    eta = 0.5 * theory.max_stable_step_single_layer(D, 0.0)
    r = dlinv.train(P, D, lam=0.0, eta=eta, steps=3000, init=W0, record_every=0)
    assert rel(r.end_to_end, lim0) < 1e-10
    assert rel(single_layer.gd_trajectory(D, W0, 0.0, eta, 3000), lim0) < 1e-10


def test_contraction_factors(small):
    P, D = small
    mu, f = single_layer.contraction_factors(D, 0.05, 0.4)
    assert np.sum(mu == 0) == P.m - P.s  # exact zeros on (AS)^perp
    assert np.allclose(f[mu == 0], 1 - 0.4 * 0.05)
    assert np.isclose(np.max(np.abs(f)), theory.single_layer_contraction(D, 0.05, 0.4), rtol=1e-14)


@pytest.mark.parametrize("lam", [1e-3, 0.1, 2.0])
def test_ridge_bias_general_and_whitened(small, small_white, lam):
    P, D = small
    measured = metrics.on_subspace_error(theory.ridge_solution(D, lam), P)
    assert abs(single_layer.ridge_bias(P, D, lam) - measured) < 1e-11
    Pw, Dw = small_white
    assert abs(single_layer.ridge_bias(Pw, Dw, lam) - theory.on_subspace_bias(Pw, lam, 1)) < 1e-11
    assert np.allclose(single_layer.latent_second_moment(Pw, Dw), np.eye(Pw.s), atol=1e-12)


def test_ridge_bias_rank_deficient_data():
    """With fewer samples than s the min-norm interpolant misses sqrt(s - r) on S."""
    P = dlinv.random_problem(12, 8, 3, seed=0)
    D = dlinv.make_training_data(P, 2, seed=1)
    assert single_layer.ridge_bias(P, D, 0.0) >= 1.0 - 1e-12
    assert single_layer.ridge_bias(P, D, 1e-8) >= 1.0 - 1e-6


def test_ridge_oracle_crossing(small_white):
    """At sigma_c the expected errors of ridge and oracle are equal; ridge wins above it."""
    P, D = small_white
    lam = 0.1
    sc = single_layer.ridge_oracle_crossing(P, lam)
    q = P.singular_values**2
    a = lam * q / (2 * q + lam)
    assert a.min() - 1e-15 <= sc**2 <= a.max() + 1e-15 < lam / 2
    W = theory.ridge_solution(D, lam)

    def e(Wm, sigma):
        return metrics.error_decomposition(Wm, P, sigma)["total"]

    assert abs(e(W, sc) - e(P.oracle, sc)) < 1e-12
    assert e(W, 1.1 * sc) < e(P.oracle, 1.1 * sc) and e(W, 0.9 * sc) > e(P.oracle, 0.9 * sc)


def test_bad_input(small, W0):
    P, D = small
    with pytest.raises(ValueError, match="t must"):
        single_layer.gd_trajectory(D, W0, 0.1, 0.1, 1.5)
    with pytest.raises(ValueError, match="t must"):
        single_layer.gd_trajectory(D, W0, 0.1, 0.1, -1)
    with pytest.raises(ValueError, match="t must"):
        single_layer.gd_trajectory(D, W0, 0.1, 0.1, True)
    with pytest.raises(ValueError, match="W0"):
        single_layer.gd_trajectory(D, np.zeros((3, 3)), 0.1, 0.1, 1)
    with pytest.raises(ValueError, match="one d x m matrix"):
        single_layer.gd_trajectory(D, (W0[0], W0[0]), 0.1, 0.1, 1)
    with pytest.raises(ValueError, match="eta"):
        single_layer.gd_trajectory(D, W0, 0.1, 0.0, 1)
    with pytest.raises(ValueError, match="lam"):
        single_layer.gd_limit(D, W0, -1.0)
    with pytest.raises(ValueError, match="TrainingData"):
        single_layer.gd_limit(D.X, W0, 0.0)
    with pytest.raises(ValueError, match="lam"):
        single_layer.ridge_oracle_crossing(P, 0.0)
    other = dlinv.TrainingData(np.ones((P.d, 5)), np.ones((P.m, 5)))  # signals not in S
    with pytest.raises(ValueError, match="do not lie in S"):
        single_layer.ridge_bias(P, other, 0.1)
