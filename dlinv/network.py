"""Deep linear networks ``f(y) = W_L ... W_1 y``: weights, initialization, loss, gradients
(Chapter 3).

Weights are a tuple ``(W_1, ..., W_L)`` of read-only float64 arrays, first layer first:
``W_1`` is ``w x m``, ``W_2 ... W_{L-1}`` are ``w x w``, ``W_L`` is ``d x w`` (``W_1`` is ``d x m``
when ``L = 1``). Index ``l`` of the tuple holds layer ``l + 1``.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from .problem import TrainingData

Weights = tuple  # tuple[np.ndarray, ...]

INIT_SCHEMES = ("fan_in", "orthogonal", "balanced")


def layer_shapes(d: int, m: int, width: int, depth: int) -> list[tuple[int, int]]:
    """Shapes ``(out, in)`` of ``W_1, ..., W_L``."""
    d, m = V.positive_int(d, "d"), V.positive_int(m, "m")
    depth = V.positive_int(depth, "depth")
    if depth == 1:
        return [(d, m)]
    width = V.positive_int(width, "width")
    return [(width, m)] + [(width, width)] * (depth - 2) + [(d, width)]


def check_weights(weights, d: int | None = None, m: int | None = None) -> Weights:
    """Validate explicit weights and return them as a tuple of read-only float64 arrays.

    The shapes must chain (``W_{l+1}`` has as many columns as ``W_l`` has rows); ``d`` and ``m``
    fix the output and input sizes if given.
    """
    if (
        isinstance(weights, np.ndarray)
        or not isinstance(weights, (list, tuple))
        or len(weights) == 0
    ):
        raise ValueError(
            "weights must be a non-empty list or tuple of 2-D arrays "
            "(W_1, ..., W_L), first layer first"
        )
    out = [V.matrix(W, f"weights[{i}] (W_{i + 1})") for i, W in enumerate(weights)]
    for i in range(1, len(out)):
        if out[i].shape[1] != out[i - 1].shape[0]:
            raise ValueError(
                f"weights do not chain: W_{i + 1} has shape {out[i].shape} but W_{i} has "
                f"{out[i - 1].shape[0]} rows; W_{i + 1} needs {out[i - 1].shape[0]} columns"
            )
    if m is not None and out[0].shape[1] != m:
        raise ValueError(
            f"W_1 must have m = {m} columns (one per measurement), got shape {out[0].shape}"
        )
    if d is not None and out[-1].shape[0] != d:
        raise ValueError(
            f"W_L must have d = {d} rows (one per signal entry), got shape {out[-1].shape}"
        )
    return tuple(V.readonly(W) for W in out)


def init_weights(
    d: int,
    m: int,
    *,
    width: int | None = None,
    depth: int,
    seed,
    scheme: str = "fan_in",
    scale: float = 1.0,
) -> Weights:
    """Random initial weights (book Section ``sec-init``).

    Schemes
    -------
    ``"fan_in"`` (default)
        i.i.d. ``N(0, scale^2 / fan_in)`` entries: each layer preserves squared norms in
        expectation up to ``out / in`` (Lemma ``lem-init-offsubspace``).
    ``"orthogonal"``
        Haar (semi-)orthogonal matrices with all singular values ``scale * sqrt(max(1, out/in))``,
        the same expected gain as ``"fan_in"`` without its spread of singular values.
    ``"balanced"``
        A factorization with ``W_{l+1}^T W_{l+1} = W_l W_l^T`` exactly (zero imbalance) of a random
        end-to-end matrix with i.i.d. ``N(0, scale^2 / m)`` entries (truncated to rank ``width``
        if the width is smaller than ``min(d, m)``); see :func:`balanced_factorization`.
    """
    shapes = layer_shapes(d, m, width, depth)
    scale = V.nonneg_float(scale, "scale", positive=True)
    g = V.rng(seed)
    if scheme == "fan_in":
        Ws = [g.standard_normal(shape) * (scale / np.sqrt(shape[1])) for shape in shapes]
    elif scheme == "orthogonal":
        Ws = [
            _haar_semi_orthogonal(g, o, i) * (scale * np.sqrt(max(1.0, o / i))) for o, i in shapes
        ]
    elif scheme == "balanced":
        target = g.standard_normal((d, m)) * (scale / np.sqrt(m))
        return balanced_factorization(
            target, depth=depth, width=width if depth > 1 else None, seed=g
        )
    else:
        raise ValueError(f"scheme must be one of {INIT_SCHEMES}, got {scheme!r}")
    return tuple(V.readonly(W) for W in Ws)


def _haar_semi_orthogonal(g: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A Haar-distributed matrix with orthonormal columns (rows >= cols) or rows."""
    big, small = max(rows, cols), min(rows, cols)
    Q, T = np.linalg.qr(g.standard_normal((big, small)))
    Q = Q * np.sign(np.diag(T))
    return Q if rows >= cols else Q.T


def balanced_factorization(W, *, depth: int, width: int | None = None, seed=None) -> Weights:
    """Balanced factors of ``W`` (Lemma ``lem-schatten``): ``W_L ... W_1 = W`` and
    ``W_{l+1}^T W_{l+1} = W_l W_l^T`` for every ``l``.

    With ``W = U Sigma V^T`` (rank ``r``), ``W_1 = Q_1 Sigma^{1/L} V^T``,
    ``W_l = Q_l Sigma^{1/L} Q_{l-1}^T`` and ``W_L = U Sigma^{1/L} Q_{L-1}^T`` with ``Q_l`` the first
    ``r`` columns of random orthogonal ``width x width`` matrices (identity-like if ``seed`` is
    ``None``). Needs ``width >= rank W``; if ``width`` is smaller, ``W`` is first truncated to its
    best rank-``width`` approximation. These factors attain the minimum
    ``(1/2) sum ||W_l||_F^2 = (L/2) sum sigma_i^{2/L}`` (eq. ``eq-schatten-cost``).
    """
    W = V.matrix(W, "W")
    depth = V.positive_int(depth, "depth")
    if depth == 1:
        return (V.readonly(W),)
    width = V.positive_int(width, "width")
    U, sig, Vt = np.linalg.svd(W, full_matrices=False)
    r = min(int(np.sum(sig > sig[0] * 1e-14)) if sig.size and sig[0] > 0 else 0, width)
    U, sig, Vt = U[:, :r], sig[:r], Vt[:r]
    root = sig ** (1.0 / depth)
    if seed is None:
        Qs = [np.eye(width)[:, :r] for _ in range(depth - 1)]
    else:
        g = V.rng(seed)
        Qs = [_haar_semi_orthogonal(g, width, width)[:, :r] for _ in range(depth - 1)]
    Ws = [Qs[0] @ (root[:, None] * Vt)]
    for l in range(1, depth - 1):
        Ws.append((Qs[l] * root) @ Qs[l - 1].T)
    Ws.append((U * root) @ Qs[-1].T)
    return tuple(V.readonly(M) for M in Ws)


# ---- forward map, loss and gradients (reference implementation; train.py has the fast loop) ----
def end_to_end(weights) -> np.ndarray:
    """The end-to-end map ``W_{L:1} = W_L ... W_1`` (``d x m``), eq. ``eq-end-to-end``."""
    weights = weights if _is_checked(weights) else check_weights(weights)
    E = weights[0]
    for W in weights[1:]:
        E = W @ E
    return E


def partial_product(weights, j: int, i: int) -> np.ndarray:
    """``W_{j:i} = W_j ... W_i`` for ``1 <= i <= j <= L`` (1-indexed, as in the book).

    The empty product (``j = i - 1``) is the identity of size ``cols(W_i)``.
    """
    weights = weights if _is_checked(weights) else check_weights(weights)
    L = len(weights)
    if not (1 <= i <= L + 1 and i - 1 <= j <= L):
        raise ValueError(f"need 1 <= i <= j + 1 <= L + 1 with L = {L}, got j={j}, i={i}")
    if j == i - 1:
        n = weights[i - 1].shape[1] if i <= L else weights[-1].shape[0]
        return np.eye(n)
    P = weights[i - 1]
    for W in weights[i:j]:
        P = W @ P
    return P


def weight_norm_sq(weights) -> float:
    """``sum_l ||W_l||_F^2``."""
    return float(sum(np.vdot(W, W) for W in weights))


def loss(weights, data: TrainingData, lam: float) -> float:
    """The training objective, eq. ``eq-objective``:
    ``(1/2N) ||W_{L:1} Y - X||_F^2 + (lam/2) sum_l ||W_l||_F^2``."""
    lam = V.nonneg_float(lam, "lam")
    weights = check_weights(weights, d=data.X.shape[0], m=data.Y.shape[0])
    return data.fit(end_to_end(weights)) + 0.5 * lam * weight_norm_sq(weights)


def gradients(weights, data: TrainingData, lam: float) -> list[np.ndarray]:
    """Analytic gradients, eq. ``eq-gradient``:
    ``dL/dW_l = W_{L:l+1}^T G W_{l-1:1}^T + lam W_l`` with ``G = W_{L:1} Syy - Sxy``."""
    lam = V.nonneg_float(lam, "lam")
    weights = check_weights(weights, d=data.X.shape[0], m=data.Y.shape[0])
    L = len(weights)
    prefix = [None] * L  # prefix[l] = W_{l+1:1} (0-indexed layer l included)
    P = weights[0]
    prefix[0] = P
    for l in range(1, L):
        P = weights[l] @ P
        prefix[l] = P
    B = P @ data.Syy - data.Sxy  # G, the gradient w.r.t. the end-to-end map
    grads = [None] * L
    for l in range(L - 1, -1, -1):
        grads[l] = (B @ prefix[l - 1].T if l > 0 else B.copy()) + lam * weights[l]
        if l > 0:
            B = weights[l].T @ B
    return grads


def imbalances(weights) -> list[float]:
    """``||W_{j+1}^T W_{j+1} - W_j W_j^T||_F`` for ``j = 1, ..., L-1``, eq. ``eq-imbalance``."""
    weights = weights if _is_checked(weights) else check_weights(weights)
    return [
        float(np.linalg.norm(weights[j + 1].T @ weights[j + 1] - weights[j] @ weights[j].T))
        for j in range(len(weights) - 1)
    ]


def _is_checked(weights) -> bool:
    """True for a tuple of read-only 2-D float64 arrays whose shapes chain (as check_weights
    returns)."""
    return (
        isinstance(weights, tuple)
        and len(weights) > 0
        and all(
            isinstance(W, np.ndarray)
            and W.dtype == np.float64
            and W.ndim == 2
            and not W.flags.writeable
            for W in weights
        )
        and all(weights[i].shape[1] == weights[i - 1].shape[0] for i in range(1, len(weights)))
    )
