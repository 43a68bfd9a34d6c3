"""Chapter 8 tools: checkpointed training equals one run, Jacobians match finite differences,
the linearized decomposition reduces to the linear one, the sensitivity bound holds, the
per-neuron balance recursion is exact, and linear maps are computed exactly by ReLU networks."""

import numpy as np
import pytest
from conftest import rel

import dlinv
from dlinv import metrics, relu
from dlinv import relu_analysis as ra


@pytest.fixture(scope="module")
def prob():
    P = dlinv.random_problem(12, 8, 3, seed=0)
    return P, dlinv.make_training_data(P, 30, seed=1)


def test_checkpoints_equal_one_run(prob):
    P, D = prob
    kw = {"lam": 0.05, "eta": 0.05, "depth": 3, "width": 10, "seed": 2}
    cp = ra.train_relu_checkpoints(P, D, checkpoints=[20, 50, 100], record_every=10, **kw)
    assert list(cp.steps) == [0, 20, 50, 100] and len(cp.weights) == 4
    for t, W in zip(cp.steps, cp.weights):
        ref = relu.train_relu(P, D, steps=int(t), record_every=0, **kw)
        assert all(rel(a, b) < 1e-12 for a, b in zip(W, ref.weights))
    one = relu.train_relu(P, D, steps=100, record_every=10, **kw)
    assert np.array_equal(cp.history.step, one.history.step)
    for k in ("loss", "fit", "off_subspace_first"):
        assert np.allclose(cp.history[k], one.history[k], rtol=1e-12, atol=0)
    assert all(rel(a, b) == 0 for a, b in zip(cp.initial_weights, one.initial_weights))


def test_checkpoints_bad_input(prob):
    P, D = prob
    with pytest.raises(ValueError, match="increasing"):
        ra.train_relu_checkpoints(
            P, D, checkpoints=[10, 5], lam=0.0, eta=0.05, depth=2, width=4, seed=0
        )
    with pytest.raises(ValueError, match="init"):
        ra.train_relu_checkpoints(
            P, D, checkpoints=[5], lam=0.0, eta=0.05, depth=2, width=4, seed=0, init="xavier"
        )


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_jvp_matches_finite_differences(prob, depth):
    W = relu.init_relu_weights(12, 8, width=9, depth=depth, seed=depth)
    g = np.random.default_rng(5)
    Y, Vd = g.standard_normal((8, 6)), g.standard_normal((8, 6))
    F, JV = ra.relu_jvp(W, Y, Vd)
    assert rel(F, relu.relu_forward(W, Y)) < 1e-14
    h = 1e-7  # f is piecewise linear: the difference quotient is exact unless a kink is crossed
    fd = (relu.relu_forward(W, Y + h * Vd) - relu.relu_forward(W, Y - h * Vd)) / (2 * h)
    assert rel(JV, fd) < 1e-6
    cols = ra.relu_jacobian_columns(W, Y, Vd[:, :3])
    for i in range(6):
        _, Ji = ra.relu_jvp(W, np.repeat(Y[:, [i]], 3, axis=1), Vd[:, :3])
        assert rel(cols[:, i, :], Ji) < 1e-13
    # Euler's identity for positively homogeneous maps: f(y) = J(y) y
    assert rel(ra.relu_jvp(W, Y, Y)[1], F) < 1e-12


def test_linearized_decomposition_of_a_linear_map(prob):
    P, _ = prob
    Wmap = np.random.default_rng(3).standard_normal((12, 8))
    dec = ra.linearized_decomposition((Wmap,), P, n=50, seed=7)
    exact = metrics.error_decomposition(Wmap, P, 1.0)
    assert abs(dec["on_noise"] / exact["on_noise"] - 1) < 1e-12
    assert abs(dec["off_noise"] / exact["off_noise"] - 1) < 1e-12
    clean = relu.relu_test_error((Wmap,), P, [0.0], n=50, seed=7)[0]
    assert abs(np.sqrt(dec["bias"] / dec["signal"]) / clean - 1) < 1e-12
    lin = ra.linearized_relative_error((Wmap,), P, [0.0, 0.3], n=50, seed=7)
    assert lin.shape == (2,) and abs(lin[0] / clean - 1) < 1e-12


def test_same_test_draws_as_noise_sweep(prob):
    P, _ = prob
    Wmap = np.random.default_rng(4).standard_normal((12, 8))
    levels = [0.0, 0.1, 0.5]
    a = relu.relu_test_error((Wmap,), P, levels, n=40, seed=11)
    b = metrics.noise_sweep({"W": Wmap}, P, levels, n=40, seed=11).measured["W"]
    assert np.allclose(a, b, rtol=1e-12, atol=1e-15)


def test_sensitivity_of_linear_maps_and_the_bound(prob):
    P, _ = prob
    Wmap = np.random.default_rng(6).standard_normal((12, 8))
    for part, proj in (("perp", P.P_perp), ("signal", P.P_signal)):
        s_lin = ra.subspace_sensitivity((Wmap,), P, 0.3, n=4000, seed=1, part=part)
        assert abs(s_lin / np.linalg.norm(Wmap @ proj) - 1) < 0.05  # Monte Carlo, 4000 samples
        # linear: independent of the noise level (up to rounding)
        assert (
            abs(ra.subspace_sensitivity((Wmap,), P, 3.0, n=4000, seed=1, part=part) / s_lin - 1)
            < 1e-10
        )
    W = relu.init_relu_weights(12, 8, width=9, depth=3, seed=0)
    for part in ("perp", "signal"):
        bound = ra.sensitivity_bound(W, P, n=200, seed=2, part=part)
        for noise in (0.01, 1.0, 100.0):
            assert ra.subspace_sensitivity(W, P, noise, n=200, seed=2, part=part) <= bound * (
                1 + 1e-12
            )
    # a first layer that annihilates (AS)^perp gives a network with zero off-subspace sensitivity
    W0 = (W[0] @ P.P_signal,) + W[1:]
    assert ra.subspace_sensitivity(W0, P, 0.5, n=50, seed=3) < 1e-14
    assert ra.sensitivity_bound(W0, P, n=50, seed=3) < 1e-13
    with pytest.raises(ValueError, match="part"):
        ra.subspace_sensitivity(W, P, 0.1, n=10, seed=0, part="both")


def test_neuron_balance_recursion_is_exact(prob):
    """Proposition prop-ch8-balance: diag(G_l W_l^T) = diag(W_{l+1}^T G_{l+1}) makes the first-order
    terms cancel; one GD step then changes delta_l exactly as the recursion says."""
    P, D = prob
    eta, lam = 0.07, 0.3
    W = relu.train_relu(
        P, D, lam=0.0, eta=0.05, steps=5, depth=4, width=9, seed=1, record_every=0
    ).weights
    G = relu.relu_gradients(W, D, 0.0)
    for l in range(3):
        assert rel(np.diag(G[l] @ W[l].T), np.diag(W[l + 1].T @ G[l + 1])) < 1e-12
    W1 = [(1 - eta * lam) * w - eta * g for w, g in zip(W, G)]
    before, after = ra.neuron_imbalance(W), ra.neuron_imbalance(W1)
    for l in range(3):
        pred = (1 - eta * lam) ** 2 * before[l] + eta**2 * (
            np.sum(G[l + 1] ** 2, 0) - np.sum(G[l] ** 2, 1)
        )
        assert rel(after[l], pred) < 1e-12

    # the off-diagonal part of D_l is NOT governed by the recursion (first-order change)
    def Dl(Ws, l):
        return Ws[l + 1].T @ Ws[l + 1] - Ws[l] @ Ws[l].T

    def off(M):
        return M - np.diag(np.diag(M))

    change = off(Dl(W1, 1)) - (1 - eta * lam) ** 2 * off(Dl(W, 1))
    assert np.linalg.norm(change) > 10 * eta**2 * (
        np.linalg.norm(G[1]) ** 2 + np.linalg.norm(G[2]) ** 2
    )


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_linear_maps_as_relu_networks(depth):
    g = np.random.default_rng(depth)
    M = g.standard_normal((7, 3)) @ g.standard_normal((3, 6))  # rank 3
    W = ra.linear_map_as_relu(M, depth)
    assert W[0].shape == (6, 6) and W[-1].shape == (7, 6)
    Y = g.standard_normal((6, 50))
    assert rel(relu.relu_forward(W, Y), M @ Y) < 1e-12
    lo, hi = ra.relu_cost_bounds(M, depth)
    assert abs(ra.relu_cost(W) / hi - 1) < 1e-12
    sig = np.linalg.svd(M, compute_uv=False)[:3]
    assert abs(hi / (depth * np.sum(sig ** (2 / depth))) - 1) < 1e-12
    if depth == 2:
        assert abs(lo / hi - 1) < 1e-12 and abs(lo / (2 * np.sum(sig)) - 1) < 1e-12
    else:
        assert abs(lo / hi - 0.5) < 1e-12


def test_two_layer_odd_part_and_cost_bound():
    """For L = 2, f(y) - f(-y) = W_2 W_1 y, and the cost is at least ||W_2 W_1||_* (the inequality
    behind Proposition prop-ch8-cost-bounds)."""
    g = np.random.default_rng(0)
    for k in range(5):
        W = (g.standard_normal((9, 6)), g.standard_normal((7, 9)))
        Y = g.standard_normal((6, 20))
        assert rel(relu.relu_forward(W, Y) - relu.relu_forward(W, -Y), W[1] @ W[0] @ Y) < 1e-12
        assert ra.relu_cost(W) >= np.linalg.norm(W[1] @ W[0], "nuc")


def test_suffix_lipschitz_and_depth_one():
    W = relu.init_relu_weights(5, 4, width=6, depth=3, seed=0)
    assert abs(ra.suffix_lipschitz(W) - np.linalg.norm(W[1], 2) * np.linalg.norm(W[2], 2)) < 1e-12
    assert ra.suffix_lipschitz((np.ones((5, 4)),)) == 1.0
    assert ra.linear_map_as_relu(np.ones((5, 4)), 1)[0].shape == (5, 4)
    with pytest.raises(ValueError, match="zero"):
        ra.linear_map_as_relu(np.zeros((5, 4)), 2)


def test_linearized_decomposition_in_blocks_equals_direct(prob):
    """More test points than one block (250): the blockwise sums equal a direct computation."""
    P, _ = prob
    W = relu.init_relu_weights(12, 8, width=9, depth=3, seed=4)
    n = 600
    dec = ra.linearized_decomposition(W, P, n=n, seed=5)
    X, _ = ra._test_set(P, n, 5)
    Y = P.A @ X
    on = sum(
        np.sum(ra.relu_jvp(W, Y, np.repeat(P.U[:, [k]], n, axis=1))[1] ** 2) for k in range(P.s)
    )
    Q = ra._perp_basis(P)
    assert np.allclose(Q.T @ Q, np.eye(P.m - P.s)) and np.allclose(P.U.T @ Q, 0)
    off = sum(
        np.sum(ra.relu_jvp(W, Y, np.repeat(Q[:, [k]], n, axis=1))[1] ** 2)
        for k in range(Q.shape[1])
    )
    assert (
        abs(dec["on_noise"] / (on / n) - 1) < 1e-12
        and abs(dec["off_noise"] / (off / n) - 1) < 1e-12
    )
    assert abs(dec["bias"] - np.sum((relu.relu_forward(W, Y) - X) ** 2) / n) < 1e-12 * max(
        1.0, dec["bias"]
    )
