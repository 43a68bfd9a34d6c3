"""Chapter 3's headline checks can fail (issue 9, New C).

The lab checks Lemma A (``lem-frozen``) with :func:`dlinv.dynamics.assert_lemma_a` and the rank of
the gradient (``prop-ch3-gradient-rank``) with :func:`dlinv.dynamics.assert_gradient_rank`. Here
each check passes on the right input and fails on a wrong one: a wrong decay exponent, a perturbed
first layer, noisy training data.
"""

import numpy as np
import pytest

import dlinv
from dlinv import dynamics, theory
from dlinv.network import gradients
from dlinv.problem import TrainingData

ETA, LAM, STEPS = 0.03, 0.05, 300


@pytest.fixture(scope="module")
def setup():
    prob = dlinv.random_problem(40, 20, 3, seed=0)
    data = dlinv.make_training_data(prob, 200, seed=1)
    W0 = dlinv.init_weights(40, 20, width=32, depth=4, seed=2)
    res = dlinv.train(
        prob, data, lam=LAM, eta=ETA, steps=STEPS, init=W0, record_every=0, metrics=()
    )
    return prob, data, W0, res


def test_lemma_a_passes_with_the_right_factor(setup):
    prob, _, W0, res = setup
    dev = dynamics.assert_lemma_a(
        W0[0], res.weights[0], prob.P_perp, float(theory.frozen_factor(ETA, LAM, STEPS))
    )
    assert dev < 1e-12


@pytest.mark.parametrize(
    "wrong_factor",
    [
        (1 - ETA * LAM) ** (2 * STEPS),  # the imbalance exponent of Lemma C
        (1 - ETA * LAM) ** (STEPS + 1),  # off by one step
        (1 - 2 * ETA * LAM) ** STEPS,  # a doubled rate
        1.0,  # no decay at all
    ],
)
def test_lemma_a_rejects_a_wrong_decay(setup, wrong_factor):
    prob, _, W0, res = setup
    with pytest.raises(AssertionError, match="Lemma A fails"):
        dynamics.assert_lemma_a(W0[0], res.weights[0], prob.P_perp, wrong_factor)


def test_lemma_a_rejects_a_perturbed_first_layer(setup):
    prob, _, W0, res = setup
    W1 = res.weights[0] + 1e-6 * np.random.default_rng(3).standard_normal(res.weights[0].shape)
    with pytest.raises(AssertionError):
        dynamics.assert_lemma_a(
            W0[0], W1, prob.P_perp, float(theory.frozen_factor(ETA, LAM, STEPS))
        )


def test_gradient_rank_is_s_for_noiseless_data(setup):
    prob, data, W0, res = setup
    for W in (W0, res.weights):
        assert dynamics.assert_gradient_rank(W, data, prob.s) == [prob.s] * 4


@pytest.mark.parametrize("noise", [1e-4, 0.05])
def test_gradient_rank_check_rejects_noisy_data(setup, noise):
    prob, data, W0, _ = setup
    noisy = TrainingData(data.X, dlinv.noisy_measurements(prob, data.X, noise, seed=9))
    with pytest.raises(AssertionError, match="numerical rank"):
        dynamics.assert_gradient_rank(W0, noisy, prob.s)


def test_gradient_factors_reproduce_the_gradients():
    """prop-ch3-gradient-rank, eq-ch3-rank-factors: G_l = B_l F_l^T, on several shapes (L = 1,
    width below s, width above d)."""
    for d, m, s, w, L in [(12, 8, 3, 10, 1), (12, 8, 3, 2, 3), (12, 8, 3, 20, 4), (9, 6, 2, 6, 2)]:
        prob = dlinv.random_problem(d, m, s, seed=d + w + L)
        data = dlinv.make_training_data(prob, 30, seed=7)
        W = dlinv.init_weights(d, m, width=w, depth=L, seed=8)
        B, F = dynamics.gradient_factors(W, prob, data)
        for b, f, g in zip(B, F, gradients(W, data, 0.0)):
            assert b.shape[1] == f.shape[1] == s
            assert np.linalg.norm(b @ f.T - g) <= 1e-12 * np.linalg.norm(g)


def test_numerical_rank():
    g = np.random.default_rng(0)
    M = g.standard_normal((7, 3)) @ g.standard_normal((3, 5))
    assert dynamics.numerical_rank(M) == 3
    assert dynamics.numerical_rank(M + 1e-6 * g.standard_normal(M.shape)) == 5
    assert dynamics.numerical_rank(np.zeros((3, 4))) == 0
