"""Tests of dlinv.representation: random factorizations, their cost, and balancing descent
(Chapter 4, Lemma lem-schatten)."""

import numpy as np
import pytest

import dlinv
from dlinv import representation as rep
from dlinv import theory


def _low_rank(d=8, m=6, r=3, seed=0):
    g = np.random.default_rng(seed)
    return g.standard_normal((d, r)) @ g.standard_normal((r, m)) / np.sqrt(r)


def test_factorization_cost_is_half_sum_of_squares():
    g = np.random.default_rng(1)
    Ws = [g.standard_normal((4, 3)), g.standard_normal((5, 4))]
    assert rep.factorization_cost(Ws) == pytest.approx(
        0.5 * sum(np.sum(W**2) for W in Ws), rel=1e-14
    )


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
@pytest.mark.parametrize("extra_rank", [True, False])
@pytest.mark.parametrize("width", [3, 4, 7])  # = rank, between rank and m, > m
def test_random_factorization_reproduces_the_matrix_and_costs_at_least_lemma_E(
    depth, extra_rank, width
):
    W = _low_rank()
    Ws = rep.random_factorization(W, depth=depth, width=width, seed=2, extra_rank=extra_rank)
    assert len(Ws) == depth
    if depth > 1:
        assert Ws[0].shape == (width, 6) and Ws[-1].shape == (8, width)
    np.testing.assert_allclose(dlinv.end_to_end(Ws), W, atol=1e-10 * np.linalg.norm(W))
    assert rep.factorization_cost(Ws) >= theory.schatten_cost(W, depth) * (1 - 1e-12)


def test_random_factorization_is_reproducible_and_seeded():
    W = _low_rank()
    a = rep.random_factorization(W, depth=3, width=5, seed=7)
    b = rep.random_factorization(W, depth=3, width=5, seed=7)
    c = rep.random_factorization(W, depth=3, width=5, seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.allclose(a[0], c[0])
    with pytest.raises(ValueError, match="seed"):
        rep.random_factorization(W, depth=3, width=5, seed=None)


def test_random_factorization_refuses_too_narrow_width():
    with pytest.raises(ValueError, match="rank 3 > width 2"):
        rep.random_factorization(_low_rank(), depth=3, width=2, seed=0)


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_balance_keeps_the_product_and_reaches_lemma_E_from_an_orbit(depth):
    W = _low_rank()
    Ws = rep.random_factorization(W, depth=depth, width=5, seed=3, extra_rank=False, spread=1.0)
    Wb, costs = rep.balance(Ws, steps=400)
    assert costs.shape == (401,)
    assert np.all(np.diff(costs) <= 1e-12 * costs[0])  # monotone descent
    np.testing.assert_allclose(dlinv.end_to_end(Wb), W, atol=1e-10 * np.linalg.norm(W))
    assert costs[-1] == pytest.approx(theory.schatten_cost(W, depth), rel=1e-9)
    assert max(dlinv.imbalances(Wb)) < 1e-6


def test_balance_with_extra_rank_decreases_towards_lemma_E_from_above():
    W = _low_rank()
    Ws = rep.random_factorization(W, depth=3, width=6, seed=4, extra_rank=True)
    Wb, costs = rep.balance(Ws, steps=200)
    target = theory.schatten_cost(W, 3)
    assert np.all(costs >= target * (1 - 1e-12))
    assert costs[-1] < costs[0] and costs[-1] < 1.1 * target
    np.testing.assert_allclose(dlinv.end_to_end(Wb), W, atol=1e-9 * np.linalg.norm(W))


def test_balance_fixes_a_balanced_factorization():
    W = _low_rank()
    B = dlinv.balanced_factorization(W, depth=4, width=5, seed=1)
    Wb, costs = rep.balance(B, steps=20)
    np.testing.assert_allclose(costs, costs[0], rtol=1e-12)
    assert costs[0] == pytest.approx(theory.schatten_cost(W, 4), rel=1e-12)


def test_balance_validates_its_arguments():
    W = _low_rank()
    B = dlinv.balanced_factorization(W, depth=3, width=5)
    with pytest.raises(ValueError, match="rate"):
        rep.balance(B, steps=1, rate=1.0)
    with pytest.raises(ValueError, match="steps"):
        rep.balance(B, steps=-1)
    with pytest.raises(ValueError, match="chain"):
        rep.balance([np.ones((2, 3)), np.ones((2, 3))], steps=1)
