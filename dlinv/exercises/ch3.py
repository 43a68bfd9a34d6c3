"""Checks for the coding exercises of Lab 3 (deep linear networks).

* :func:`check_layer_gradients` (Coding exercise 3.1): the gradient of every layer,
  ``W_{L:l+1}^T G W_{l-1:1}^T + lam W_l`` (Proposition 3.3, ``prop-gradient``).
* :func:`check_imbalance_step` (Coding exercise 3.2): the imbalance after one GD step from the
  full gradients, ``(1 - 2 eta lam) D_j + eta^2 (Gamma_{j+1}^T Gamma_{j+1} - Gamma_j Gamma_j^T)``
  (Lemma C, ``lem-imbalance``, second form).
* :func:`check_balanced_factorization` (Coding exercise 3.3): layers with a given product and
  zero imbalance (``D_j = 0``), as in the balanced scheme of the initialization section.

Each check runs the student's function on random instances and edge cases (depth 1, square and
non-square layers, a rank-deficient map) and names the result of Chapter 3 a wrong answer
contradicts. The numbers in the feedback ("Lemma 3.6") are those of the rendered book.
"""

from __future__ import annotations

import numpy as np

from ..network import end_to_end, gradients, init_weights, partial_product
from ..problem import make_training_data, random_problem
from ._core import Mistake, call, check, expect_close, expect_shape, rng_for

__all__ = [
    "check_balanced_factorization",
    "check_imbalance_step",
    "check_layer_gradients",
    "imbalance",
]

PROP_GRADIENT = "the gradient formula (Proposition 3.3)"
LEMMA_C = "Lemma C (Lemma 3.6), second form (with the full gradients Gamma)"
BALANCED = "the balanced factorization of the initialization section (D_j = 0, same product)"

# (d, m, width, depth): depth 1, square hidden layers, a width below and above d and m
_SHAPES = [(6, 4, 5, 1), (6, 4, 5, 2), (7, 5, 6, 3), (6, 4, 9, 4), (5, 4, 3, 3)]


def _instances(seed: int):
    """Random networks with noiseless training data, one per shape of ``_SHAPES``."""
    for k, (d, m, w, L) in enumerate(_SHAPES):
        prob = random_problem(d, m, min(2, m - 1), seed=seed + k)
        data = make_training_data(prob, 12, seed=seed + 100 + k)
        weights = [np.array(W) for W in init_weights(d, m, width=w, depth=L, seed=seed + 200 + k)]
        yield weights, data


def _shape(value, shape, meaning, contradicts):
    """:func:`expect_shape` whose feedback also names the result of the chapter."""
    try:
        return expect_shape(value, shape, meaning)
    except Mistake as m:
        m.contradicts = m.contradicts or contradicts
        raise


def imbalance(weights, j: int) -> np.ndarray:
    """``D_j = W_{j+1}^T W_{j+1} - W_j W_j^T`` for ``j = 1, ..., L-1`` (eq. ``eq-imbalance``)."""
    return weights[j].T @ weights[j] - weights[j - 1] @ weights[j - 1].T


# --- Coding exercise 3.1 ----------------------------------------------------------------------


@check(
    "Coding exercise 3.1: the gradient of a deep linear network",
    verified="the gradients equal W_{L:l+1}^T G W_{l-1:1}^T + lambda W_l\n"
    "   (Proposition 3.3) on 5 networks of depths 1 to 4, with and\n"
    "   without weight decay, and match a finite difference of the loss",
)
def check_layer_gradients(layer_gradients):
    """``layer_gradients(weights, Syy, Sxy, lam)`` must return the list of the ``L`` gradients."""
    for weights, data in _instances(30):
        L = len(weights)
        for lam in (0.0, 0.3):
            out = call(
                layer_gradients, [W.copy() for W in weights], data.Syy.copy(), data.Sxy.copy(), lam
            )
            if not isinstance(out, (list, tuple)) or len(out) != L:
                raise Mistake(
                    f"expected a list of {L} gradients (one per layer) for depth {L}, "
                    f"got {type(out).__name__}"
                    + (f" of length {len(out)}" if hasattr(out, "__len__") else ""),
                    hint="return [grad of W_1, ..., grad of W_L]",
                )
            ref = gradients(weights, data, lam)
            for ell, (g, r) in enumerate(zip(out, ref), start=1):
                g = _shape(
                    g,
                    r.shape,
                    f"the gradient of layer {ell} has the shape of W_{ell}",
                    PROP_GRADIENT,
                )
                err = np.linalg.norm(g - r) / np.linalg.norm(r)
                if err <= 1e-8:
                    continue
                if lam > 0:
                    ref0 = gradients(weights, data, 0.0)[ell - 1]
                    if np.linalg.norm(g - ref0) <= 1e-8 * np.linalg.norm(ref0):
                        raise Mistake(
                            f"layer {ell}: right for lambda = 0 but not for lambda = {lam}",
                            contradicts=PROP_GRADIENT,
                            hint="the penalty (lambda/2)||W_l||_F^2 adds lambda W_l",
                        )
                raise Mistake(
                    f"layer {ell} of a depth-{L} network (lambda = {lam}): relative "
                    f"error {err:.2e} against the formula",
                    contradicts=PROP_GRADIENT,
                    hint="the suffix W_{L:l+1} enters transposed on the left, the "
                    "prefix W_{l-1:1} transposed on the right, and "
                    "G = W_{L:1} Syy - Sxy",
                )
    # finite differences on one network: the formula is the derivative of the loss
    weights, data = list(_instances(40))[3]
    lam = 0.3
    out = call(layer_gradients, [W.copy() for W in weights], data.Syy.copy(), data.Sxy.copy(), lam)
    g = rng_for(41)
    direction = [g.standard_normal(W.shape) for W in weights]

    def loss(ws):
        E = end_to_end(ws)
        return (
            0.5 * np.sum((E @ data.Syy) * E)
            - np.sum(E * data.Sxy)
            + 0.5 * lam * sum(np.sum(W**2) for W in ws)
        )

    h = 1e-6
    fd = (
        loss([W + h * V for W, V in zip(weights, direction)])
        - loss([W - h * V for W, V in zip(weights, direction)])
    ) / (2 * h)
    analytic = sum(float(np.sum(np.asarray(o) * V)) for o, V in zip(out, direction))
    expect_close(
        analytic,
        fd,
        rtol=1e-6,
        what="the directional derivative <gradient, direction> differs from the "
        "central finite difference of the loss",
        contradicts=PROP_GRADIENT,
        hint="check every factor and transpose",
    )


# --- Coding exercise 3.2 ----------------------------------------------------------------------


def _step_instances(seed: int):
    for weights, data in _instances(seed):
        if len(weights) >= 2:
            yield weights, data


@check(
    "Coding exercise 3.2: the imbalance after one gradient step",
    verified="(1 - 2 eta lambda) D_j + eta^2 (Gamma_{j+1}^T Gamma_{j+1}\n"
    "   - Gamma_j Gamma_j^T) is the imbalance after one GD step, for\n"
    "   every j, on 4 networks of depths 2 to 4 and three weight\n"
    "   decays (Lemma C, Lemma 3.6)",
)
def check_imbalance_step(imbalance_after_step):
    """``imbalance_after_step(weights, full_grads, eta, lam)`` must return ``[D_1(t+1), ...]``."""
    for weights, data in _step_instances(50):
        L = len(weights)
        for lam, eta in ((0.0, 0.05), (0.2, 0.1), (0.5, 0.3)):
            full = gradients(weights, data, lam)
            out = call(
                imbalance_after_step,
                [W.copy() for W in weights],
                [G.copy() for G in full],
                eta,
                lam,
            )
            if not isinstance(out, (list, tuple)) or len(out) != L - 1:
                raise Mistake(
                    f"expected a list of L - 1 = {L - 1} matrices D_1, ..., D_{L - 1}",
                    hint="one imbalance per pair of neighbouring layers",
                )
            after = [W - eta * G for W, G in zip(weights, full)]
            for j in range(1, L):
                true = imbalance(after, j)
                Dj = _shape(
                    out[j - 1],
                    true.shape,
                    f"D_{j} is w x w (the width of layers {j} and {j + 1})",
                    LEMMA_C,
                )
                scale = max(np.linalg.norm(true), 1e-300)
                err = np.linalg.norm(Dj - true) / scale
                if err <= 1e-9:
                    continue
                now = imbalance(weights, j)
                wrong_factor = (1 - eta * lam) ** 2 * now + eta**2 * (
                    full[j].T @ full[j] - full[j - 1] @ full[j - 1].T
                )
                if np.linalg.norm(Dj - wrong_factor) <= 1e-9 * scale:
                    raise Mistake(
                        f"D_{j}: you used the factor (1 - eta lambda)^2 with the full "
                        f"gradients (wrong when lambda = {lam} > 0)",
                        contradicts=LEMMA_C,
                        hint="with the full gradients Gamma = G + lambda W the factor is "
                        "1 - 2 eta lambda; (1 - eta lambda)^2 goes with the data "
                        "gradients G",
                    )
                no_second = (1 - 2 * eta * lam) * now
                if np.linalg.norm(Dj - no_second) <= 1e-9 * scale:
                    raise Mistake(
                        f"D_{j}: the eta^2 term is missing",
                        contradicts=LEMMA_C,
                        hint="add eta^2 (Gamma_{j+1}^T Gamma_{j+1} - Gamma_j Gamma_j^T)",
                    )
                raise Mistake(
                    f"D_{j} of a depth-{L} network (eta = {eta}, lambda = {lam}): "
                    f"relative error {err:.2e} against the imbalance after the step",
                    contradicts=LEMMA_C,
                    hint="D_j = W_{j+1}^T W_{j+1} - W_j W_j^T; weights[j] is W_{j+1} "
                    "(Python counts from 0); note the order of the transposes",
                )


# --- Coding exercise 3.3 ----------------------------------------------------------------------


def _target_maps(seed: int):
    g = rng_for(seed)
    yield g.standard_normal((6, 4)), 3  # generic, d > m
    yield g.standard_normal((4, 6)), 2  # d < m
    yield g.standard_normal((5, 3)), 1  # depth 1: the map itself
    U = np.linalg.qr(g.standard_normal((6, 6)))[0][:, :2]
    V = np.linalg.qr(g.standard_normal((4, 4)))[0][:, :2]
    yield U @ np.diag([2.0, 0.5]) @ V.T, 4  # rank 2 < min(d, m)
    yield g.standard_normal((7, 5)) * 3.0, 5


@check(
    "Coding exercise 3.3: a balanced factorization",
    verified="on 5 maps (d > m, d < m, depths 1 to 5, one of deficient\n"
    "   rank) the layers have width min(d, m), their product is the\n"
    "   map, and every imbalance D_j is zero",
)
def check_balanced_factorization(balanced_factorization):
    """``balanced_factorization(M, depth)`` must return ``[W_1, ..., W_L]``, width ``min(d, m)``."""
    for M, L in _target_maps(60):
        d, m = M.shape
        w = min(d, m)
        out = call(balanced_factorization, M.copy(), L)
        if not isinstance(out, (list, tuple)) or len(out) != L:
            raise Mistake(
                f"expected a list of {L} layers for depth {L}", hint="return [W_1, ..., W_L]"
            )
        shapes = [(d, m)] if L == 1 else [(w, m)] + [(w, w)] * (L - 2) + [(d, w)]
        Ws = [
            _shape(W, sh, f"layer {k} of a width-{w} network has shape {sh}", BALANCED)
            for k, (W, sh) in enumerate(zip(out, shapes), start=1)
        ]
        expect_close(
            partial_product(Ws, L, 1),
            M,
            rtol=1e-10,
            what=f"the product W_L ... W_1 is not the given map (depth {L})",
            contradicts="W_{L:1} = M (the end-to-end map of the factorization)",
            hint="with M = U diag(s) V^T, give every layer the factor diag(s)^(1/L)",
        )
        scale = np.linalg.norm(M) ** (2 / L)
        for j in range(1, L):
            Dj = imbalance(Ws, j)
            if np.linalg.norm(Dj) > 1e-9 * scale:
                raise Mistake(
                    f"the product is right but D_{j} = W_{j + 1}^T W_{j + 1} - "
                    f"W_{j} W_{j}^T is not zero (norm {np.linalg.norm(Dj):.2e}, "
                    f"depth {L})",
                    contradicts="balancedness (D_j = 0 for every j), which "
                    "Lemma D (Lemma 3.8) needs",
                    hint="split the singular values evenly: diag(s)^(1/L) in every "
                    "layer, not all of diag(s) in one",
                )
