"""Gradient descent: the fast loop against the reference gradients, Lemmas A and C along
training, convergence to the closed forms, determinism and divergence handling."""

import re

import numpy as np
import pytest
from conftest import rel

import dlinv
from dlinv import theory
from dlinv.network import gradients


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_fast_loop_equals_reference_gradient_steps(small, depth):
    P, D = small
    W = dlinv.init_weights(P.d, P.m, width=6, depth=depth, seed=3)
    res = dlinv.train(P, D, lam=0.05, eta=0.05, steps=4, init=W, record_every=0)
    ref = list(W)
    for _ in range(4):
        g = gradients(ref, D, 0.05)
        ref = [w - 0.05 * gw for w, gw in zip(ref, g)]
    for a, b in zip(res.weights, ref):
        assert rel(a, b) < 1e-13


def test_lemma_a_frozen_first_layer_along_training(small):
    """W_1(t) P_perp = (1 - eta lam)^t W_1(0) P_perp to 1e-10 relative, at every recorded step."""
    P, D = small
    eta, lam = 0.05, 0.02
    res = dlinv.train(
        P, D, lam=lam, eta=eta, steps=2000, depth=4, width=10, seed=4, record_every=100
    )
    h = res.history
    predicted = h["off_subspace_first"][0] * theory.frozen_factor(eta, lam, h.step)
    assert np.max(np.abs(h["off_subspace_first"] / predicted - 1)) < 1e-10
    # the full matrix, not just its norm
    W1P0, W1P = P.project_perp(res.initial_weights[0]), P.project_perp(res.weights[0])
    assert rel(W1P, theory.frozen_factor(eta, lam, 2000) * W1P0) < 1e-10
    # without weight decay it does not move at all
    res0 = dlinv.train(P, D, lam=0.0, eta=eta, steps=500, init=res.initial_weights, record_every=0)
    assert rel(P.project_perp(res0.weights[0]), W1P0) < 1e-12


def test_lemma_c_exact_imbalance_recursion(small):
    """D_j(t+1) = (1-eta lam)^2 D_j(t) + eta^2 (G_{j+1}^T G_{j+1} - G_j G_j^T), to 1e-10."""
    P, D = small
    eta, lam = 0.05, 0.1
    W = dlinv.init_weights(P.d, P.m, width=7, depth=4, seed=5)
    for _ in range(5):
        data_grads = gradients(W, D, 0.0)
        new = dlinv.train(P, D, lam=lam, eta=eta, steps=1, init=W, record_every=0).weights
        for j in range(len(W) - 1):
            Dj = W[j + 1].T @ W[j + 1] - W[j] @ W[j].T
            Dj_new = new[j + 1].T @ new[j + 1] - new[j] @ new[j].T
            pred = (1 - eta * lam) ** 2 * Dj + eta**2 * (
                data_grads[j + 1].T @ data_grads[j + 1] - data_grads[j] @ data_grads[j].T
            )
            assert rel(Dj_new, pred) < 1e-10
        W = new


def test_single_layer_gd_from_zero_reaches_ridge_and_oracle(small):
    P, D = small
    zero = (np.zeros((P.d, P.m)),)
    eta = 0.9 * theory.max_stable_step_single_layer(D, 0.1)
    r = dlinv.train(P, D, lam=0.1, eta=eta, steps=3000, init=zero, record_every=0)
    assert rel(r.weights[0], theory.ridge_solution(D, 0.1)) < 1e-10
    eta0 = 0.9 * theory.max_stable_step_single_layer(D, 0.0)
    r0 = dlinv.train(P, D, lam=0.0, eta=eta0, steps=3000, init=zero, record_every=0)
    assert rel(r0.weights[0], P.oracle) < 1e-10
    assert rel(theory.ridge_solution(D, 0.0), P.oracle) < 1e-10  # X Y^+ is the oracle


def test_spectral_limit_matches_a_trained_depth_two_network(small_white):
    P, D = small_white
    lam = 0.1
    r = dlinv.train(P, D, lam=lam, eta=0.1, steps=8000, depth=2, width=10, seed=6, record_every=0)
    W_lam = theory.regularized_limit(P, lam, 2)
    assert np.max(np.abs(r.end_to_end - W_lam)) < 1e-3
    sv = np.linalg.svd(r.end_to_end, compute_uv=False)[: P.s]
    limit = np.sort(theory.spectral_limit(P.singular_values, lam, 2))[::-1]
    assert np.max(np.abs(sv - limit)) < 1e-3


def test_same_seed_same_bits(small):
    P, D = small
    a = dlinv.train(P, D, lam=0.01, eta=0.05, steps=50, depth=3, width=6, seed=11)
    b = dlinv.train(P, D, lam=0.01, eta=0.05, steps=50, depth=3, width=6, seed=11)
    for x, y in zip(a.weights, b.weights):
        assert np.array_equal(x, y)
    for k in a.history.values:
        assert np.array_equal(a.history[k], b.history[k], equal_nan=False)
    P2 = dlinv.random_problem(12, 8, 3, seed=0)
    assert np.array_equal(P2.A, P.A) and np.array_equal(P2.R, P.R)
    c = dlinv.train(P, D, lam=0.01, eta=0.05, steps=50, depth=3, width=6, seed=12)
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_divergence_raises_with_a_stable_suggestion(small):
    P, D = small
    with pytest.raises(FloatingPointError, match=r"step size eta=50.*eta=") as info:
        dlinv.train(P, D, lam=0.0, eta=50.0, steps=500, depth=3, width=6, seed=0)
    suggested = float(re.search(r"e\.g\. eta=([0-9.e+-]+)", str(info.value)).group(1))
    assert suggested < 50.0
    r = dlinv.train(P, D, lam=0.0, eta=suggested, steps=500, depth=3, width=6, seed=0)
    assert np.all(np.isfinite(r.history["loss"]))
    assert r.history["loss"][-1] < r.history["loss"][0]


def test_auto_step_size_is_stable_and_reported(small):
    P, D = small
    r = dlinv.train(P, D, lam=0.01, eta="auto", steps=300, depth=4, width=8, seed=1)
    assert "eta='auto' chose" in r.eta_note and r.eta > 0
    assert r.history["loss"][-1] < r.history["loss"][0]
    # for one layer the estimate is the exact smoothness lambda_max(Syy) + lam
    W = (np.zeros((P.d, P.m)),)
    half = 0.5 * theory.max_stable_step_single_layer(D, 0.3)
    assert abs(dlinv.suggest_step_size(W, D, 0.3) - half) < 1e-12


def test_history_contents(small):
    P, D = small
    r = dlinv.train(
        P,
        D,
        lam=0.01,
        eta=0.05,
        steps=95,
        depth=3,
        width=6,
        seed=2,
        record_every=10,
        metrics=dlinv.ALL_METRICS,
    )
    assert list(r.history.step) == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]
    E = r.end_to_end
    assert abs(r.history["on_subspace"][-1] - np.linalg.norm(E @ P.AR - P.R)) < 1e-12
    assert abs(r.history["oracle_distance"][-1] - np.linalg.norm(E - P.oracle)) < 1e-12
    assert abs(r.history["loss"][-1] - dlinv.loss(r.weights, D, 0.01)) < 1e-12
    suffix = np.linalg.norm(r.weights[2] @ r.weights[1], 2)
    assert abs(r.history["suffix_norm"][-1] - suffix) < 1e-12
    assert abs(r.history["imbalance"][-1] - max(dlinv.imbalances(r.weights))) < 1e-12
    with pytest.raises(KeyError, match="not recorded"):
        dlinv.train(
            P, D, lam=0.0, eta=0.05, steps=1, depth=2, width=4, seed=0, metrics=("loss",)
        ).history["fit"]


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_smoothness_estimate_is_its_formula(small, depth):
    """beta = sum_l ||W_{L:l+1}||_2^2 ||W_{l-1:1} Syy^{1/2}||_2^2 + lam (eq-step-estimate), term
    by term."""
    P, D = small
    W = dlinv.init_weights(P.d, P.m, width=7, depth=depth, seed=4)
    ev, Q = np.linalg.eigh(D.Syy)
    root = (Q * np.sqrt(np.clip(ev, 0, None))) @ Q.T
    expected = 0.03
    for l in range(depth):
        suffix = dlinv.partial_product(W, depth, l + 2)  # W_{L:l+2} in the book's 1-indexing
        prefix = dlinv.partial_product(W, l, 1) @ root if l > 0 else root
        expected += np.linalg.norm(suffix, 2) ** 2 * np.linalg.norm(prefix, 2) ** 2
    assert abs(dlinv.smoothness_estimate(W, D, 0.03) / expected - 1) < 1e-12
