"""Gradient descent on one linear layer, in closed form (Chapter 2).

For depth ``L = 1`` the GD update with weight decay (eq. ``eq-gd-single``)

    W(t+1) = W(t) - eta (W(t) Syy - Sxy) - eta lam W(t)

is affine in ``W``, so the whole trajectory is explicit (eq. ``eq-ch2-gd-solution``):

    W(t) = F + (W(0) - F) (I - eta (Syy + lam I))^t,

where ``F`` is a fixed point: the ridge map ``Sxy (Syy + lam I)^{-1}`` for ``lam > 0`` (eq. ``eq-ridge``)
and ``X Y^+ = Sxy Syy^+`` for ``lam = 0`` (eq. ``eq-minnorm-interpolant``). The functions below
evaluate it in the eigenbasis of ``Syy``. Eigenvalues below ``RANK_TOL * lambda_max(Syy)`` are
treated as exact zeros (they belong to ``(AS)^perp``), so the factor there is exactly
``(1 - eta lam)^t`` (Lemma ``lem-frozen-single``).

Nothing here trains: :func:`dlinv.train` does, and the book compares the two.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from .problem import InverseProblem, TrainingData
from .theory import ridge_solution

#: eigenvalues of ``Syy`` below this fraction of the largest one count as zero (the same
#: tolerance as the pseudo-inverse in :func:`dlinv.theory.ridge_solution`)
RANK_TOL = 1e-10


def _check_data(data) -> TrainingData:
    if not isinstance(data, TrainingData):
        raise ValueError(f"data must be a TrainingData, got {type(data).__name__}")
    return data


def _eig(data: TrainingData):
    """Eigenvalues ``mu`` (ascending, tiny ones set to exactly 0) and eigenvectors of ``Syy``."""
    mu, Q = np.linalg.eigh(data.Syy)
    top = mu[-1] if mu.size and mu[-1] > 0 else 0.0
    mu = np.where(mu > RANK_TOL * top, mu, 0.0)
    return mu, Q


def _initial_map(W0, data: TrainingData) -> np.ndarray:
    if isinstance(W0, (list, tuple)):
        if len(W0) != 1:
            raise ValueError(
                f"W0 must be one d x m matrix (or a 1-tuple of it), got {len(W0)} layers"
            )
        W0 = W0[0]
    d, m = data.X.shape[0], data.Y.shape[0]
    return V.matrix(W0, "W0", shape=(d, m))


def _steps(t) -> np.ndarray:
    arr = np.asarray(t)
    if arr.ndim > 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"t must be a non-negative int or a non-empty 1-D sequence of ints (step numbers), got {t!r}"
        )
    flat = arr.reshape(-1).astype(np.int64)
    if np.any(flat < 0):
        raise ValueError(f"t must hold non-negative step numbers, got {t!r}")
    return flat


def contraction_factors(data: TrainingData, lam: float, eta: float):
    """Eigenvalues ``mu_i`` of ``Syy`` (ascending, zeros exact) and the per-eigendirection factors
    ``1 - eta (mu_i + lam)`` by which GD multiplies the error each step (eq. ``eq-single-rate``).
    The largest absolute factor is :func:`dlinv.theory.single_layer_contraction`."""
    data = _check_data(data)
    lam = V.nonneg_float(lam, "lam")
    eta = V.nonneg_float(eta, "eta", positive=True)
    mu, _ = _eig(data)
    return mu, 1.0 - eta * (mu + lam)


def gd_trajectory(data: TrainingData, W0, lam: float, eta: float, t) -> np.ndarray:
    """The exact GD iterate ``W(t) = F + (W(0) - F)(I - eta (Syy + lam I))^t`` on one layer
    (eq. ``eq-ch2-gd-solution``). ``t`` is a step number (returns a ``d x m`` array) or a 1-D
    sequence of them (returns an array of shape ``(len(t), d, m)``). Valid for every step size,
    also divergent ones."""
    data = _check_data(data)
    W0 = _initial_map(W0, data)
    lam = V.nonneg_float(lam, "lam")
    eta = V.nonneg_float(eta, "eta", positive=True)
    scalar = np.ndim(t) == 0
    steps = _steps(t)
    F = ridge_solution(data, lam)
    mu, Q = _eig(data)
    f = 1.0 - eta * (mu + lam)
    EQ = (W0 - F) @ Q
    out = np.empty((steps.size,) + F.shape)
    for k, tk in enumerate(steps):
        out[k] = F + (EQ * f ** int(tk)) @ Q.T
    return out[0] if scalar else out


def gd_limit(data: TrainingData, W0, lam: float) -> np.ndarray:
    """The limit of GD on one layer from ``W0`` for a stable step size (eq. ``eq-step-limit``):
    the ridge map ``Sxy (Syy + lam I)^{-1}`` if ``lam > 0``; for ``lam = 0`` the interpolant
    ``X Y^+ + W0 (I - Pi)`` closest to ``W0``, where ``Pi`` projects onto ``range(Syy)``
    (Theorem ``thm-gd-single``; under the subspace model ``X Y^+ = W*`` and ``I - Pi = P_perp``)."""
    data = _check_data(data)
    W0 = _initial_map(W0, data)
    lam = V.nonneg_float(lam, "lam")
    F = ridge_solution(data, lam)
    if lam > 0:
        return F
    mu, Q = _eig(data)
    Qn = Q[:, mu == 0]  # basis of ker Syy
    return F + (W0 @ Qn) @ Qn.T


def trajectory_metrics(
    problem: InverseProblem, data: TrainingData, W0, lam: float, eta: float, t
) -> dict:
    """The metrics of :class:`dlinv.train.History` evaluated on the exact trajectory
    :func:`gd_trajectory` at the steps ``t``: ``loss``, ``fit``, ``on_subspace`` (``||W A R - R||_F``),
    ``off_subspace`` and ``off_subspace_first`` (both ``||W P_perp||_F`` for one layer) and
    ``oracle_distance`` (``||W - W*||_F``). Returns a dict of 1-D arrays, plus ``step``."""
    if not isinstance(problem, InverseProblem):
        raise ValueError(f"problem must be an InverseProblem, got {type(problem).__name__}")
    data = _check_data(data)
    if data.X.shape[0] != problem.d or data.Y.shape[0] != problem.m:
        raise ValueError("data and problem have different dimensions")
    steps = _steps(t)
    Ws = gd_trajectory(data, W0, lam, eta, steps)
    lam = float(lam)
    out = {
        k: np.empty(steps.size)
        for k in ("loss", "fit", "on_subspace", "off_subspace", "oracle_distance")
    }
    for k, W in enumerate(Ws):
        fit = data.fit(W)
        out["fit"][k] = fit
        out["loss"][k] = fit + 0.5 * lam * float(np.vdot(W, W))
        out["on_subspace"][k] = np.linalg.norm(W @ problem.AR - problem.R)
        out["off_subspace"][k] = np.linalg.norm(problem.project_perp(W))
        out["oracle_distance"][k] = np.linalg.norm(W - problem.oracle)
    out["off_subspace_first"] = out["off_subspace"].copy()
    out["step"] = steps
    return out


def latent_second_moment(problem: InverseProblem, data: TrainingData) -> np.ndarray:
    """``C = Z Z^T / N`` with ``Z = R^T X`` the latent codes of the training signals (``s x s``);
    ``C = I_s`` for whitened codes (eq. ``eq-whitened``). Needs the signals to lie in ``S``."""
    if not isinstance(problem, InverseProblem):
        raise ValueError(f"problem must be an InverseProblem, got {type(problem).__name__}")
    data = _check_data(data)
    if data.X.shape[0] != problem.d:
        raise ValueError("data and problem have different signal dimensions")
    Z = problem.R.T @ data.X
    resid = np.linalg.norm(data.X - problem.R @ Z)
    if resid > 1e-8 * max(1.0, float(np.linalg.norm(data.X))):
        raise ValueError(f"the training signals do not lie in S (||X - R R^T X||_F = {resid:.2e})")
    return Z @ Z.T / data.n


def ridge_bias(problem: InverseProblem, data: TrainingData, lam: float) -> float:
    """Exact on-subspace error of the ridge map for any latent second moment ``C``:
    ``||W_lam A R - R||_F = lam ||(C G + lam I_s)^{-1}||_F`` with the Gram matrix
    ``G = (AR)^T (AR)`` (Theorem ``thm-ridge``). For whitened codes it equals ``(sum_i (lam/(sigma_i^2+lam))^2)^{1/2}``
    (eq. ``eq-ridge-bias``, also :func:`dlinv.theory.on_subspace_bias` with depth 1)."""
    lam = V.nonneg_float(lam, "lam")
    C = latent_second_moment(problem, data)
    if lam == 0:
        # the min-norm interpolant: exact on S iff C is invertible (rank Z = s)
        return float(np.linalg.norm(ridge_solution(data, 0.0) @ problem.AR - problem.R))
    G = problem.AR.T @ problem.AR
    return lam * float(np.linalg.norm(np.linalg.inv(C @ G + lam * np.eye(problem.s))))


def ridge_oracle_crossing(problem: InverseProblem, lam: float) -> float:
    """Noise level ``sigma_c`` above which the ridge map beats the oracle on test signals
    ``x = R z``, ``z ~ N(0, I_s)``, for whitened training codes (eq. ``eq-ch2-crossing``):
    ``sigma_c^2 = lam sum_i (sigma_i^2+lam)^{-2} / sum_i (2 sigma_i^2+lam) / (sigma_i^2 (sigma_i^2+lam)^2)``."""
    if not isinstance(problem, InverseProblem):
        raise ValueError(f"problem must be an InverseProblem, got {type(problem).__name__}")
    lam = V.nonneg_float(lam, "lam", positive=True)
    q = problem.singular_values**2
    num = lam * np.sum((q + lam) ** -2.0)
    den = np.sum((2 * q + lam) / (q * (q + lam) ** 2))
    return float(np.sqrt(num / den))
