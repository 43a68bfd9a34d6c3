"""How good is a solution map? On- and off-subspace errors and test error under noise (Chapters 1, 7).

For a map ``W`` (``d x m``), a signal ``x = R z`` with ``z ~ N(0, C)`` and noise
``e ~ N(0, sigma^2 I_m)``, the expected squared error splits exactly (eq. ``eq-error-decomposition``):

    E||W (A x + e) - x||^2 = ||(W A R - R) C^{1/2}||_F^2      (bias on S)
                           + sigma^2 ||W P_AS||_F^2          (noise inside A S)
                           + sigma^2 ||W P_perp||_F^2        (noise off A S)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as V
from .problem import InverseProblem, noisy_measurements, sample_latent


def _map(W, problem: InverseProblem, name: str = "W") -> np.ndarray:
    return V.matrix(W, name, shape=(problem.d, problem.m))


def on_subspace_error(W, problem: InverseProblem) -> float:
    """``||W A R - R||_F``: how far ``W`` is from inverting ``A`` on ``S``."""
    W = _map(W, problem)
    return float(np.linalg.norm(W @ problem.AR - problem.R))


def off_subspace_norm(W, problem: InverseProblem) -> float:
    """``||W P_perp||_F``: the response of ``W`` to measurements orthogonal to ``A S``."""
    W = _map(W, problem)
    return float(np.linalg.norm(problem.project_perp(W)))


def _latent_cov(problem: InverseProblem, latent_cov) -> np.ndarray:
    if latent_cov is None:
        return np.eye(problem.s)
    C = V.matrix(latent_cov, "latent_cov", shape=(problem.s, problem.s))
    if (
        np.linalg.norm(C - C.T) > 1e-12 * max(1.0, np.linalg.norm(C))
        or np.linalg.eigvalsh(C)[0] < -1e-12
    ):
        raise ValueError("latent_cov must be symmetric positive semidefinite")
    return C


def error_decomposition(W, problem: InverseProblem, noise: float, latent_cov=None) -> dict:
    """The three terms of eq. ``eq-error-decomposition`` and their sum (expected squared error
    per test signal). ``latent_cov`` is the covariance ``C`` of ``z`` (default ``I_s``)."""
    W = _map(W, problem)
    noise = V.nonneg_float(noise, "noise")
    C = _latent_cov(problem, latent_cov)
    K = W @ problem.AR - problem.R
    bias = float(np.sum((K @ C) * K))
    WU = W @ problem.U
    on = noise**2 * float(np.sum(WU * WU))
    off = noise**2 * float(np.sum(problem.project_perp(W) ** 2))
    return {"bias": bias, "on_noise": on, "off_noise": off, "total": bias + on + off}


def predicted_relative_error(W, problem: InverseProblem, noise: float, latent_cov=None) -> float:
    """``(E||W y - x||^2 / E||x||^2)^{1/2}``, the prediction for :func:`relative_test_error`."""
    C = _latent_cov(problem, latent_cov)
    return float(np.sqrt(error_decomposition(W, problem, noise, C)["total"] / np.trace(C)))


def relative_test_error(W, problem: InverseProblem, noise: float, *, n: int, seed) -> float:
    """Empirical relative error ``(sum_i ||W y_i - x_i||^2 / sum_i ||x_i||^2)^{1/2}`` on ``n`` fresh
    test signals ``x_i = R z_i`` (``z_i ~ N(0, I_s)``) with ``y_i = A x_i + noise * e_i``."""
    W = _map(W, problem)
    g = V.rng(seed)
    X = problem.R @ sample_latent(problem.s, n, seed=g)
    Y = noisy_measurements(problem, X, noise, seed=g)
    return float(np.linalg.norm(W @ Y - X) / np.linalg.norm(X))


@dataclass(frozen=True)
class NoiseSweep:
    """Relative test error of several maps over noise levels: ``measured[name]`` (empirical, on the
    same test signals and noise draws for every map) and ``predicted[name]`` (eq.
    ``eq-error-decomposition`` evaluated on the same map). The decomposition is an identity, true for
    every map, so ``measured`` against ``predicted`` tests only Monte Carlo error; predictions that
    do not look at a trained map are in :func:`dlinv.robustness.predicted_test_errors`."""

    noise: np.ndarray
    measured: dict
    predicted: dict


def noise_sweep(maps: dict, problem: InverseProblem, noise_levels, *, n: int, seed) -> NoiseSweep:
    """Test error of each map in ``maps`` (name -> ``d x m`` array) at each noise level.

    All maps and levels share one set of test signals and one noise draw ``E`` (scaled by the
    level), so differences between curves are not sampling noise. Cost: one product per map.
    """
    if not isinstance(maps, dict) or not maps:
        raise ValueError("maps must be a non-empty dict name -> (d, m) array")
    levels = np.asarray(noise_levels, dtype=float)
    if levels.ndim != 1 or levels.size == 0 or np.any(~np.isfinite(levels)) or np.any(levels < 0):
        raise ValueError("noise_levels must be a non-empty 1-D sequence of finite numbers >= 0")
    n = V.positive_int(n, "n")
    g = V.rng(seed)
    X = problem.R @ sample_latent(problem.s, n, seed=g)
    Enoise = g.standard_normal((problem.m, n))
    AX = problem.A @ X
    xx = float(np.sum(X * X))
    measured, predicted = {}, {}
    for name, W in maps.items():
        W = _map(W, problem, f"maps[{name!r}]")
        B, WE = W @ AX - X, W @ Enoise
        bb, be, ee = float(np.sum(B * B)), float(np.sum(B * WE)), float(np.sum(WE * WE))
        measured[name] = np.sqrt(np.maximum(bb + 2 * levels * be + levels**2 * ee, 0.0) / xx)
        # the decomposition is bias + sigma^2 (on + off): compute its terms once, then scale
        dec = error_decomposition(W, problem, 1.0)
        predicted[name] = np.sqrt(
            (dec["bias"] + levels**2 * (dec["on_noise"] + dec["off_noise"])) / problem.s
        )
    return NoiseSweep(noise=levels, measured=measured, predicted=predicted)
