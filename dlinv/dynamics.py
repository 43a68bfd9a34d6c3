"""End-to-end dynamics of balanced deep linear networks (Chapter 3, Lemma ``lem-e2e``).

Under gradient flow on the objective ``eq-objective`` with balanced layers
(``W_{j+1}^T W_{j+1} = W_j W_j^T`` for all ``j``), the end-to-end map ``W_e = W_{L:1}`` obeys
(eq. ``eq-e2e-dynamics``)::

    dW_e/dt = -lam L W_e - P_{W_e}(grad l(W_e)),
    P_{W_e}(M) = sum_{j=1}^L (W_e W_e^T)^{(L-j)/L} M (W_e^T W_e)^{(j-1)/L},

with ``grad l(W_e) = W_e Syy - Sxy``. In the singular bases of ``W_e`` the preconditioner
``P_{W_e}`` is diagonal: ``u_r v_{r'}^T`` is an eigenvector with eigenvalue
``mu_{r r'} = sum_j s_r^{2(L-j)/L} s_{r'}^{2(j-1)/L}`` (``s_r = 0`` beyond the rank; ``0^0 = 1``).

This module evaluates that right-hand side (:func:`e2e_velocity`), one explicit Euler step of it
(:func:`e2e_step`, the Lemma D prediction for one GD step of a balanced network) and a whole
Euler trajectory (:func:`e2e_trajectory`). :func:`network_e2e_velocity` is the first-order change
of ``W_{L:1}`` for *arbitrary* weights, which equals :func:`e2e_velocity` when they are balanced.

Fractional powers are taken through the SVD of ``W_e`` (never of the Gram matrices, whose
rounding-level eigenvalues a small power would inflate); singular values below
``rtol * s_max`` count as zero.

It also holds the checks of Chapter 3's headline claims that the lab and the tests share:
:func:`gradient_factors` (``prop-ch3-gradient-rank``: every data gradient is an ``n x s`` times an
``s x n'`` product for noiseless data), :func:`numerical_rank`, :func:`assert_gradient_rank` and
:func:`assert_lemma_a` (``lem-frozen``: ``W_1(t) P_perp = (1 - eta lam)^t W_1(0) P_perp``).
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from .network import check_weights, gradients
from .problem import InverseProblem, TrainingData


def _rtol(W: np.ndarray, rtol) -> float:
    if rtol is None:
        return max(W.shape) * np.finfo(np.float64).eps
    return V.nonneg_float(rtol, "rtol")


def _svd(W: np.ndarray, rtol, full: bool):
    U, s, Vt = np.linalg.svd(W, full_matrices=full)
    if s.size:
        s = np.where(s > _rtol(W, rtol) * s[0], s, 0.0)
    return U, s, Vt


def gram_power(W, p: float, *, side: str = "left", rtol=None) -> np.ndarray:
    """``(W W^T)^p`` (``side="left"``) or ``(W^T W)^p`` (``side="right"``) for ``p >= 0``.

    The power of a positive semidefinite matrix is taken on its eigenvalues (the unique PSD
    ``1/p``-th root for ``p = 1/k``), with the convention ``M^0 = I`` (also on the kernel).
    Computed from the SVD ``W = U diag(s) V^T``: ``(W W^T)^p = U diag(s^{2p}) U^T`` for ``p > 0``.
    """
    W = V.matrix(W, "W")
    p = V.nonneg_float(p, "p")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' (W W^T) or 'right' (W^T W), got {side!r}")
    n = W.shape[0] if side == "left" else W.shape[1]
    if p == 0:
        return np.eye(n)
    U, s, Vt = _svd(W, rtol, full=False)
    B = U if side == "left" else Vt.T
    return (B * s ** (2 * p)) @ B.T


def preconditioner_eigenvalues(W_e, depth: int, *, rtol=None):
    """The spectral decomposition of the Lemma D preconditioner ``P_{W_e}`` (eq. ``eq-e2e-dynamics``).

    Returns ``(U, mu, Vt)`` with ``U`` (``d x d``) and ``Vt`` (``m x m``) orthogonal (full SVD of
    ``W_e``) and ``mu`` (``d x m``) such that ``P_{W_e}(u_r v_{r'}^T) = mu[r, r'] u_r v_{r'}^T``::

        mu[r, r'] = sum_{j=1}^L s_r^{2(L-j)/L} s_{r'}^{2(j-1)/L},

    where ``s_r`` is the ``r``-th singular value of ``W_e`` (zero for ``r > rank``) and ``0^0 = 1``.
    For ``L = 1`` every ``mu`` is 1 (the preconditioner is the identity).
    """
    W_e = V.matrix(W_e, "W_e")
    depth = V.positive_int(depth, "depth")
    U, s, Vt = _svd(W_e, rtol, full=True)
    d, m = W_e.shape
    a = np.zeros(d)
    b = np.zeros(m)
    a[: s.size] = s ** (2.0 / depth)
    b[: s.size] = s ** (2.0 / depth)
    mu = np.zeros((d, m))
    for j in range(1, depth + 1):  # numpy: 0.0 ** 0 == 1.0, the convention M^0 = I
        mu += np.outer(a ** (depth - j), b ** (j - 1))
    return U, mu, Vt


def apply_preconditioner(W_e, M, depth: int, *, rtol=None) -> np.ndarray:
    """``P_{W_e}(M) = sum_{j=1}^L (W_e W_e^T)^{(L-j)/L} M (W_e^T W_e)^{(j-1)/L}`` (``d x m``)."""
    W_e = V.matrix(W_e, "W_e")
    M = V.matrix(M, "M", shape=W_e.shape)
    U, mu, Vt = preconditioner_eigenvalues(W_e, depth, rtol=rtol)
    return U @ (mu * (U.T @ M @ Vt.T)) @ Vt


def preconditioner_matrix(W_e, depth: int, *, rtol=None) -> np.ndarray:
    """The ``dm x dm`` matrix of ``P_{W_e}`` acting on ``vec(M)`` (columns stacked, ``order="F"``):
    ``sum_j (W_e^T W_e)^{(j-1)/L} kron (W_e W_e^T)^{(L-j)/L}`` (from ``vec(ABC) = (C^T kron A) vec(B)``).
    Dense; meant for small examples and tests."""
    W_e = V.matrix(W_e, "W_e")
    depth = V.positive_int(depth, "depth")
    d, m = W_e.shape
    out = np.zeros((d * m, d * m))
    for j in range(1, depth + 1):
        out += np.kron(
            gram_power(W_e, (j - 1) / depth, side="right", rtol=rtol),
            gram_power(W_e, (depth - j) / depth, side="left", rtol=rtol),
        )
    return out


def _check_map(W_e, data: TrainingData) -> np.ndarray:
    if not isinstance(data, TrainingData):
        raise ValueError(f"data must be a TrainingData, got {type(data).__name__}")  # noqa: TRY004
    return V.matrix(W_e, "W_e", shape=(data.X.shape[0], data.Y.shape[0]))


def e2e_velocity(W_e, data: TrainingData, lam: float, depth: int, *, rtol=None) -> np.ndarray:
    """Right-hand side of eq. ``eq-e2e-dynamics`` (Lemma ``lem-e2e``):
    ``-lam L W_e - P_{W_e}(W_e Syy - Sxy)``."""
    W_e = _check_map(W_e, data)
    lam = V.nonneg_float(lam, "lam")
    depth = V.positive_int(depth, "depth")
    G = W_e @ data.Syy - data.Sxy
    return -lam * depth * W_e - apply_preconditioner(W_e, G, depth, rtol=rtol)


def e2e_step(
    W_e, data: TrainingData, lam: float, eta: float, depth: int, *, rtol=None
) -> np.ndarray:
    """One explicit Euler step of eq. ``eq-e2e-dynamics`` with step ``eta``:
    ``(1 - eta lam L) W_e - eta P_{W_e}(W_e Syy - Sxy)``. For a balanced network it agrees with
    the end-to-end map after one GD step up to ``O(eta^2)``."""
    eta = V.nonneg_float(eta, "eta", positive=True)
    W_e = _check_map(W_e, data)
    return W_e + eta * e2e_velocity(W_e, data, lam, depth, rtol=rtol)


def e2e_trajectory(
    W_e0,
    data: TrainingData,
    *,
    lam: float,
    eta: float,
    depth: int,
    steps: int,
    record_every: int = 1,
    rtol=None,
):
    """Iterate :func:`e2e_step` ``steps`` times from ``W_e0``.

    Returns ``(t, maps)``: the recorded step numbers (every ``record_every`` steps, always
    including 0 and ``steps``) and the list of ``d x m`` end-to-end maps at those steps.
    The Euler step ``eta`` matches the GD step size, so ``maps[k]`` predicts ``W_{L:1}(t[k])``.
    """
    W = _check_map(W_e0, data).copy()
    lam = V.nonneg_float(lam, "lam")
    eta = V.nonneg_float(eta, "eta", positive=True)
    depth = V.positive_int(depth, "depth")
    steps = V.positive_int(steps, "steps", minimum=0)
    record_every = V.positive_int(record_every, "record_every")
    ts, maps = [0], [W.copy()]
    for t in range(1, steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            W = W + eta * e2e_velocity(W, data, lam, depth, rtol=rtol)
        if not np.all(np.isfinite(W)):
            raise FloatingPointError(
                f"the end-to-end Euler iteration diverged at step {t} with "
                f"eta={eta:.4g}; use a smaller step size"
            )
        if t % record_every == 0 or t == steps:
            ts.append(t)
            maps.append(W.copy())
    return np.asarray(ts), maps


def network_e2e_velocity(weights, data: TrainingData, lam: float) -> np.ndarray:
    """First-order change of ``W_{L:1}`` under gradient flow, for any weights (balanced or not):
    ``sum_j W_{L:j+1} (dW_j/dt) W_{j-1:1}`` with ``dW_j/dt = -(W_{L:j+1}^T G W_{j-1:1}^T + lam W_j)``,
    i.e. ``-lam L W_{L:1} - sum_j W_{L:j+1} W_{L:j+1}^T G W_{j-1:1}^T W_{j-1:1}``."""
    if not isinstance(data, TrainingData):
        raise ValueError(f"data must be a TrainingData, got {type(data).__name__}")  # noqa: TRY004
    lam = V.nonneg_float(lam, "lam")
    Ws = check_weights(weights, d=data.X.shape[0], m=data.Y.shape[0])
    L = len(Ws)
    prefix = [np.eye(Ws[0].shape[1])]  # prefix[j-1] = W_{j-1:1}
    for W in Ws:
        prefix.append(W @ prefix[-1])
    E = prefix[-1]
    G = E @ data.Syy - data.Sxy
    suffix = [np.eye(Ws[-1].shape[0])]  # built backwards: W_{L:j+1} for j = L, L-1, ..., 1
    for W in reversed(Ws[1:]):
        suffix.append(suffix[-1] @ W)
    suffix = suffix[::-1]  # suffix[j-1] = W_{L:j+1}
    out = -lam * L * E
    for j in range(1, L + 1):
        S, Pp = suffix[j - 1], prefix[j - 1]
        out -= S @ (S.T @ G @ Pp.T) @ Pp
    return out


# --- Chapter 3: the rank of the gradient and Lemma A ----------------------------------------------

#: relative tolerance of :func:`numerical_rank`: singular values below ``RANK_RTOL * s_max`` count
#: as zero. Noiseless data give rounding-level values (about 1e-16 relative); noise of level 1e-3
#: or more gives values far above it.
RANK_RTOL = 1e-10


def numerical_rank(M, rtol: float = RANK_RTOL) -> int:
    """The number of singular values of ``M`` above ``rtol`` times the largest (0 for ``M = 0``)."""
    M = V.matrix(M, "M")
    rtol = V.nonneg_float(rtol, "rtol")
    sv = np.linalg.svd(M, compute_uv=False)
    if sv.size == 0 or sv[0] == 0:
        return 0
    return int(np.sum(sv > rtol * sv[0]))


def latent_moment(problem: InverseProblem, data: TrainingData) -> np.ndarray:
    """``C = Z Z^T / N`` (``s x s``) for noiseless data ``X = R Z`` (``Z = R^T X``, as ``R^T R = I``)."""
    Zl = problem.R.T @ data.X
    return Zl @ Zl.T / data.n


def gradient_factors(weights, problem: InverseProblem, data: TrainingData):
    """The rank-``s`` factors of the data gradients (``prop-ch3-gradient-rank``, eq. ``eq-ch3-rank-factors``).

    Returns ``(B, F)``, lists over the layers ``l = 1..L`` with ``B[l-1] = W_{L:l+1}^T K C``
    (``o_l x s``) and ``F[l-1] = W_{l-1:1} A R`` (``i_l x s``), ``K = W_{L:1} A R - R``, so that the data
    gradient of layer ``l`` is ``B[l-1] @ F[l-1].T`` when the data are noiseless (``X = R Z``,
    ``Y = A X``). Cost ``O(s sum_l o_l i_l)``: ``AR`` is propagated forward and ``K C`` backward.
    """
    Ws = check_weights(weights, d=problem.d, m=problem.m)
    F = [problem.AR]
    for W in Ws[:-1]:
        F.append(W @ F[-1])
    K = Ws[-1] @ F[-1] - problem.R
    B = [K @ latent_moment(problem, data)]
    for W in reversed(Ws[1:]):
        B.append(W.T @ B[-1])
    return B[::-1], F


def assert_gradient_rank(weights, data: TrainingData, s: int, rtol: float = RANK_RTOL) -> list[int]:
    """Assert that every data gradient ``G_l`` has numerical rank at most ``s``; return the ranks.

    The check of ``prop-ch3-gradient-rank``: it passes for noiseless training data and fails
    (``AssertionError``) for noisy ones, whose gradients have rank larger than ``s``.
    """
    ranks = [numerical_rank(G, rtol) for G in gradients(weights, data, 0.0)]
    if max(ranks) > s:
        raise AssertionError(
            f"a data gradient has numerical rank {max(ranks)} > s = {s} "
            f"(ranks {ranks}, tolerance {rtol:.0e} relative)"
        )
    return ranks


def lemma_a_deviation(W1_0, W1_t, P_perp, factor: float) -> float:
    """Relative deviation ``||W_1(t) P - factor W_1(0) P||_F / ||factor W_1(0) P||_F``, ``P = P_perp``."""
    pred = factor * (np.asarray(W1_0) @ P_perp)
    return float(np.linalg.norm(np.asarray(W1_t) @ P_perp - pred) / np.linalg.norm(pred))


def assert_lemma_a(W1_0, W1_t, P_perp, factor: float, rtol: float = 1e-10) -> float:
    """Assert Lemma A, ``W_1(t) P_perp = factor W_1(0) P_perp`` with ``factor = (1 - eta lam)^t``,
    to relative tolerance ``rtol``; return the deviation. A wrong factor (another exponent) fails."""
    dev = lemma_a_deviation(W1_0, W1_t, P_perp, factor)
    if not dev < rtol:
        raise AssertionError(f"Lemma A fails: relative deviation {dev:.2e} (tolerance {rtol:.0e})")
    return dev
