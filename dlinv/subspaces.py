"""Which subspaces a trained network encodes: principal angles, effective rank, and the
spectral predictions of Chapter 6 (Theorem ``thm-subspace-encoding``, Proposition
``prop-first-layer``, Lemma ``lem-ch6-last-layer``, Theorem ``thm-ch6-oracle-distance``).

Conventions: an orthonormal basis is a ``n x k`` array with ``Q^T Q = I_k``; singular values are
sorted in decreasing order; angles are in radians, sorted in increasing order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as V
from .network import check_weights
from .problem import InverseProblem, TrainingData
from .train import ALL_METRICS, History, TrainResult, train

#: tolerance for "the columns are orthonormal" in :func:`principal_angles`
ORTHONORMAL_TOL = 1e-8


# ---- principal angles (Definition def-ch6-principal-angles) ------------------------------------
def _orthonormal(Q, name: str) -> np.ndarray:
    Q = V.matrix(Q, name)
    k = Q.shape[1]
    if k == 0 or k > Q.shape[0]:
        raise ValueError(f"{name} must have between 1 and {Q.shape[0]} columns, got {k}")
    if np.linalg.norm(Q.T @ Q - np.eye(k), 2) > ORTHONORMAL_TOL:
        raise ValueError(
            f"{name} must have orthonormal columns ({name}^T {name} = I); "
            f"orthonormalize it first, e.g. numpy.linalg.qr({name})[0]"
        )
    return Q


def principal_angles(Q1, Q2) -> np.ndarray:
    """Principal angles ``0 <= theta_1 <= ... <= theta_k <= pi/2`` between ``range(Q1)`` and
    ``range(Q2)``, ``k = min(k1, k2)`` (Definition ``def-ch6-principal-angles``).

    ``cos theta_i`` are the singular values of ``Q1^T Q2`` (Bjorck and Golub 1973). Small angles
    are computed from their sines, the singular values of ``(I - Q2 Q2^T) Q1`` (if ``k1 <= k2``),
    which keeps full relative accuracy where ``arccos`` would lose it.
    """
    Q1, Q2 = _orthonormal(Q1, "Q1"), _orthonormal(Q2, "Q2")
    if Q1.shape[0] != Q2.shape[0]:
        raise ValueError(
            f"Q1 and Q2 must live in the same space, got {Q1.shape[0]} and {Q2.shape[0]} rows"
        )
    if Q1.shape[1] > Q2.shape[1]:
        Q1, Q2 = Q2, Q1
    cos = np.clip(np.linalg.svd(Q1.T @ Q2, compute_uv=False), 0.0, 1.0)  # decreasing
    sin = np.linalg.svd(Q1 - Q2 @ (Q2.T @ Q1), compute_uv=False)[::-1]  # increasing
    sin = np.clip(sin, 0.0, 1.0)
    return np.where(cos**2 >= 0.5, np.arcsin(sin), np.arccos(cos))


def sin_largest_angle(Q1, Q2) -> float:
    """``sin`` of the largest principal angle, ``||(I - Q2 Q2^T) Q1||_2`` for ``k1 <= k2``
    (Lemma ``lem-ch6-angles``)."""
    return float(np.sin(principal_angles(Q1, Q2)[-1]))


# ---- singular subspaces and effective rank ------------------------------------------------------
def top_singular_subspaces(M, k: int):
    """``(U_k, sigma, V_k)``: the top-``k`` left and right singular vectors of ``M`` (as columns)
    and all singular values of ``M`` (decreasing)."""
    M = V.matrix(M, "M")
    k = V.positive_int(k, "k")
    if k > min(M.shape):
        raise ValueError(f"k must be at most min(M.shape) = {min(M.shape)}, got {k}")
    U, sig, Vt = np.linalg.svd(M, full_matrices=False)
    return U[:, :k], sig, Vt[:k].T


def effective_rank(M, rel_tol: float = 1e-2) -> int:
    """Number of singular values of ``M`` larger than ``rel_tol * sigma_1(M)`` (``0`` for ``M = 0``).

    ``M`` may also be a 1-D array of singular values. This is the numerical rank at relative
    tolerance ``rel_tol``: the course's "number of significant singular values".
    """
    rel_tol = V.nonneg_float(rel_tol, "rel_tol")
    arr = np.asarray(M, dtype=float)
    if arr.ndim == 1:
        sig = np.sort(np.abs(arr))[::-1]
    else:
        sig = np.linalg.svd(V.matrix(M, "M"), compute_uv=False)
    if sig.size == 0 or sig[0] == 0:
        return 0
    return int(np.sum(sig > rel_tol * sig[0]))


def range_angle(W, problem: InverseProblem) -> float:
    """``sin`` of the largest principal angle between the top-``s`` left singular subspace of a
    ``d x m`` map ``W`` and the signal subspace ``S = range(R)``."""
    W = V.matrix(W, "W", shape=(problem.d, problem.m))
    U, _, _ = top_singular_subspaces(W, problem.s)
    return sin_largest_angle(U, problem.R)


def row_space_angle(W1, problem: InverseProblem) -> float:
    """``sin`` of the largest principal angle between the top-``s`` right singular subspace
    (row space) of a first layer ``W1`` (``w x m``) and the measured subspace ``A S = range(U)``."""
    W1 = V.matrix(W1, "W1", shape=(None, problem.m))
    _, _, Vk = top_singular_subspaces(W1, problem.s)
    return sin_largest_angle(Vk, problem.U)


# ---- closed forms of Chapter 6 -------------------------------------------------------------------
def first_layer_tail_band(E0_singular_values, s: int, eta: float, lam: float, t):
    """The interlacing band of Proposition ``prop-first-layer`` (eq. ``eq-ch6-tail-band``):
    for ``j > s``, ``c_t sigma_j(E0) <= sigma_j(W_1(t)) <= c_t sigma_{j-s}(E0)`` with
    ``c_t = (1 - eta lam)^t`` and ``E0 = W_1(0) P_perp``.

    Returns ``(lower, upper)``, arrays over ``j = s+1, ..., n`` where ``n`` is the number of given
    singular values of ``E0`` (decreasing; pad with zeros up to ``min(w, m)`` if needed).
    """
    sv = np.sort(np.asarray(E0_singular_values, dtype=float))[::-1]
    s = V.positive_int(s, "s")
    if sv.ndim != 1 or sv.size <= s:
        raise ValueError(f"need more than s = {s} singular values of E0, got {sv.size}")
    eta, lam = V.nonneg_float(eta, "eta"), V.nonneg_float(lam, "lam")
    t = V.positive_int(t, "t", minimum=0)
    c = (1.0 - eta * lam) ** t
    return c * sv[s:], c * sv[:-s]


def limit_distance_to_oracle(problem: InverseProblem, lam: float, depth: int) -> float:
    """``||W_lam - W*||_F = (sum_i (w_i - 1/sigma_i)^2)^{1/2}`` for the closed-form limit on the
    nonzero branch (eq. ``eq-regularized-limit``; Theorem ``thm-ch6-oracle-distance``)."""
    from .theory import spectral_limit

    sig = problem.singular_values
    w = spectral_limit(sig, lam, depth, branch="nonzero")
    return float(np.linalg.norm(w - 1.0 / sig))


def oracle_distance_bounds(problem: InverseProblem, lam: float, depth: int):
    """The two-sided bound of Theorem ``thm-ch6-oracle-distance`` (eq. ``eq-ch6-oracle-distance``)
    for ``depth >= 2``:

    ``lam * C_L <= ||W_lam - W*||_F <= lam * C_L * (1 - 2^q lam sigma_s^{-2/L})^{-q}``,
    ``C_L = (sum_i sigma_i^{-2-4/L})^{1/2}``, ``q = 1 - 2/L``, valid when
    ``lam <= 2^{-1-q} sigma_s^{2/L}``. Returns ``(lower, upper)``; ``upper`` is ``inf`` outside
    the range of validity.
    """
    lam = V.nonneg_float(lam, "lam")
    depth = V.positive_int(depth, "depth", minimum=2)
    sig = problem.singular_values
    q = 1.0 - 2.0 / depth
    C = float(np.sqrt(np.sum(sig ** (-2.0 - 4.0 / depth))))
    mu = lam * sig[-1] ** (-2.0 / depth)
    upper = lam * C * (1.0 - 2.0**q * mu) ** (-q) if mu <= 2.0 ** (-1.0 - q) else float("inf")
    return lam * C, float(upper)


# ---- diagnostics of a network ---------------------------------------------------------------------
def encoding_diagnostics(
    weights, problem: InverseProblem, data: TrainingData | None = None, limit=None
) -> dict:
    """What a network encodes (Chapter 6), as a dict:

    - ``sv_e2e``, ``sv_first``: singular values of ``W_{L:1}`` and of ``W_1`` (decreasing);
    - ``sin_range``: sine of the largest angle between the top-``s`` left singular subspace of
      ``W_{L:1}`` and ``S``; ``sin_rows``: the same between the top-``s`` right singular subspace of
      ``W_1`` and ``A S``;
    - ``range_perp``: ``||(I - R R^T) W_{L:1}||_2``; ``first_perp``: ``||W_1 P_perp||_2``
      (the numerators of Lemma ``lem-ch6-angles``); ``last_perp``: ``||(I - R R^T) W_L||_F``
      (Lemma ``lem-ch6-last-layer``);
    - ``suffix_norm``: ``||W_{L:2}||_2``;
    - ``imbalance``: ``max_j ||W_{j+1}^T W_{j+1} - W_j W_j^T||_F``;
    - with ``data``: ``curvature``, the largest eigenvalue of ``W_{L-1:1} Syy W_{L-1:1}^T`` (the
      hypothesis of Lemma ``lem-ch6-last-layer`` is ``eta * curvature <= 2 (1 - eta lam)``);
    - with ``limit`` (a ``d x m`` map): ``limit_distance``, ``||W_{L:1} - limit||_F``.
    """
    Ws = check_weights(weights, d=problem.d, m=problem.m)
    L = len(Ws)
    prefix = [Ws[0]]
    for W in Ws[1:]:
        prefix.append(W @ prefix[-1])
    E = prefix[-1]
    s = problem.s
    Ue, sv_e, _ = top_singular_subspaces(E, s)
    _, sv_1, V1 = top_singular_subspaces(Ws[0], s)
    Q_E = E - problem.R @ (problem.R.T @ E)
    Q_WL = Ws[-1] - problem.R @ (problem.R.T @ Ws[-1])
    suffix = np.eye(problem.d) if L == 1 else Ws[-1]
    for W in reversed(Ws[1:-1]):
        suffix = suffix @ W
    out = {
        "sv_e2e": sv_e,
        "sv_first": sv_1,
        "sin_range": sin_largest_angle(Ue, problem.R),
        "sin_rows": sin_largest_angle(V1, problem.U),
        "range_perp": float(np.linalg.norm(Q_E, 2)),
        "first_perp": float(np.linalg.norm(problem.project_perp(Ws[0]), 2)),
        "last_perp": float(np.linalg.norm(Q_WL)),
        "suffix_norm": float(np.linalg.norm(suffix, 2)) if L > 1 else 1.0,
        "imbalance": max(
            (
                float(np.linalg.norm(Ws[j + 1].T @ Ws[j + 1] - Ws[j] @ Ws[j].T))
                for j in range(L - 1)
            ),
            default=0.0,
        ),
    }
    if data is not None:
        P = np.eye(problem.m) if L == 1 else prefix[-2]  # W_{L-1:1}
        out["curvature"] = float(np.linalg.eigvalsh(P @ data.Syy @ P.T)[-1])
    if limit is not None:
        limit = V.matrix(limit, "limit", shape=(problem.d, problem.m))
        out["limit_distance"] = float(np.linalg.norm(E - limit))
    return out


@dataclass(frozen=True)
class Trajectory(History):
    """Outcome of :func:`track`.

    ``step``: the checkpoint steps; ``values[name]``: :func:`encoding_diagnostics` at the
    checkpoints (spectra as 2-D arrays, one row per checkpoint); ``history``: the metrics of
    :func:`dlinv.train` over the whole run (merged over the chunks); ``result``: the last chunk's
    :class:`dlinv.train.TrainResult` (its ``weights`` are the final weights);
    ``initial_weights``: the weights at step 0.
    """

    history: History
    result: TrainResult
    initial_weights: tuple


def track(
    problem: InverseProblem,
    data: TrainingData,
    *,
    lam: float,
    eta: float,
    steps: int,
    checkpoint_every: int,
    depth: int | None = None,
    width: int | None = None,
    init="fan_in",
    seed=None,
    limit=None,
    record_every: int = 10,
    metrics=("oracle_distance", "off_subspace", "off_subspace_first", "on_subspace"),
) -> Trajectory:
    """Train with :func:`dlinv.train` in chunks of ``checkpoint_every`` steps, each chunk started
    from the previous chunk's final weights (so the iterates are exactly those of one run), and
    evaluate :func:`encoding_diagnostics` at every checkpoint (steps ``0, k, 2k, ..., steps``).

    ``eta`` must be a number (``"auto"`` would be re-evaluated at every chunk). ``record_every``
    and ``metrics`` are passed to :func:`dlinv.train`; the histories are merged.
    """
    if isinstance(eta, str):
        raise ValueError(
            "track needs a numeric eta (eta='auto' would change from chunk to chunk); "  # noqa: TRY004
            "compute it once with dlinv.suggest_step_size"
        )
    steps = V.positive_int(steps, "steps")
    every = V.positive_int(checkpoint_every, "checkpoint_every")
    record_every = V.positive_int(record_every, "record_every")
    if every % record_every:
        raise ValueError(
            f"checkpoint_every ({every}) must be a multiple of record_every ({record_every})"
        )
    metrics = tuple(metrics)
    bad = set(metrics) - set(ALL_METRICS)
    if bad:
        raise ValueError(f"unknown metrics {sorted(bad)}; choose from {ALL_METRICS}")

    done, weights, result = 0, init, None
    ck_steps, ck_vals = [], {}
    h_steps, h_vals = [], {k: [] for k in metrics}
    W0 = None
    while True:
        n = min(every, steps - done)
        result = train(
            problem,
            data,
            lam=lam,
            eta=eta,
            steps=n,
            depth=depth,
            width=width,
            init=weights,
            seed=seed,
            record_every=record_every,
            metrics=metrics,
        )
        if W0 is None:
            W0 = result.initial_weights
            _append(ck_steps, ck_vals, 0, encoding_diagnostics(W0, problem, data, limit))
        keep = slice(None) if done == 0 else slice(1, None)  # chunk boundaries appear twice
        h_steps.extend((result.history.step[keep] + done).tolist())
        for k in metrics:
            h_vals[k].extend(np.asarray(result.history[k])[keep].tolist())
        done += n
        weights = result.weights
        _append(ck_steps, ck_vals, done, encoding_diagnostics(weights, problem, data, limit))
        if done >= steps:
            break
    values = {k: np.array(v) for k, v in ck_vals.items()}
    hist = History(step=np.asarray(h_steps), values={k: np.asarray(v) for k, v in h_vals.items()})
    return Trajectory(
        step=np.asarray(ck_steps), values=values, history=hist, result=result, initial_weights=W0
    )


def _append(steps: list, vals: dict, t: int, diag: dict) -> None:
    steps.append(t)
    for k, v in diag.items():
        vals.setdefault(k, []).append(v)


# ---- the checks of Lab 6 (also fed wrong inputs by tests/test_headline_ch6.py) -------------------
def encoding_defects(weights, problem: InverseProblem) -> tuple[float, float]:
    """``(||W_1 P_perp||_F, max_l ||W_{l+1}^T W_{l+1} - W_l W_l^T||_F)``: the two quantities that
    vanish at every stationary point with ``lam > 0`` (Theorem ``thm-subspace-encoding``, parts 1
    and 4). The reference solution of Coding exercise 6.3."""
    Ws = check_weights(weights, m=problem.m)
    imb = max(
        (
            float(np.linalg.norm(Ws[j + 1].T @ Ws[j + 1] - Ws[j] @ Ws[j].T))
            for j in range(len(Ws) - 1)
        ),
        default=0.0,
    )
    return float(np.linalg.norm(problem.project_perp(Ws[0]))), imb


def check_first_layer_spectrum(
    sv_first, w_lim, depth: int, *, rtol: float = 1e-2, rank_tol: float = 1e-2
) -> float:
    """The headline check of Lab 6: the trained first layer has at most ``s`` significant singular
    values (effective rank at ``rank_tol``), and its top ``k`` (``k`` = number of nonzero ``w_i``)
    equal the closed-form ``w_i^{1/L}`` (Theorem ``thm-subspace-encoding``, part 4, at the
    point of Proposition ``prop-ch6-limit-stationary``) to relative ``rtol``.

    Raises ``AssertionError`` naming what fails; returns the largest relative deviation.
    """
    sv = np.sort(np.asarray(sv_first, dtype=float))[::-1]
    w = np.sort(np.asarray(w_lim, dtype=float))[::-1]
    depth = V.positive_int(depth, "depth")
    s = w.size
    k = int(np.sum(w > 0))
    er = effective_rank(sv, rank_tol)
    if er > s:
        raise AssertionError(
            f"the first layer has {er} significant singular values, more than "
            f"s = {s} (thm-subspace-encoding: rank at most s)"
        )
    pred = w[:k] ** (1.0 / depth)
    dev = float(np.max(np.abs(sv[:k] - pred) / pred)) if k else 0.0
    if not dev <= rtol:
        raise AssertionError(
            f"top singular values of W_1 differ from w_i^(1/L) by {dev:.2%} (tolerance {rtol:.0%})"
        )
    if k < s and np.any(sv[k:s] > rank_tol * sv[0]):
        raise AssertionError(
            f"w has {s - k} zero entries but W_1 has more than {k} significant singular values"
        )
    return dev


def check_tail_band(sv, lower, upper, s: int, *, tol: float = 1e-9) -> None:
    """Assert the interlacing band of Proposition ``prop-first-layer`` (eq. ``eq-ch6-tail-band``):
    ``lower[k] <= sv[s + k] <= upper[k]`` (``lower``, ``upper`` from :func:`first_layer_tail_band`,
    ``sv`` the decreasing singular values of ``W_1(t)``)."""
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    tail = np.asarray(sv, dtype=float)[s : s + lower.size]
    if np.any(tail < lower * (1 - tol)):
        raise AssertionError("a tail singular value lies below (1-eta lam)^t sigma_j(M_0)")
    if np.any(tail > upper * (1 + tol)):
        raise AssertionError("a tail singular value lies above (1-eta lam)^t sigma_(j-s)(M_0)")
