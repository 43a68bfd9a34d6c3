"""What the linear theory says about the ReLU network of :mod:`dlinv.relu` (Chapter 8).

- :func:`train_relu_checkpoints`: ReLU training with the weights kept at chosen steps (gradient
  descent is deterministic, so training in segments is the same as one run);
- :func:`relu_jvp`, :func:`relu_jacobian_columns` and :func:`linearized_decomposition`: the Jacobian
  ``J(y)`` of the network and the error decomposition of its linearization (Remark ``rem-ch8-linearized``);
- :func:`subspace_sensitivity` and :func:`sensitivity_bound`: the response to noise in
  ``(A S)^perp`` (Definition ``def-ch8-sensitivity``) and its Lemma-A bound (eq. ``eq-ch8-sensitivity``);
- :func:`neuron_imbalance`: the per-neuron imbalance of Proposition ``prop-ch8-balance``;
- :func:`linear_map_as_relu`, :func:`relu_cost` and :func:`relu_cost_bounds`: linear maps as ReLU
  networks and what they cost (Propositions ``prop-ch8-linear-maps`` and ``prop-ch8-cost-bounds``).

Test signals are drawn exactly as in :func:`dlinv.relu.relu_test_error` and
:func:`dlinv.metrics.noise_sweep` (``x = R z`` with ``z ~ N(0, I_s)``, then one standard Gaussian
noise draw ``e`` per signal, from one generator), so with the same ``seed`` all of them see the same
test signals and the same noise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from . import _validate as V
from .network import check_weights, weight_norm_sq
from .problem import InverseProblem, TrainingData, sample_latent
from .relu import RELU_METRICS, initial_relu_weights, relu_forward, train_relu
from .train import History


# ---- training with checkpoints ----------------------------------------------------------------
@dataclass(frozen=True)
class ReluCheckpoints:
    """Weights of one ReLU training run at the steps ``steps`` (``weights[k]`` at ``steps[k]``),
    the initial weights and the metrics recorded along the whole run."""

    steps: np.ndarray
    weights: tuple
    initial_weights: tuple
    history: History
    eta: float
    lam: float

    @property
    def final(self) -> tuple:
        return self.weights[-1]


def train_relu_checkpoints(
    problem: InverseProblem,
    data: TrainingData,
    *,
    checkpoints,
    lam: float,
    eta: float,
    depth: int | None = None,
    width: int | None = None,
    init="he",
    seed=None,
    record_every: int = 10,
    metrics=RELU_METRICS,
) -> ReluCheckpoints:
    """Train with :func:`dlinv.relu.train_relu` and keep the weights at every step in ``checkpoints``
    (increasing non-negative ints; step 0 is always kept). The run is cut into segments that each
    restart from the previous weights; full-batch gradient descent has no other state, so the
    result equals one uninterrupted run. The histories are merged (step numbers made global, the
    duplicate record at each segment boundary dropped)."""
    cps = np.asarray(checkpoints)
    if (
        cps.ndim != 1
        or cps.size == 0
        or not np.issubdtype(cps.dtype, np.integer)
        or np.any(cps < 0)
        or np.any(np.diff(cps) <= 0)
    ):
        raise ValueError(
            "checkpoints must be a non-empty, strictly increasing 1-D sequence of ints >= 0"
        )
    W0 = initial_relu_weights(problem, init, depth=depth, width=width, seed=seed)
    cps = [int(c) for c in cps]
    if cps[0] != 0:
        cps = [0] + cps
    kept, W = [W0], W0
    rec_steps, rec = [], {k: [] for k in metrics}
    for a, b in itertools.pairwise(cps):
        r = train_relu(
            problem,
            data,
            lam=lam,
            eta=eta,
            steps=b - a,
            init=W,
            record_every=record_every,
            metrics=metrics,
        )
        h = r.history
        first = 0 if not rec_steps else 1  # the segment's step 0 repeats the previous segment's end
        rec_steps.extend((h.step[first:] + a).tolist())
        for k in metrics:
            rec[k].extend(h[k][first:].tolist())
        W = r.weights
        kept.append(W)
    if len(cps) == 1:  # only step 0: record the metrics there
        r = train_relu(
            problem, data, lam=lam, eta=eta, steps=0, init=W0, record_every=0, metrics=metrics
        )
        rec_steps = r.history.step.tolist()
        rec = {k: r.history[k].tolist() for k in metrics}
    hist = History(step=np.asarray(rec_steps), values={k: np.asarray(v) for k, v in rec.items()})
    return ReluCheckpoints(
        steps=np.asarray(cps),
        weights=tuple(kept),
        initial_weights=W0,
        history=hist,
        eta=float(eta),
        lam=float(lam),
    )


# ---- Jacobian and linearized error --------------------------------------------------------------
def relu_jvp(weights, Y, V_dir) -> tuple[np.ndarray, np.ndarray]:
    """``(f(Y), [J(y_1) v_1, ..., J(y_n) v_n])``: the network at the columns ``y_i`` of ``Y`` and its
    Jacobian ``J(y) = W_L D_{L-1}(y) W_{L-1} ... D_1(y) W_1`` applied to the matching column ``v_i`` of
    ``V`` (same shape as ``Y``), by forward mode. ``D_l(y) = diag(1[W_l h_{l-1}(y) > 0])`` uses the
    convention ``relu'(0) = 0`` of :func:`dlinv.relu.relu_gradients`."""
    weights = check_weights(weights)
    m = weights[0].shape[1]
    Y = V.matrix(Y, "Y", shape=(m, None))
    T = V.matrix(V_dir, "V", shape=(m, Y.shape[1]))
    H = Y
    for W in weights[:-1]:
        Zl = W @ H
        mask = Zl > 0
        H = np.where(mask, Zl, 0.0)
        T = np.where(mask, W @ T, 0.0)
    return weights[-1] @ H, weights[-1] @ T


def relu_jacobian_columns(weights, Y, D) -> np.ndarray:
    """``J(y_i) D`` for every column ``y_i`` of ``Y`` (``m x n``) and a fixed ``m x k`` matrix ``D``:
    an array of shape ``(d, n, k)`` (forward mode, all ``k`` directions at once)."""
    weights = check_weights(weights)
    m = weights[0].shape[1]
    Y = V.matrix(Y, "Y", shape=(m, None))
    D = V.matrix(D, "D", shape=(m, None))
    n, k = Y.shape[1], D.shape[1]
    H = Y
    T = None
    for W in weights[:-1]:
        Zl = W @ H
        mask = Zl > 0
        H = np.where(mask, Zl, 0.0)
        # first layer: W_1 D is the same at every point; later layers act on the (w, n*k) stack
        T = (
            np.broadcast_to((W @ D)[:, None, :], (W.shape[0], n, k))
            if T is None
            else (W @ T.reshape(W.shape[1], n * k)).reshape(W.shape[0], n, k)
        )
        T = np.where(mask[:, :, None], T, 0.0)
    W = weights[-1]
    if T is None:  # depth 1: the Jacobian is W_1 everywhere
        return np.broadcast_to((W @ D)[:, None, :], (W.shape[0], n, k)).copy()
    return (W @ T.reshape(W.shape[1], n * k)).reshape(W.shape[0], n, k)


def _test_set(problem: InverseProblem, n: int, seed):
    g = V.rng(seed)
    X = problem.R @ sample_latent(problem.s, V.positive_int(n, "n"), seed=g)
    E = g.standard_normal((problem.m, X.shape[1]))
    return X, E


def _perp_basis(problem: InverseProblem) -> np.ndarray:
    """Orthonormal basis (``m x (m - s)``) of ``(A S)^perp``: eigenvectors of ``P_perp`` for eigenvalue 1."""
    _, vecs = np.linalg.eigh(problem.P_perp)
    return vecs[:, problem.s :]


_JAC_BLOCK = 250  # test points per block in linearized_decomposition


def linearized_decomposition(weights, problem: InverseProblem, *, n: int, seed) -> dict:
    """The error decomposition of the network's linearization at the test points (Remark
    ``rem-ch8-linearized``), averaged over ``n`` test signals ``x_i`` (drawn as in
    :func:`dlinv.relu.relu_test_error`):

    - ``bias``: ``mean_i ||f(A x_i) - x_i||^2`` (clean error);
    - ``on_noise``: ``mean_i ||J(A x_i) P_AS||_F^2``, ``off_noise``: ``mean_i ||J(A x_i) P_perp||_F^2``
      (per unit noise variance);
    - ``signal``: ``mean_i ||x_i||^2``.

    The linearized mean squared error at noise level ``sigma`` is
    ``bias + sigma^2 (on_noise + off_noise)``; for a linear map (depth 1) it is
    eq. ``eq-error-decomposition`` with the sample bias in place of the expected one."""
    weights = check_weights(weights, d=problem.d, m=problem.m)
    X, _ = _test_set(problem, n, seed)
    Y = problem.A @ X
    F = relu_forward(weights, Y)
    Q = _perp_basis(problem)
    on = off = 0.0
    for a in range(0, Y.shape[1], _JAC_BLOCK):  # blocks of test points keep the memory small
        Yb = Y[:, a : a + _JAC_BLOCK]
        on += float(np.sum(relu_jacobian_columns(weights, Yb, problem.U) ** 2))
        off += float(np.sum(relu_jacobian_columns(weights, Yb, Q) ** 2))
    nx = X.shape[1]
    return {
        "bias": float(np.sum((F - X) ** 2)) / nx,
        "on_noise": on / nx,
        "off_noise": off / nx,
        "signal": float(np.sum(X**2)) / nx,
    }


def linearized_relative_error(
    weights, problem: InverseProblem, noise_levels, *, n: int, seed
) -> np.ndarray:
    """``((bias + sigma^2 (on_noise + off_noise)) / signal)^{1/2}`` from :func:`linearized_decomposition`
    at each noise level: the first-order prediction of :func:`dlinv.relu.relu_test_error`."""
    levels = np.asarray(noise_levels, dtype=float)
    if levels.ndim != 1 or np.any(~np.isfinite(levels)) or np.any(levels < 0):
        raise ValueError("noise_levels must be a 1-D sequence of finite numbers >= 0")
    dec = linearized_decomposition(weights, problem, n=n, seed=seed)
    return np.sqrt((dec["bias"] + levels**2 * (dec["on_noise"] + dec["off_noise"])) / dec["signal"])


# ---- sensitivity to noise off (or on) the measured subspace -----------------------------------------
def _projector(problem: InverseProblem, part: str) -> np.ndarray:
    if part == "perp":
        return problem.P_perp
    if part == "signal":
        return problem.P_signal
    raise ValueError(
        f"part must be 'perp' (noise in (AS)^perp) or 'signal' (noise in AS), got {part!r}"
    )


def subspace_sensitivity(
    weights, problem: InverseProblem, noise: float, *, n: int, seed, part: str = "perp"
) -> float:
    """Definition ``def-ch8-sensitivity``: ``(mean_i ||f(A x_i + noise P e_i) - f(A x_i)||^2)^{1/2} / noise``
    over ``n`` test signals, with ``P = P_perp`` (``part="perp"``) or ``P = P_AS`` (``part="signal"``).
    For a linear map ``W`` its expectation (squared) is ``||W P||_F^2`` at every noise level."""
    weights = check_weights(weights, d=problem.d, m=problem.m)
    noise = V.nonneg_float(noise, "noise", positive=True)
    X, E = _test_set(problem, n, seed)
    Y = problem.A @ X
    D = relu_forward(weights, Y + noise * (_projector(problem, part) @ E)) - relu_forward(
        weights, Y
    )
    return float(np.sqrt(np.sum(D**2) / X.shape[1])) / noise


def suffix_lipschitz(weights) -> float:
    """``prod_{l=2}^L ||W_l||_2``: a Lipschitz constant of ``h -> W_L relu(... relu(h))`` acting on the
    first-layer pre-activation (``relu`` is 1-Lipschitz entrywise). ``1`` for depth 1."""
    weights = check_weights(weights)
    return float(np.prod([np.linalg.norm(W, 2) for W in weights[1:]])) if len(weights) > 1 else 1.0


def sensitivity_bound(
    weights, problem: InverseProblem, *, n: int, seed, part: str = "perp"
) -> float:
    """The bound of eq. ``eq-ch8-sensitivity`` on the same test draws as :func:`subspace_sensitivity`:
    ``suffix_lipschitz(weights) * (mean_i ||W_1 P e_i||^2)^{1/2}``. It bounds
    :func:`subspace_sensitivity` at every noise level, deterministically."""
    weights = check_weights(weights, d=problem.d, m=problem.m)
    X, E = _test_set(problem, n, seed)
    first = weights[0] @ (_projector(problem, part) @ E)
    return suffix_lipschitz(weights) * float(np.sqrt(np.sum(first**2) / X.shape[1]))


# ---- balance per neuron -----------------------------------------------------------------------------
def neuron_imbalance(weights) -> list[np.ndarray]:
    """``delta_l = diag(W_{l+1}^T W_{l+1}) - diag(W_l W_l^T)`` for ``l = 1, ..., L-1``: for each hidden
    neuron of layer ``l``, squared norm of its outgoing weights minus that of its incoming weights
    (Proposition ``prop-ch8-balance``; the diagonal of ``D_l`` of Lemma ``lem-imbalance``)."""
    weights = check_weights(weights)
    return [
        np.sum(weights[l + 1] ** 2, axis=0) - np.sum(weights[l] ** 2, axis=1)
        for l in range(len(weights) - 1)
    ]


# ---- linear maps as ReLU networks and their cost -------------------------------------------------------
def relu_cost(weights) -> float:
    """``(1/2) sum_l ||W_l||_F^2``: the weight-decay cost of a network."""
    return 0.5 * weight_norm_sq(check_weights(weights))


def linear_map_as_relu(M, depth: int, *, rtol: float = 1e-12) -> tuple:
    """ReLU weights of depth ``L = depth`` and width ``2 r`` (``r = rank M``) that compute ``y -> M y``
    on all of ``R^m`` (Proposition ``prop-ch8-linear-maps``, eq. ``eq-ch8-pm``). With the thin SVD
    ``M = U_r S V_r^T`` and ``C = S^{1/L}``: ``W_1 = [C V_r^T; -C V_r^T]``, ``W_l = diag(C, C)`` for
    ``1 < l < L``, ``W_L = [U_r C, -U_r C]``. Uses ``relu(u) - relu(-u) = u``; the cost is
    ``L sum_i sigma_i(M)^{2/L}``. Singular values below ``rtol * sigma_1`` count as zero."""
    M = V.matrix(M, "M")
    depth = V.positive_int(depth, "depth")
    if depth == 1:
        return check_weights([M])
    Um, sig, Vt = np.linalg.svd(M, full_matrices=False)
    r = int(np.sum(sig > rtol * sig[0])) if sig.size and sig[0] > 0 else 0
    if r == 0:
        raise ValueError("M is zero: it is the network with all weights zero")
    C = sig[:r] ** (1.0 / depth)
    B = C[:, None] * Vt[:r]
    Ws = [np.vstack([B, -B])]
    Ws += [np.diag(np.concatenate([C, C])) for _ in range(depth - 2)]
    Ws.append(np.hstack([Um[:, :r] * C, -Um[:, :r] * C]))
    return check_weights(Ws)


def relu_cost_bounds(M, depth: int) -> tuple[float, float]:
    """``(lower, upper)`` bounds on the smallest cost ``(1/2) sum ||W_l||_F^2`` of a depth-``L`` ReLU
    network (any width) equal to ``M`` on ``range(M^T)`` (Proposition ``prop-ch8-cost-bounds``):
    ``lower = (L/2) sum_i sigma_i^{2/L}`` (the linear cost of Lemma ``lem-schatten``), raised to
    ``2 ||M||_*`` for ``L = 2``; ``upper = L sum_i sigma_i^{2/L}`` (:func:`linear_map_as_relu`).
    ``L = 1``: both ``||M||_F^2 / 2``. For ``L = 2`` the bounds coincide."""
    M = V.matrix(M, "M")
    depth = V.positive_int(depth, "depth")
    sig = np.linalg.svd(M, compute_uv=False)
    sig = sig[sig > 1e-12 * sig[0]] if sig.size and sig[0] > 0 else sig[:0]
    if depth == 1:
        c = 0.5 * float(np.sum(sig**2))
        return c, c
    upper = depth * float(np.sum(sig ** (2.0 / depth)))
    lower = (
        2.0 * float(np.sum(sig))
        if depth == 2
        else 0.5 * depth * float(np.sum(sig ** (2.0 / depth)))
    )
    return lower, upper


# ---- the headline check of Lab 8 (also fed wrong inputs by tests/test_headline_ch8.py) --------------
def check_frozen_first_layer(
    W1_initial,
    W1_final,
    problem: InverseProblem,
    *,
    eta: float,
    lam: float,
    steps: int,
    tol: float = 1e-10,
) -> float:
    """Assert Lemma A for the first layer of a ReLU network (Proposition ``prop-ch8-frozen``):
    ``W_1(T) P_perp = (1 - eta lam)^T W_1(0) P_perp`` to relative ``tol`` (``T = steps``).

    Raises ``AssertionError`` with the relative deviation; returns it.
    """
    W0 = np.asarray(W1_initial, dtype=float)
    WT = np.asarray(W1_final, dtype=float)
    pred = (1.0 - eta * lam) ** steps * problem.project_perp(W0)
    dev = float(np.linalg.norm(problem.project_perp(WT) - pred) / np.linalg.norm(pred))
    if not dev <= tol:
        raise AssertionError(
            f"W_1(T) P_perp deviates from (1 - eta lam)^T W_1(0) P_perp by "
            f"{dev:.1e} (relative; tolerance {tol:.0e}): prop-ch8-frozen"
        )
    return dev
