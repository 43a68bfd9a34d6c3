"""Chapter 3 claims: gradients, initialization statistics (Lemma B), balanced factorizations."""

import numpy as np
import pytest
from conftest import rel
from hypothesis import given, settings
from hypothesis import strategies as st

import dlinv
from dlinv import theory
from dlinv.network import gradients, loss


def _fd_gradients(weights, data, lam, h=1e-6):
    out = []
    for l, W in enumerate(weights):
        g = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            plus = [w.copy() for w in weights]
            minus = [w.copy() for w in weights]
            plus[l][idx] += h
            minus[l][idx] -= h
            g[idx] = (loss(plus, data, lam) - loss(minus, data, lam)) / (2 * h)
        out.append(g)
    return out


@settings(max_examples=12, deadline=None)
@given(
    depth=st.integers(1, 4),
    width=st.integers(2, 6),
    s=st.integers(1, 2),
    extra_m=st.integers(1, 3),
    extra_d=st.integers(1, 3),
    lam=st.sampled_from([0.0, 0.1]),
    seed=st.integers(0, 10_000),
)
def test_gradients_match_central_differences(depth, width, s, extra_m, extra_d, lam, seed):
    m = s + extra_m
    d = m + extra_d
    P = dlinv.random_problem(d, m, s, seed=seed)
    D = dlinv.make_training_data(P, 7, seed=seed + 1)
    W = dlinv.init_weights(d, m, width=width, depth=depth, seed=seed + 2)
    analytic, numeric = gradients(W, D, lam), _fd_gradients(W, D, lam)
    for a, n in zip(analytic, numeric):
        assert rel(a, n) < 1e-6


def test_layer_shapes_and_end_to_end():
    W = dlinv.init_weights(7, 5, width=4, depth=3, seed=0)
    assert [w.shape for w in W] == [(4, 5), (4, 4), (7, 4)]
    assert rel(dlinv.end_to_end(W), W[2] @ W[1] @ W[0]) < 1e-15
    assert rel(dlinv.partial_product(W, 3, 2), W[2] @ W[1]) < 1e-15
    assert rel(dlinv.partial_product(W, 1, 2), np.eye(4)) == 0.0  # empty product
    assert dlinv.init_weights(7, 5, width=4, depth=1, seed=0)[0].shape == (7, 5)


def test_weights_are_immutable():
    W = dlinv.init_weights(7, 5, width=4, depth=2, seed=0)
    with pytest.raises(ValueError):
        W[0][0, 0] = 1.0


def test_lemma_b_initial_offsubspace_norm_over_seeds():
    """E||W_{L:1}(0) P_perp||_F^2 = (d/m)(m - s) for every width and depth, within 5% over seeds."""
    P = dlinv.random_problem(40, 20, 4, seed=0)
    predicted = theory.expected_initial_offsubspace_sq(40, 20, 4)
    for depth, width in [(1, None), (2, 16), (3, 64), (5, 32)]:
        vals = [
            np.sum(
                P.project_perp(
                    dlinv.end_to_end(dlinv.init_weights(40, 20, width=width, depth=depth, seed=k))
                )
                ** 2
            )
            for k in range(400)
        ]
        assert abs(np.mean(vals) / predicted - 1) < 0.05, (depth, width, np.mean(vals), predicted)
    first = [
        np.sum(P.project_perp(dlinv.init_weights(40, 20, width=64, depth=3, seed=k)[0]) ** 2)
        for k in range(200)
    ]
    assert abs(np.mean(first) / theory.expected_first_layer_offsubspace_sq(64, 20, 4) - 1) < 0.05


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_balanced_factorization_attains_the_schatten_cost(depth):
    g = np.random.default_rng(1)
    # rank 3
    W = g.standard_normal((6, 4)) @ np.diag([3.0, 1.0, 0.5, 0.0]) @ g.standard_normal((4, 5))
    F = dlinv.balanced_factorization(W, depth=depth, width=7, seed=2)
    assert rel(dlinv.end_to_end(F), W) < 1e-12
    assert max(dlinv.imbalances(F)) < 1e-12
    cost = 0.5 * sum(np.sum(f**2) for f in F)
    assert abs(cost - theory.schatten_cost(W, depth)) < 1e-12 * cost
    # random factorizations of the same matrix never cost less (Lemma E)
    for k in range(200):
        Ms = [g.standard_normal((7, 7)) + 3 * np.eye(7) for _ in range(depth - 1)]
        G = list(F)
        for l, M in enumerate(Ms):  # W_{l+1} M^{-1}, M W_l keeps the product
            G[l] = M @ G[l]
            G[l + 1] = G[l + 1] @ np.linalg.inv(M)
        assert rel(dlinv.end_to_end(tuple(G)), W) < 1e-9
        assert 0.5 * sum(np.sum(f**2) for f in G) >= cost * (1 - 1e-12)


def test_init_schemes():
    Wo = dlinv.init_weights(30, 10, width=20, depth=3, seed=0, scheme="orthogonal")
    for W, gain in zip(Wo, [np.sqrt(2.0), 1.0, np.sqrt(1.5)]):  # sqrt(max(1, out/in))
        sv = np.linalg.svd(W, compute_uv=False)
        assert np.allclose(sv, gain, atol=1e-12)
    Wb = dlinv.init_weights(30, 10, width=20, depth=4, seed=0, scheme="balanced")
    assert max(dlinv.imbalances(Wb)) < 1e-12
    # narrow balanced init truncates the target to rank width
    Wn = dlinv.init_weights(30, 10, width=3, depth=3, seed=0, scheme="balanced")
    assert np.linalg.matrix_rank(dlinv.end_to_end(Wn)) == 3 and max(dlinv.imbalances(Wn)) < 1e-12
