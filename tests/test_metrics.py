"""The error decomposition (eq-error-decomposition) and the noise sweep, against Monte Carlo."""

import numpy as np

import dlinv
from dlinv import metrics


def test_error_decomposition_matches_monte_carlo():
    P = dlinv.random_problem(30, 15, 3, seed=0)
    W = P.oracle + np.random.default_rng(1).standard_normal((30, 15)) * 0.1  # biased and noisy map
    C = np.diag([2.0, 1.0, 0.5])
    dec = metrics.error_decomposition(W, P, 0.2, latent_cov=C)
    g = np.random.default_rng(2)
    n = 400000
    X = P.R @ (np.sqrt(np.diag(C))[:, None] * g.standard_normal((3, n)))
    Y = P.A @ X + 0.2 * g.standard_normal((15, n))
    mc = np.mean(np.sum((W @ Y - X) ** 2, 0))
    assert abs(mc / dec["total"] - 1) < 0.01
    assert abs(dec["total"] - dec["bias"] - dec["on_noise"] - dec["off_noise"]) < 1e-12
    assert metrics.error_decomposition(P.oracle, P, 0.2)["bias"] < 1e-24
    assert metrics.error_decomposition(P.oracle, P, 0.2)["off_noise"] < 1e-24


def test_noise_sweep_measured_agrees_with_prediction():
    P = dlinv.random_problem(40, 20, 4, seed=3)
    W = P.oracle + P.project_perp(np.random.default_rng(4).standard_normal((40, 20)))
    sw = metrics.noise_sweep(
        {"oracle": P.oracle, "pinv": P.pinv, "noisy": W}, P, [0.0, 0.05, 0.1], n=20000, seed=5
    )
    for name in sw.measured:
        assert np.allclose(sw.measured[name], sw.predicted[name], rtol=0.03, atol=1e-12)
    assert sw.measured["oracle"][0] < 1e-12
    # the single-sample helper agrees too
    assert (
        abs(metrics.relative_test_error(W, P, 0.1, n=20000, seed=6) / sw.predicted["noisy"][2] - 1)
        < 0.03
    )
