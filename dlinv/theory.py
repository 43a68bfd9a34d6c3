"""Every closed form the book states, one function per formula.

Each docstring names the equation label it implements (``{eq}`label``` in the book) and the
chapter where it is derived. Nothing here trains a network; the notebooks and tests compare
these predictions with training.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from .problem import InverseProblem, TrainingData


# ---- Chapter 1: baselines ---------------------------------------------------------------------
def pinv_noise_amplification(problem: InverseProblem) -> float:
    """``E||A^+ e||^2 / sigma^2 = tr (A A^T)^{-1}`` for ``e ~ N(0, sigma^2 I_m)``
    (Chapter 1, eq. ``eq-pinv-noise``)."""
    return float(np.sum(np.linalg.svd(problem.A, compute_uv=False) ** -2.0))


def pinv_noise_amplification_gaussian(d: int, m: int) -> float:
    """``E tr (A A^T)^{-1} = m^2 / (d - m - 1)`` for ``A`` with i.i.d. ``N(0, 1/m)`` entries
    (inverse-Wishart mean; Chapter 1, eq. ``eq-pinv-noise-gaussian``). Needs ``d > m + 1``."""
    d, m = V.positive_int(d, "d"), V.positive_int(m, "m")
    if d <= m + 1:
        raise ValueError(f"the inverse-Wishart mean needs d > m + 1, got d={d}, m={m}")
    return m * m / (d - m - 1)


def oracle_noise_amplification(problem: InverseProblem) -> float:
    """``E||W* e||^2 / sigma^2 = ||(A R)^+||_F^2 = sum_i sigma_i(AR)^{-2}``
    (Chapter 1, eq. ``eq-oracle-noise``)."""
    return float(np.sum(problem.singular_values**-2.0))


def pinv_signal_error(problem: InverseProblem) -> float:
    """``E||x - A^+ A x||^2 = ||(I - A^+ A) R||_F^2`` for ``x = R z``, ``z ~ N(0, I_s)``: the part
    of the signal in ``ker A`` (Chapter 1, eq. ``eq-minnorm-error``)."""
    K = problem.R - problem.pinv @ (problem.A @ problem.R)
    return float(np.sum(K * K))


def pinv_signal_error_gaussian(d: int, m: int, s: int) -> float:
    """``E||P_ker(A) x||^2 = s (d - m) / d`` over Gaussian ``A`` and ``x = R z``, ``z ~ N(0, I_s)``:
    ``ker A`` is a uniformly random ``(d - m)``-dimensional subspace (eq.
    ``eq-minnorm-error-gaussian``)."""
    d, m, s = V.positive_int(d, "d"), V.positive_int(m, "m"), V.positive_int(s, "s")
    if m >= d:
        raise ValueError(f"needs m < d, got m={m}, d={d}")
    return s * (d - m) / d


# ---- Chapter 2: one linear layer ----------------------------------------------------------------
def ridge_solution(data: TrainingData, lam: float) -> np.ndarray:
    """Minimizer of ``(1/2N)||W Y - X||_F^2 + (lam/2)||W||_F^2``: ``Sxy (Syy + lam I)^{-1}``
    (Chapter 2, eq. ``eq-ridge``). For ``lam = 0`` the minimum-norm least-squares map
    ``X Y^+ = Sxy Syy^+`` (eq. ``eq-minnorm-interpolant``)."""
    lam = V.nonneg_float(lam, "lam")
    if lam == 0:
        return data.Sxy @ np.linalg.pinv(data.Syy, rcond=1e-10, hermitian=True)
    M = data.Syy + lam * np.eye(data.Syy.shape[0])
    return np.linalg.solve(M, data.Sxy.T).T  # M is symmetric


def max_stable_step_single_layer(data: TrainingData, lam: float) -> float:
    """GD on one layer converges iff ``eta < 2 / (lambda_max(Syy) + lam)`` (Chapter 2, eq.
    ``eq-step-limit``)."""
    lam = V.nonneg_float(lam, "lam")
    return 2.0 / (float(np.linalg.eigvalsh(data.Syy)[-1]) + lam)


def single_layer_contraction(data: TrainingData, lam: float, eta: float) -> float:
    """Per-step contraction factor of GD on one layer, ``max_i |1 - eta (mu_i + lam)|`` over the
    eigenvalues ``mu_i`` of ``Syy`` (including the zero ones on ``(AS)^perp``; eq.
    ``eq-single-rate``)."""
    lam, eta = V.nonneg_float(lam, "lam"), V.nonneg_float(eta, "eta", positive=True)
    mu = np.linalg.eigvalsh(data.Syy)
    return float(np.max(np.abs(1.0 - eta * (np.concatenate([mu, [0.0]]) + lam))))


# ---- Chapter 3: deep linear networks -------------------------------------------------------------
def expected_initial_offsubspace_sq(d: int, m: int, s: int) -> float:
    """``E||W_{L:1}(0) P_perp||_F^2 = (d/m)(m - s)`` at fan-in initialization, for every width and
    depth (Chapter 3, Lemma ``lem-init-offsubspace``, eq. ``eq-init-offsubspace``)."""
    d, m, s = V.positive_int(d, "d"), V.positive_int(m, "m"), V.positive_int(s, "s")
    return d / m * (m - s)


def expected_first_layer_offsubspace_sq(width: int, m: int, s: int) -> float:
    """``E||W_1(0) P_perp||_F^2 = (w/m)(m - s)`` at fan-in initialization (eq.
    ``eq-init-offsubspace``)."""
    return expected_initial_offsubspace_sq(width, m, s)


def frozen_factor(eta: float, lam: float, t) -> np.ndarray:
    """``W_1(t) P_perp = (1 - eta lam)^t W_1(0) P_perp`` exactly (Lemma ``lem-frozen``,
    eq. ``eq-frozen``); returns the factor ``(1 - eta lam)^t``."""
    eta, lam = V.nonneg_float(eta, "eta"), V.nonneg_float(lam, "lam")
    return (1.0 - eta * lam) ** np.asarray(t, dtype=float)


def imbalance_factor(eta: float, lam: float, t) -> np.ndarray:
    """Leading factor ``(1 - eta lam)^{2t}`` of the imbalance recursion
    ``D_j(t+1) = (1 - eta lam)^2 D_j(t) + eta^2 (...)`` (Lemma ``lem-imbalance``, eq.
    ``eq-imbalance-recursion``)."""
    return frozen_factor(eta, lam, t) ** 2


# ---- Chapter 4: the geometry of weight decay ---------------------------------------------------
def schatten_cost(W, depth: int) -> float:
    """The representation cost
    ``min_{W_L...W_1 = W} (1/2) sum ||W_l||_F^2 = (L/2) sum_i sigma_i(W)^{2/L}``
    (Chapter 4, Lemma ``lem-schatten``, eq. ``eq-schatten-cost``)."""
    W = V.matrix(W, "W")
    depth = V.positive_int(depth, "depth")
    sig = np.linalg.svd(W, compute_uv=False)
    # singular values at rounding level are zero (as in numpy.linalg.matrix_rank): for L >= 3,
    # sigma^{2/L} would turn a 1e-15 rounding error into a 1e-10 cost
    tol = sig[0] * max(W.shape) * np.finfo(float).eps if sig.size else 0.0
    sig = np.where(sig > tol, sig, 0.0)
    return 0.5 * depth * float(np.sum(sig ** (2.0 / depth)))


def collapse_threshold(depth: int) -> float:
    """``c_L``: a nonzero stationary point of the scalar problem (eq. ``eq-scalar-problem``) exists
    iff ``lam <= c_L sigma^{2/L}``, with ``c_L = q^q / (1+q)^{1+q}``, ``q = 1 - 2/L``
    (Chapter 4, eq. ``eq-collapse-threshold``). ``c_1 = inf`` (ridge never collapses),
    ``c_2 = 1``."""
    depth = V.positive_int(depth, "depth")
    if depth == 1:
        return float("inf")
    q = 1.0 - 2.0 / depth
    return float(q**q / (1.0 + q) ** (1.0 + q))  # 0**0 == 1 gives c_2 = 1


def global_collapse_threshold(depth: int) -> float:
    """``c*_L``: the global minimizer of the scalar problem is nonzero iff
    ``lam < c*_L sigma^{2/L}``, with ``c*_L = (1/(L-1)) ((L-2)/(L-1))^{(L-2)/L}``
    (Chapter 4, eq. ``eq-global-collapse``).
    At the threshold the nonzero minimizer is ``sigma w = (L-2)/(L-1)``. ``c*_2 = c_2 = 1``;
    ``c*_L < c_L`` for ``L >= 3``."""
    depth = V.positive_int(depth, "depth")
    if depth == 1:
        return float("inf")
    r = (depth - 2) / (depth - 1)
    return float(r ** ((depth - 2) / depth) / (depth - 1))


def scalar_objective(w, sigma: float, lam: float, depth: int):
    """``f(w) = (1/2)(sigma w - 1)^2 + (lam L / 2) w^{2/L}`` for ``w >= 0`` (eq.
    ``eq-scalar-problem``)."""
    w = np.asarray(w, dtype=float)
    if np.any(w < 0):
        raise ValueError("w must be >= 0 (the singular values of a map)")
    return 0.5 * (sigma * w - 1.0) ** 2 + 0.5 * lam * depth * w ** (2.0 / depth)


def spectral_limit(sigma, lam: float, depth: int, branch: str = "global") -> np.ndarray:
    """Minimizers ``w_i`` of the scalar problems ``min_{w >= 0} f(w)`` (eq. ``eq-spectral-limit``).

    ``L = 1``: ``sigma / (sigma^2 + lam)`` (ridge). ``L = 2``: ``max(0, (sigma - lam) / sigma^2)``
    (soft threshold). ``L >= 3``: with ``mu = lam sigma^{-2/L}`` and ``u = sigma w``, the nonzero
    stationary points solve ``u + mu u^{-q} = 1`` (``q = 1 - 2/L``); the larger root is a local
    minimizer and exists iff ``mu <= c_L``. It is found by bisection on ``[u_0, 1]`` where
    ``u_0 = (mu q)^{1/(1+q)}`` minimizes the left side.

    ``branch="global"`` returns the global minimizer (0 once ``mu > c*_L``); ``branch="nonzero"``
    returns the larger nonzero stationary point while it exists (``mu <= c_L``): a local minimizer
    for ``mu < c_L`` (what gradient descent started away from zero tracks), a degenerate
    stationary point (inflection) at ``mu = c_L``.

    Returns a float for a scalar ``sigma``, an array for an array.
    """
    sig = np.asarray(sigma, dtype=float)
    if sig.ndim > 1 or np.any(~np.isfinite(sig)) or np.any(sig <= 0):
        raise ValueError("sigma must be a positive finite number or 1-D array of them")
    lam = V.nonneg_float(lam, "lam")
    depth = V.positive_int(depth, "depth")
    if branch not in ("global", "nonzero"):
        raise ValueError(f"branch must be 'global' or 'nonzero', got {branch!r}")
    w = _spectral_limit(sig, lam, depth, branch)
    return float(w) if np.ndim(sigma) == 0 else w


def _spectral_limit(sig, lam, depth, branch):
    if lam == 0:
        return 1.0 / sig
    if depth == 1:
        return sig / (sig**2 + lam)
    if depth == 2:
        return np.maximum(0.0, (sig - lam) / sig**2)
    q = 1.0 - 2.0 / depth
    mu = lam * sig ** (-2.0 / depth)
    u0 = (mu * q) ** (1.0 / (1.0 + q))
    exists = u0 + mu * u0 ** (-q) <= 1.0
    lo, hi = np.where(exists, u0, 0.0), np.ones_like(sig)
    for _ in range(200):  # bisection: h(u) = u + mu u^{-q} - 1 is increasing on [u0, 1]
        mid = 0.5 * (lo + hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            above = mid + mu * mid ** (-q) - 1.0 > 0
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    u = np.where(exists, 0.5 * (lo + hi), 0.0)
    if branch == "global":
        f_u = 0.5 * (u - 1.0) ** 2 + 0.5 * mu * depth * u ** (2.0 / depth)
        u = np.where(f_u < 0.5, u, 0.0)  # f(0) = 1/2
    return u / sig


def spectral_limit_expansion(sigma, lam: float, depth: int) -> np.ndarray:
    """First-order small-``lam`` expansion ``w_i = 1/sigma_i - lam sigma_i^{-1-2/L} + O(lam^2)``
    (Chapter 4, eq. ``eq-small-lambda``)."""
    sig = np.asarray(sigma, dtype=float)
    lam = V.nonneg_float(lam, "lam")
    depth = V.positive_int(depth, "depth")
    return 1.0 / sig - lam * sig ** (-1.0 - 2.0 / depth)


def regularized_limit(
    problem: InverseProblem, lam: float, depth: int, branch: str = "global"
) -> np.ndarray:
    """The end-to-end map ``W_lam = R V diag(w) U^T`` with ``A R = U diag(sigma) V^T`` and ``w``
    from :func:`spectral_limit` (Chapter 4, eq. ``eq-regularized-limit``; exact for whitened
    codes)."""
    w = spectral_limit(problem.singular_values, lam, depth, branch)
    return problem.R @ (problem.V * w) @ problem.U.T


def on_subspace_bias(
    problem: InverseProblem, lam: float, depth: int, branch: str = "global"
) -> float:
    """``||W_lam A R - R||_F = (sum_i (sigma_i w_i - 1)^2)^{1/2}`` (eq. ``eq-limit-bias``);
    to first order ``lam (sum_i sigma_i^{-4/L})^{1/2}``."""
    sig = problem.singular_values
    return float(np.linalg.norm(sig * spectral_limit(sig, lam, depth, branch) - 1.0))


# ---- Chapter 5: convergence ----------------------------------------------------------------------
def phase3_bound(eta: float, lam: float, t, B: float, first_layer_offsubspace: float) -> np.ndarray:
    """``||W_{L:1}(t) P_perp||_F <= B (1 - eta lam)^t ||W_1(0) P_perp||_F`` with
    ``B >= sup_t ||W_{L:2}(t)||_2`` (Chapter 5, Theorem ``thm-phase3``, eq. ``eq-phase3-bound``)."""
    first = V.nonneg_float(first_layer_offsubspace, "first_layer_offsubspace")
    return V.nonneg_float(B, "B") * first * frozen_factor(eta, lam, t)


def phase3_time(
    eta: float, lam: float, eps: float, B: float, first_layer_offsubspace: float
) -> float:
    """Steps after which the bound of :func:`phase3_bound` is below ``eps``:
    ``(1/(eta lam)) log(B ||W_1(0) P_perp||_F / eps)`` (uses ``-log(1 - x) >= x``; eq.
    ``eq-phase3-time``)."""
    eta = V.nonneg_float(eta, "eta", positive=True)
    lam = V.nonneg_float(lam, "lam", positive=True)
    eps = V.nonneg_float(eps, "eps", positive=True)
    first = V.nonneg_float(first_layer_offsubspace, "first_layer_offsubspace")
    ratio = V.nonneg_float(B, "B") * first / eps
    return float(max(0.0, np.log(ratio)) / (eta * lam)) if ratio > 0 else 0.0
