"""Factorizations of one matrix and their weight-decay cost (Chapter 4, Lemma ``lem-schatten``).

A deep linear network with weights ``(W_1, ..., W_L)`` computes ``W = W_L ... W_1``. Many weight
tuples compute the same ``W``; weight decay pays ``(1/2) sum_l ||W_l||_F^2`` for each of them. This
module draws random factorizations of a given matrix and lowers their cost without changing the
product (the *balancing descent*), so that the minimum of Lemma ``lem-schatten``,
``(L/2) sum_i sigma_i(W)^{2/L}`` (:func:`dlinv.theory.schatten_cost`), can be approached from above
by an actual optimization over factorizations instead of being evaluated from the formula.

Balancing descent. For a hidden layer ``l`` (``1 <= l < L``) and any invertible ``G``, the tuple
with ``W_l -> G W_l`` and ``W_{l+1} -> W_{l+1} G^{-1}`` has the same product. With
``D_l = W_{l+1}^T W_{l+1} - W_l W_l^T`` (eq. ``eq-imbalance``) and ``G = I + eps D_l`` the cost changes
by ``-eps ||D_l||_F^2 + O(eps^2)``: the descent direction is the imbalance itself, and the fixed
points are the balanced factorizations, which attain the minimum (Lemma ``lem-schatten``).
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from .network import balanced_factorization, check_weights, end_to_end


def factorization_cost(weights) -> float:
    """The weight-decay cost ``(1/2) sum_l ||W_l||_F^2`` of a weight tuple ``(W_1, ..., W_L)``."""
    weights = check_weights(weights)
    return 0.5 * float(sum(np.vdot(W, W) for W in weights))


def random_factorization(
    W, *, depth: int, width: int, seed, extra_rank: bool = True, spread: float = 1.0
) -> tuple:
    """A random weight tuple ``(W_1, ..., W_L)`` with ``W_L ... W_1 = W`` (to rounding error).

    ``W = P Sigma Q^T`` has rank ``r <= width``. With ``extra_rank=True`` the first layer is
    ``W_1 = G_1 [Q^T; K]`` with a random ``(width - r) x m`` block ``K`` (directions that the
    last layer must cancel), the middle layers are random ``width x width`` matrices ``G_l`` and
    ``W_L = W (W_{L-1:1})^+``; since ``row(W_{L-1:1})`` contains ``row(W)``, the product is ``W``.
    With ``extra_rank=False`` the factors are ``G_l B_l G_{l-1}^{-1}`` for the balanced factors
    ``B_l`` of :func:`dlinv.balanced_factorization` and random invertible ``G_l`` (the orbit of a
    balanced factorization under the hidden-layer rescalings).

    ``spread`` scales the log-singular values of the random matrices ``G_l`` (their singular values
    are ``exp(spread * N(0, 1))``), i.e. how unbalanced the factorization is. ``depth = 1`` returns
    ``(W,)``.
    """
    W = V.matrix(W, "W")
    depth = V.positive_int(depth, "depth")
    spread = V.nonneg_float(spread, "spread")
    if not isinstance(extra_rank, (bool, np.bool_)):
        raise ValueError(f"extra_rank must be True or False, got {extra_rank!r}")  # noqa: TRY004
    g = V.rng(seed)
    if depth == 1:
        return check_weights([W])
    width = V.positive_int(width, "width")
    d, m = W.shape
    _, sig, Qt = np.linalg.svd(W, full_matrices=False)
    r = int(np.sum(sig > (sig[0] if sig.size else 0.0) * 1e-12)) if sig.size and sig[0] > 0 else 0
    if r > width:
        raise ValueError(
            f"W has rank {r} > width {width}: no factorization through width {width} exists"
        )

    def rand_invertible(n):
        Q1, _ = np.linalg.qr(g.standard_normal((n, n)))
        Q2, _ = np.linalg.qr(g.standard_normal((n, n)))
        return (Q1 * np.exp(spread * g.standard_normal(n))) @ Q2.T

    if extra_rank:
        K = g.standard_normal((width - r, m)) / np.sqrt(m)
        Ws = [rand_invertible(width) @ np.vstack([Qt[:r], K])]
        for _ in range(depth - 2):
            Ws.append(rand_invertible(width))
        M = end_to_end(check_weights(Ws))
        Ws.append(W @ np.linalg.pinv(M))
        return check_weights(Ws, d=d, m=m)

    B = balanced_factorization(W, depth=depth, width=width, seed=g)
    Gs = [rand_invertible(width) for _ in range(depth - 1)]
    Ws = [Gs[0] @ B[0]]
    for l in range(1, depth - 1):
        Ws.append(Gs[l] @ np.linalg.solve(Gs[l - 1].T, B[l].T).T)
    Ws.append(np.linalg.solve(Gs[-1].T, B[-1].T).T)
    return check_weights(Ws, d=d, m=m)


def balance(weights, *, steps: int, rate: float = 0.25):
    """Balancing descent: lower ``(1/2) sum ||W_l||_F^2`` while keeping the product fixed.

    Each step sweeps ``l = 1, ..., L-1`` and replaces ``W_l -> G W_l``,
    ``W_{l+1} -> W_{l+1} G^{-1}`` with ``G = I + eps_l D_l``, ``D_l = W_{l+1}^T W_{l+1} - W_l W_l^T``
    and ``eps_l = rate / (||W_l||_2^2 + ||W_{l+1}||_2^2)``. The product is unchanged (up to
    rounding) and the cost decreases by about ``eps_l ||D_l||_F^2`` per layer pair.

    Returns ``(weights, costs)``: the final weights and the cost after each step (``costs[0]`` is
    the initial cost, length ``steps + 1``).
    """
    Ws = [np.array(W) for W in check_weights(weights)]
    steps = V.positive_int(steps, "steps", minimum=0)
    rate = V.nonneg_float(rate, "rate", positive=True)
    if rate >= 1:
        raise ValueError(f"rate must be < 1 (it keeps I + eps D_l invertible), got {rate}")
    L = len(Ws)
    costs = np.empty(steps + 1)
    costs[0] = 0.5 * sum(float(np.vdot(W, W)) for W in Ws)
    for t in range(1, steps + 1):
        for l in range(L - 1):
            D = Ws[l + 1].T @ Ws[l + 1] - Ws[l] @ Ws[l].T
            scale = np.linalg.norm(Ws[l], 2) ** 2 + np.linalg.norm(Ws[l + 1], 2) ** 2
            if scale == 0:
                continue
            # ||eps D||_2 <= rate < 1 since ||D||_2 <= scale, so G is invertible
            G = np.eye(D.shape[0]) + (rate / scale) * D
            Ws[l] = G @ Ws[l]
            Ws[l + 1] = np.linalg.solve(G.T, Ws[l + 1].T).T  # W_{l+1} G^{-1} (G is symmetric)
        costs[t] = 0.5 * sum(float(np.vdot(W, W)) for W in Ws)
    return check_weights(Ws), costs


def verify_representation_cost(
    W,
    depth: int,
    claimed: float,
    *,
    width: int,
    n_random: int = 20,
    steps: int = 300,
    seed: int = 0,
    rtol: float = 1e-8,
) -> dict:
    """Check a claimed value of the representation cost ``C_L(W)`` by optimizing over factorizations.

    Lemma ``lem-schatten`` says ``C_L(W) = (L/2) sum_i sigma_i(W)^{2/L}``. Here the claim is tested
    without that formula: (1) a balanced factorization (:func:`dlinv.balanced_factorization`)
    must cost ``claimed`` to relative ``rtol``; (2) ``n_random`` random factorizations
    (:func:`random_factorization`, half of them with extra rank) must all cost at least
    ``claimed``; (3) the balancing descent (:func:`balance`) from random rescalings of a balanced
    factorization must reach ``claimed`` to ``1e-6`` and never go below it. Raises
    ``AssertionError`` naming the property that fails (a wrong exponent or a missing factor
    fails), returns the measured numbers otherwise.
    """
    W = V.matrix(W, "W")
    claimed = float(claimed)
    B = balanced_factorization(W, depth=depth, width=width, seed=seed + 1)
    cost_bal = factorization_cost(B)
    assert abs(cost_bal - claimed) <= rtol * max(claimed, 1e-300), (
        f"L = {depth}: a balanced factorization costs {cost_bal:.10g}, not the claimed {claimed:.10g}"
    )
    costs = [
        factorization_cost(
            random_factorization(
                W, depth=depth, width=width, seed=seed + 1000 + k, extra_rank=bool(k % 2)
            )
        )
        for k in range(n_random)
    ]
    assert min(costs) >= claimed * (1 - rtol), (
        f"L = {depth}: a random factorization costs {min(costs):.10g} < claimed {claimed:.10g}"
    )
    reached = []
    for k in range(2):
        Ws = random_factorization(
            W, depth=depth, width=width, seed=seed + 2000 + k, extra_rank=False
        )
        _, path = balance(Ws, steps=steps)
        assert path.min() >= claimed * (1 - rtol), (
            f"L = {depth}: the balancing descent went below the claimed {claimed:.10g}"
        )
        reached.append(path[-1] / claimed - 1)
    assert max(reached) < 1e-6, (
        f"L = {depth}: the balancing descent stops {max(reached):.1e} above the claimed value"
    )
    return {"balanced": cost_bal, "min_random": min(costs), "descent_excess": max(reached)}
