"""Checks for the coding exercises of Lab 8 (beyond linear networks).

* :func:`check_relu_gradients`: backpropagation through a bias-free ReLU network
  (eq. ``eq-ch8-backprop``), against finite differences;
* :func:`check_first_layer_offsubspace`: the first layer's off-subspace part of a ReLU network
  after ``t`` steps (Proposition ``prop-ch8-frozen``), against real training runs;
* :func:`check_neuron_imbalance`: the per-neuron imbalance and its conservation law
  (Proposition ``prop-ch8-balance``).

The chapter's headline check, :func:`dlinv.relu_analysis.check_frozen_first_layer`, lives in
:mod:`dlinv.relu_analysis` (the lab and ``tests/test_headline_ch8.py`` call it).
"""

from __future__ import annotations

import numpy as np

from ._core import Mistake, call, check, expect_shape, rng_for

__all__ = ["check_first_layer_offsubspace", "check_neuron_imbalance", "check_relu_gradients"]

BACKPROP = "the backpropagation formulas (eq-ch8-backprop)"
FROZEN = "Lemma A for the first layer (prop-ch8-frozen)"
BALANCE = "the per-neuron balance law (prop-ch8-balance)"


def _random_net(rng, d, m, width, depth):
    shapes = [(width, m)] + [(width, width)] * (depth - 2) + [(d, width)]
    return [rng.standard_normal(sh) / np.sqrt(sh[1]) for sh in shapes]


def _forward(Ws, Y):
    H = Y
    for W in Ws[:-1]:
        H = np.maximum(W @ H, 0.0)
    return Ws[-1] @ H


def _fit(Ws, Y, X):
    R = _forward(Ws, Y) - X
    return 0.5 * float(np.sum(R * R)) / Y.shape[1]


def _reference_gradients(Ws, Y, X):
    acts = [Y]
    for W in Ws[:-1]:
        acts.append(np.maximum(W @ acts[-1], 0.0))
    omega = (Ws[-1] @ acts[-1] - X) / Y.shape[1]
    grads = [None] * len(Ws)
    for j in range(len(Ws) - 1, -1, -1):
        grads[j] = omega @ acts[j].T
        if j > 0:
            omega = (Ws[j].T @ omega) * (acts[j] > 0)
    return grads


@check(
    "Coding exercise 8.1: backpropagation through a ReLU network",
    verified="gradients of depths 1 to 3 match eq-ch8-backprop to 1e-8",
)
def check_relu_gradients(relu_gradients):
    rng = rng_for(81)
    for depth, (d, m, w, n) in ((2, (4, 3, 6, 7)), (3, (5, 4, 6, 9)), (1, (3, 4, 0, 5))):
        Ws = _random_net(rng, d, m, w, depth) if depth > 1 else [rng.standard_normal((d, m))]
        Y, X = rng.standard_normal((m, n)), rng.standard_normal((d, n))
        got = call(relu_gradients, [W.copy() for W in Ws], Y.copy(), X.copy())
        if len(got) != depth:
            raise Mistake(
                f"depth {depth}: you returned {len(got)} gradients, expected {depth}",
                hint="one gradient per layer, in the order W_1, ..., W_L",
            )
        want = _reference_gradients(Ws, Y, X)
        for j, (g, ref) in enumerate(zip(got, want), 1):
            g = expect_shape(g, ref.shape, f"the gradient of W_{j} has the shape of W_{j}")
            if np.allclose(g, ref, rtol=1e-8, atol=1e-12):
                continue
            # name the typical mistakes
            if np.allclose(g, n * ref, rtol=1e-8, atol=1e-12):
                raise Mistake(
                    f"depth {depth}, layer {j}: your gradient is N times too large",
                    contradicts=BACKPROP,
                    hint="the loss has the factor 1/(2N): Omega_L = (f(Y) - X) / N",
                )
            if np.allclose(g, -ref, rtol=1e-8, atol=1e-12):
                raise Mistake(
                    f"depth {depth}, layer {j}: your gradient has the wrong sign",
                    contradicts=BACKPROP,
                    hint="the residual is f(Y) - X, not X - f(Y)",
                )
            # finite differences on one entry, to say what the right value is
            E = np.zeros_like(Ws[j - 1])
            idx = np.unravel_index(int(np.argmax(np.abs(g - ref))), E.shape)
            E[idx] = 1e-6
            plus = [W + (E if i == j - 1 else 0) for i, W in enumerate(Ws)]
            minus = [W - (E if i == j - 1 else 0) for i, W in enumerate(Ws)]
            fd = (_fit(plus, Y, X) - _fit(minus, Y, X)) / 2e-6
            raise Mistake(
                f"depth {depth}, layer {j}, entry {tuple(int(i) for i in idx)}: "
                f"you return {g[idx]:.6g}, finite differences give {fd:.6g}",
                contradicts=BACKPROP,
                hint="G_l = Omega_l H_{l-1}^T with H_0 = Y; going down, "
                "Omega_{l-1} = (W_l^T Omega_l) * 1[Z_{l-1} > 0], the mask of "
                "layer l-1's pre-activations",
            )


@check(
    "Coding exercise 8.2: the first layer's off-subspace part",
    verified="W_1(t) P_perp of trained ReLU networks, to 1e-10",
)
def check_first_layer_offsubspace(first_layer_offsubspace):
    import dlinv
    from dlinv import relu

    rng = rng_for(82)
    prob = dlinv.random_problem(12, 8, 3, seed=int(rng.integers(1 << 30)))
    data = dlinv.make_training_data(prob, 20, seed=int(rng.integers(1 << 30)))
    for depth, lam, eta, t in ((2, 0.0, 0.05, 40), (3, 0.1, 0.05, 60), (2, 0.3, 0.1, 25)):
        run = relu.train_relu(
            prob, data, lam=lam, eta=eta, steps=t, depth=depth, width=10, seed=depth, record_every=t
        )
        W10 = np.array(run.initial_weights[0])
        truth = prob.project_perp(np.array(run.weights[0]))
        got = expect_shape(
            call(first_layer_offsubspace, W10.copy(), np.array(prob.U), eta, lam, t),
            truth.shape,
            "W_1(t) P_perp has the shape of W_1 (w x m)",
        )
        err = float(np.linalg.norm(got - truth)) / float(np.linalg.norm(truth))
        if err <= 1e-10:
            continue
        W10P = prob.project_perp(W10)
        for wrong, hint in (
            (
                (1 - eta * lam) ** (2 * t) * W10P,
                (
                    "the factor is (1 - eta lam)^t: weight decay multiplies W_1 "
                    "by (1 - eta lam) once per step"
                ),
            ),
            (
                (1 - eta * lam) ** t * (W10 - W10P),
                ("you projected onto AS (U U^T) instead of (AS)^perp (P_perp = I - U U^T)"),
            ),
            ((1 - eta) ** t * W10P, "the factor is (1 - eta lam), not (1 - eta)"),
        ):
            if np.allclose(got, wrong, rtol=1e-10, atol=1e-14):
                raise Mistake(
                    f"depth {depth}, lambda = {lam}, t = {t}: relative error {err:.1e}",
                    contradicts=FROZEN,
                    hint=hint,
                )
        raise Mistake(
            f"depth {depth}, lambda = {lam}, t = {t}: your W_1(t) P_perp differs from "
            f"the trained network's by {err:.1e} (relative)",
            contradicts=FROZEN,
            hint="the data gradient of W_1 is Omega_1 Y^T and Y^T P_perp = 0, so only "
            "weight decay acts: (1 - eta lam)^t W_1(0) P_perp",
        )


def _reference_imbalance(Ws):
    return [np.sum(Ws[j + 1] ** 2, axis=0) - np.sum(Ws[j] ** 2, axis=1) for j in range(len(Ws) - 1)]


@check(
    "Coding exercise 8.3: the per-neuron imbalance",
    verified="delta_l, and the one-step law of prop-ch8-balance",
)
def check_neuron_imbalance(neuron_imbalance):
    rng = rng_for(83)
    for depth, (d, m, w) in ((2, (5, 3, 4)), (3, (6, 4, 7)), (4, (3, 5, 6))):
        Ws = [3 * W for W in _random_net(rng, d, m, w, depth)]
        got = call(neuron_imbalance, [W.copy() for W in Ws])
        want = _reference_imbalance(Ws)
        if len(got) != depth - 1:
            raise Mistake(
                f"depth {depth}: you returned {len(got)} vectors, expected "
                f"{depth - 1} (one per hidden layer)",
                hint="hidden layers are l = 1, ..., L-1",
            )
        for j, (g, ref) in enumerate(zip(got, want), 1):
            g = expect_shape(g, ref.shape, "one entry per hidden neuron of layer l (width w)")
            if np.allclose(g, ref, rtol=1e-10, atol=1e-12):
                continue
            if np.allclose(g, -ref, rtol=1e-10, atol=1e-12):
                raise Mistake(
                    f"depth {depth}, layer {j}: your delta has the wrong sign",
                    contradicts=BALANCE,
                    hint="outgoing minus incoming: column j of W_{l+1} minus row j of W_l",
                )
            raise Mistake(
                f"depth {depth}, layer {j}: your delta_l differs from "
                f"diag(W_(l+1)^T W_(l+1)) - diag(W_l W_l^T)",
                contradicts=BALANCE,
                hint="neuron j's incoming weights are row j of W_l, its outgoing "
                "weights column j of W_{l+1}",
            )
    # the law itself, one exact GD step (data gradients from backprop)
    Ws = _random_net(rng, 5, 4, 6, 3)
    Y, X = rng.standard_normal((4, 11)), rng.standard_normal((5, 11))
    G = _reference_gradients(Ws, Y, X)
    eta, lam = 0.1, 0.3
    Wn = [(1 - eta * lam) * W - eta * g for W, g in zip(Ws, G)]
    before, after = call(neuron_imbalance, Ws), call(neuron_imbalance, Wn)
    for j in range(len(Ws) - 1):
        pred = (1 - eta * lam) ** 2 * np.asarray(before[j]) + eta**2 * (
            np.sum(G[j + 1] ** 2, axis=0) - np.sum(G[j] ** 2, axis=1)
        )
        if not np.allclose(after[j], pred, rtol=1e-10, atol=1e-12):
            raise Mistake(
                f"layer {j + 1}: after one gradient step your delta_l does not follow "
                "(1 - eta lam)^2 delta_l + eta^2 (diag G_(l+1)^T G_(l+1) - "
                "diag G_l G_l^T)",
                contradicts=BALANCE,
                hint="use the diagonals only (per neuron), not the whole matrices",
            )
