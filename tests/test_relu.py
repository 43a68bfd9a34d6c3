"""The ReLU network of Chapter 8: backprop against finite differences, the fast loop against it,
and the first-layer Lemma A, which holds exactly for ReLU networks too."""

import numpy as np
import pytest
from conftest import rel

import dlinv
from dlinv import relu


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_relu_gradients_match_central_differences(depth):
    P = dlinv.random_problem(7, 5, 2, seed=depth)
    D = dlinv.make_training_data(P, 9, seed=10)
    W = relu.init_relu_weights(7, 5, width=6, depth=depth, seed=3)
    g = relu.relu_gradients(W, D, 0.1)
    h = 1e-6
    for l, Wl in enumerate(W):
        num = np.zeros_like(Wl)
        for idx in np.ndindex(Wl.shape):
            plus = [w.copy() for w in W]
            minus = [w.copy() for w in W]
            plus[l][idx] += h
            minus[l][idx] -= h
            num[idx] = (relu.relu_loss(plus, D, 0.1) - relu.relu_loss(minus, D, 0.1)) / (2 * h)
        assert rel(g[l], num) < 1e-6  # ReLU kinks are hit with probability 0 at random points


def test_relu_training_loop_equals_reference_steps_and_lemma_a():
    P = dlinv.random_problem(12, 8, 3, seed=0)
    D = dlinv.make_training_data(P, 30, seed=1)
    W0 = relu.init_relu_weights(12, 8, width=10, depth=3, seed=2)
    r = relu.train_relu(P, D, lam=0.05, eta=0.05, steps=3, init=W0, record_every=1)
    ref = list(W0)
    for _ in range(3):
        ref = [w - 0.05 * gw for w, gw in zip(ref, relu.relu_gradients(ref, D, 0.05))]
    assert all(rel(a, b) < 1e-12 for a, b in zip(r.weights, ref))
    long = relu.train_relu(P, D, lam=0.05, eta=0.05, steps=1000, init=W0, record_every=100)
    h = long.history
    pred = h["off_subspace_first"][0] * (1 - 0.05 * 0.05) ** h.step
    assert np.max(np.abs(h["off_subspace_first"] / pred - 1)) < 1e-10
    assert h["fit"][-1] < 0.2 * h["fit"][0]


def test_relu_is_linear_network_when_depth_is_one():
    P = dlinv.random_problem(12, 8, 3, seed=0)
    D = dlinv.make_training_data(P, 30, seed=1)
    W0 = (np.zeros((12, 8)),)
    a = relu.train_relu(P, D, lam=0.1, eta=0.1, steps=50, init=W0, record_every=0)
    b = dlinv.train(P, D, lam=0.1, eta=0.1, steps=50, init=W0, record_every=0)
    assert rel(a.weights[0], b.weights[0]) < 1e-12
    errs = relu.relu_test_error(a.weights, P, [0.0, 0.1], n=500, seed=0)
    assert errs.shape == (2,) and errs[1] >= errs[0] - 1e-12


def test_relu_bad_input():
    P = dlinv.random_problem(12, 8, 3, seed=0)
    D = dlinv.make_training_data(P, 30, seed=1)
    with pytest.raises(ValueError, match="eta"):
        relu.train_relu(P, D, lam=0.0, eta=-1.0, steps=1, depth=2, width=4, seed=0)
    with pytest.raises(ValueError, match="init"):
        relu.train_relu(P, D, lam=0.0, eta=0.1, steps=1, depth=2, width=4, seed=0, init="xavier")
    with pytest.raises(FloatingPointError, match="eta="):
        relu.train_relu(P, D, lam=0.0, eta=100.0, steps=200, depth=3, width=8, seed=0)
