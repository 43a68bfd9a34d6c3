"""The rank-r path of dlinv.train: when it is taken, and that it gives the generic path's iterates.

Proposition prop-ch3-gradient-rank: with noiseless data Y = A R Z the gradient has rank at most
s, so GD can propagate s columns instead of m. The two paths must agree to 1e-12 (relative)
over 1000 steps, and the choice must follow from the data (tolerance RANK_RTOL), never a guess.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dlinv
from dlinv import train as train_module  # noqa: F401  (the function shadows the module)
from dlinv.problem import TrainingData
from dlinv.train import RANK_RTOL, measurement_rank

TOL = 1e-12


def _rel(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-300))


def run_both(d, m, s, depth, width, *, steps=1000, lam=0.02, n=60, seed=0, eta=None):
    prob = dlinv.random_problem(d, m, s, seed=seed)
    data = dlinv.make_training_data(prob, n, seed=seed + 1)
    W0 = dlinv.init_weights(d, m, width=width, depth=depth, seed=seed + 2)
    eta = eta if eta is not None else 0.5 * dlinv.suggest_step_size(W0, data, lam)
    out = {
        p: dlinv.train(
            prob,
            data,
            lam=lam,
            eta=eta,
            steps=steps,
            init=W0,
            record_every=97,
            metrics=dlinv.ALL_METRICS,
            path=p,
        )
        for p in ("generic", "rank")
    }
    return out["generic"], out["rank"]


def assert_same(g, r):
    for a, b in zip(g.weights, r.weights):
        assert _rel(a, b) < TOL
    assert np.array_equal(g.history.step, r.history.step)
    for name in g.history.values:
        a, b = g.history[name], r.history[name]
        # metrics that decay (the off-subspace norm) are compared on the scale of their history
        assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(a)) + 1e-300, name


@pytest.mark.parametrize(
    "d, m, s, depth, width",
    [
        (20, 10, 3, 1, None),  # L = 1: a single layer
        (20, 10, 3, 2, 2),  # w < s
        (20, 10, 3, 3, 30),  # w > d
        (16, 12, 4, 4, 16),
        (30, 15, 2, 5, 24),
    ],
)
def test_paths_agree_over_1000_steps(d, m, s, depth, width):
    g, r = run_both(d, m, s, depth, width)
    assert_same(g, r)


@settings(max_examples=12, deadline=None)
@given(
    s=st.integers(1, 4),
    extra_m=st.integers(1, 6),
    extra_d=st.integers(1, 8),
    depth=st.integers(1, 4),
    width=st.integers(1, 12),
    seed=st.integers(0, 10_000),
)
def test_paths_agree_property(s, extra_m, extra_d, depth, width, seed):
    m = s + extra_m
    d = m + extra_d
    g, r = run_both(d, m, s, depth, width if depth > 1 else None, steps=150, seed=seed)
    assert_same(g, r)


def test_auto_takes_rank_path_for_noiseless_data_only():
    prob = dlinv.random_problem(30, 16, 3, seed=1)
    clean = dlinv.make_training_data(prob, 50, seed=2)
    assert measurement_rank(clean)[0] == prob.s
    noisy = TrainingData(
        clean.X, clean.Y + 1e-3 * np.random.default_rng(3).standard_normal(clean.Y.shape)
    )
    assert measurement_rank(noisy)[0] == prob.m  # noise makes the measurements full rank


def test_rank_tolerance_is_the_stated_one():
    """A perturbation of relative size 1e-3 * RANK_RTOL is below the tolerance (rank s), one of
    1e3 * RANK_RTOL is above it (rank m): the decision follows RANK_RTOL."""
    prob = dlinv.random_problem(30, 16, 3, seed=4)
    data = dlinv.make_training_data(prob, 50, seed=5)
    noise = np.random.default_rng(6).standard_normal(data.Y.shape)
    noise *= np.linalg.norm(data.Y, 2) / np.linalg.norm(noise, 2)
    assert measurement_rank(TrainingData(data.X, data.Y + 1e-3 * RANK_RTOL * noise))[0] == 3
    assert measurement_rank(TrainingData(data.X, data.Y + 1e3 * RANK_RTOL * noise))[0] == 16


def test_auto_matches_generic_on_noisy_data():
    prob = dlinv.random_problem(20, 10, 2, seed=7)
    clean = dlinv.make_training_data(prob, 40, seed=8)
    noisy = TrainingData(
        clean.X, clean.Y + 0.05 * np.random.default_rng(9).standard_normal(clean.Y.shape)
    )
    W0 = dlinv.init_weights(20, 10, width=12, depth=3, seed=10)
    a = dlinv.train(prob, noisy, lam=0.01, eta=0.05, steps=200, init=W0)
    b = dlinv.train(prob, noisy, lam=0.01, eta=0.05, steps=200, init=W0, path="generic")
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))  # auto chose generic


def test_forcing_the_rank_path_on_noisy_data_is_wrong():
    """The check above can fail: the rank path with a truncated factor is not GD on noisy data."""
    prob = dlinv.random_problem(20, 10, 2, seed=7)
    clean = dlinv.make_training_data(prob, 40, seed=8)
    noisy = TrainingData(
        clean.X, clean.Y + 0.05 * np.random.default_rng(9).standard_normal(clean.Y.shape)
    )
    W0 = dlinv.init_weights(20, 10, width=12, depth=3, seed=10)
    # rank path with the full rank (r = m) is still exact ...
    full = dlinv.train(prob, noisy, lam=0.01, eta=0.05, steps=200, init=W0, path="rank")
    gen = dlinv.train(prob, noisy, lam=0.01, eta=0.05, steps=200, init=W0, path="generic")
    assert max(_rel(a, b) for a, b in zip(gen.weights, full.weights)) < TOL
    # ... but truncating the noisy measurements to rank s changes the iterates
    r, Q, M, P = measurement_rank(noisy)
    U, sv, Vt = np.linalg.svd(noisy.Y, full_matrices=False)
    trunc = TrainingData(noisy.X, (U[:, :2] * sv[:2]) @ Vt[:2])
    t = dlinv.train(prob, trunc, lam=0.01, eta=0.05, steps=200, init=W0)
    assert max(_rel(a, b) for a, b in zip(gen.weights, t.weights)) > 1e-3


def test_bad_path_name():
    prob = dlinv.random_problem(10, 6, 2, seed=0)
    data = dlinv.make_training_data(prob, 20, seed=1)
    with pytest.raises(ValueError, match="path"):
        dlinv.train(prob, data, lam=0.0, eta=0.1, steps=1, depth=2, width=4, seed=0, path="fast")
