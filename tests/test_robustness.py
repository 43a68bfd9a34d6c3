"""dlinv.robustness (Chapter 7): closed-form error curves, the best linear map, generalization on S,
the signal channel, the two-rate model and the optimal weight decay."""

import numpy as np
import pytest

import dlinv
from dlinv import metrics, network, robustness, theory


@pytest.fixture(scope="module")
def prob():
    return dlinv.random_problem(30, 15, 3, seed=0)


def test_oracle_and_pinv_curves_match_the_decomposition(prob):
    for noise in (0.0, 0.05, 0.3):
        assert np.isclose(
            robustness.oracle_relative_error(prob, noise),
            metrics.predicted_relative_error(prob.oracle, prob, noise),
            rtol=1e-12,
        )
        assert np.isclose(
            robustness.pinv_relative_error(prob, noise),
            metrics.predicted_relative_error(prob.pinv, prob, noise),
            rtol=1e-10,
        )


def test_pinv_gaussian_curve_is_the_average_over_operators():
    d, m, s, noise = 30, 15, 3, 0.1
    vals = [
        robustness.pinv_relative_error(dlinv.random_problem(d, m, s, seed=k), noise) ** 2
        for k in range(400)
    ]
    assert (
        abs(np.mean(vals) / robustness.pinv_relative_error_gaussian(d, m, s, noise) ** 2 - 1) < 0.03
    )
    with pytest.raises(ValueError):
        robustness.pinv_relative_error_gaussian(10, 9, 3, 0.1)  # needs d > m + 1


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_limit_curve_is_the_decomposition_of_the_limit_map(prob, depth):
    for lam in (0.0, 0.01, 0.2):
        W = theory.regularized_limit(prob, lam, depth, branch="nonzero")
        assert np.isclose(
            robustness.limit_relative_error(prob, lam, depth, 0.07),
            metrics.predicted_relative_error(W, prob, 0.07),
            rtol=1e-10,
        )


def test_wiener_map_is_the_best_linear_map(prob):
    noise = 0.3
    Wopt = robustness.wiener_map(prob, noise)
    best = metrics.error_decomposition(Wopt, prob, noise)["total"]
    assert np.isclose(
        np.sqrt(best / prob.s), robustness.wiener_relative_error(prob, noise), rtol=1e-10
    )
    assert metrics.error_decomposition(Wopt, prob, noise)["off_noise"] < 1e-20
    g = np.random.default_rng(1)
    for _ in range(20):  # random perturbations only increase the expected error
        W = Wopt + 1e-2 * g.standard_normal(Wopt.shape)
        assert metrics.error_decomposition(W, prob, noise)["total"] > best
    # ridge (depth 1) with lam = noise^2 is the Wiener map
    assert np.allclose(theory.regularized_limit(prob, noise**2, 1), Wopt, atol=1e-12)
    # a non-identity latent covariance: first-order optimality (gradient of eq-error-decomposition)
    C = np.diag([2.0, 1.0, 0.25])
    Wc = robustness.wiener_map(prob, noise, latent_cov=C)
    grad = (Wc @ prob.AR - prob.R) @ C @ prob.AR.T + noise**2 * Wc
    assert np.linalg.norm(grad) < 1e-12
    assert np.allclose(robustness.wiener_map(prob, 0.0), prob.oracle)


def test_generalization_ratio(prob):
    white = dlinv.make_training_data(prob, 50, seed=2, whiten=True)
    lo, hi = robustness.generalization_ratio_bounds(prob, white)
    assert np.isclose(lo, 1) and np.isclose(hi, 1)
    data = dlinv.make_training_data(prob, 50, seed=2)
    lo, hi = robustness.generalization_ratio_bounds(prob, data)
    W = prob.oracle + 0.1 * np.random.default_rng(3).standard_normal(prob.oracle.shape)
    test = metrics.error_decomposition(W, prob, 0.0)["bias"]
    train = 2 * data.fit(W)
    assert lo - 1e-12 <= test / train <= hi + 1e-12
    assert lo < 1 < hi


def test_channel_split_and_overlaps(prob):
    W0 = network.init_weights(prob.d, prob.m, width=20, depth=3, seed=4)
    sp = robustness.channel_split(W0, prob)
    E = network.end_to_end(W0)
    assert np.isclose(sp["total"], np.sum(prob.project_perp(E) ** 2))
    rho = robustness.hidden_channel_overlaps(W0, prob)
    assert rho.shape == (2,) and np.all((rho >= 0) & (rho <= 1))
    with pytest.raises(ValueError):
        robustness.channel_split(W0[:1], prob)


def test_expected_channel_split_at_init_monte_carlo():
    P = dlinv.random_problem(20, 10, 2, seed=5)
    w = 8
    exp = robustness.expected_channel_split_at_init(20, 10, 2, w)
    assert np.isclose(
        exp["channel"] + exp["rest"], theory.expected_initial_offsubspace_sq(20, 10, 2)
    )
    ch, rest, first = [], [], []
    for k in range(3000):
        W0 = network.init_weights(20, 10, width=w, depth=3, seed=100 + k)
        sp = robustness.channel_split(W0, P)
        ch.append(sp["channel"])
        rest.append(sp["rest"])
        first.append(
            robustness.hidden_channel_overlaps(W0, P)[0] * np.sum(P.project_perp(W0[0]) ** 2)
        )
    assert abs(np.mean(ch) / exp["channel"] - 1) < 0.05
    assert abs(np.mean(rest) / exp["rest"] - 1) < 0.03
    # first hidden layer: E||P_H W_1 P_perp||^2 = s (m - s) / m
    assert abs(np.mean(first) / (2 * 8 / 10) - 1) < 0.05


def test_lazy_channel_energy_is_the_inverse_wishart_mean():
    P = dlinv.random_problem(20, 10, 2, seed=6)
    w = 12
    g = np.random.default_rng(7)
    vals = []
    for _ in range(4000):
        W1 = g.standard_normal((w, P.m)) / np.sqrt(P.m)
        K = np.linalg.lstsq(W1 @ P.U, W1 @ P.P_perp, rcond=None)[0]  # (W_1 U)^+ W_1 P_perp
        vals.append(np.sum((P.oracle @ P.U @ K) ** 2))  # ||R V Sigma^{-1} K||_F^2
    assert abs(np.mean(vals) / robustness.lazy_channel_energy(P, w) - 1) < 0.05
    with pytest.raises(ValueError):
        robustness.lazy_channel_energy(P, 3)  # needs w >= s + 2


def test_two_rate_model_limits(prob):
    kw = {"width": 40, "depth": 3, "eta": 0.05}
    r0 = robustness.residual_offsubspace_model(prob, lam=0.0, steps=100, **kw)
    assert np.isclose(r0**2, robustness.no_decay_offsubspace_model(prob, 40))
    r = robustness.residual_offsubspace_model(prob, lam=0.05, steps=np.array([0, 10, 10000]), **kw)
    assert np.all(np.diff(r) < 0) and r[-1] < 1e-6
    err = robustness.tradeoff_model_error(prob, lam=0.05, steps=10**5, noise=0.1, **kw)
    assert np.isclose(err, robustness.limit_relative_error(prob, 0.05, 3, 0.1), rtol=1e-10)
    assert np.isclose(
        robustness.balanced_channel_energy(prob, 0.0, 1), (prob.m - prob.s) / prob.m * prob.s
    )  # L = 1: exponent 0


def test_bias_first_order_matches_limit_for_small_lambda(prob):
    for L in (2, 3, 5):
        lam = 1e-4
        assert np.isclose(
            theory.on_subspace_bias(prob, lam, L, branch="nonzero"),
            robustness.bias_first_order(prob, lam, L),
            rtol=1e-3,
        )


def test_offsubspace_bound_curve():
    v = robustness.offsubspace_bound_curve(
        0.1, B=2.0, first_layer_offsubspace=3.0, eta=0.1, lam=np.array([0.0, 0.5]), steps=10, s=4
    )
    assert np.allclose(v, [0.1 * 6 / 2, 0.1 * 6 * 0.95**10 / 2])


def test_lambert_w0_and_optimum():
    x = np.array([0.0, 1e-8, 0.3, 1.0, np.e, 10.0, 1e3, 1e12])
    w = robustness.lambert_w0(x)
    assert np.allclose(w * np.exp(w), x, rtol=1e-12, atol=1e-300)
    assert np.isclose(robustness.lambert_w0(np.e), 1.0)
    with pytest.raises(ValueError):
        robustness.lambert_w0(-1.0)
    beta, c, rate, noise = 2.0, 9.0, 150.0, 0.05
    lam_star = robustness.tradeoff_optimum(beta=beta, c=c, rate=rate, noise=noise)
    grid = np.linspace(0, 0.2, 200001)
    f = grid**2 * beta**2 + noise**2 * c**2 * np.exp(-2 * rate * grid)
    assert abs(grid[np.argmin(f)] - lam_star) < 2e-6


def test_interpolant_channel_energy_is_exact_for_exact_networks(prob):
    g = np.random.default_rng(8)
    w = 12
    W1 = g.standard_normal((w, prob.m)) / np.sqrt(prob.m)
    W2 = g.standard_normal((w, w)) / np.sqrt(w)
    M = W2 @ W1 @ prob.U  # signal features entering W_L
    target = prob.oracle @ prob.U  # R V Sigma^{-1}
    W3 = target @ np.linalg.pinv(M) + g.standard_normal((prob.d, w)) @ (
        np.eye(w) - M @ np.linalg.pinv(M)
    )
    weights = (W1, W2, W3)
    E = network.end_to_end(weights)
    assert np.allclose(E @ prob.AR, prob.R, atol=1e-10)  # exact on S
    sp = robustness.channel_split(weights, prob)
    assert np.isclose(sp["channel"], robustness.interpolant_channel_energy(W1, prob), rtol=1e-9)
