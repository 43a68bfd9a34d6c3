"""The landscape of the scalar weight-decay problem and its basins (Chapter 4, Proposition ``prop-collapse``).

For one singular direction with strength ``sigma`` the regularized problem reduces to
``f(w) = (1/2)(sigma w - 1)^2 + (lam L / 2) w^{2/L}`` on ``w >= 0`` (eq. ``eq-scalar-problem``,
:func:`dlinv.theory.scalar_objective`). In the variables ``u = sigma w`` and
``mu = lam sigma^{-2/L}`` its nonzero stationary points solve ``h(u) = u + mu u^{-q} = 1`` with
``q = 1 - 2/L``. For ``L >= 3`` and ``mu < c_L`` there are two: ``u_-`` (a local maximum of ``f``,
the boundary between the basin of ``0`` and the basin of ``u_+``) and ``u_+`` (a local minimum,
:func:`dlinv.theory.spectral_limit` with ``branch="nonzero"``). Balanced gradient flow moves ``w``
downhill on ``f`` (Lemma ``lem-e2e``), so a balanced network started with ``sigma w(0) < u_-``
collapses to zero and one started above ``u_-`` converges to ``u_+``.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from .theory import collapse_threshold


def stationary_points(sigma, lam: float, depth: int):
    """Both nonzero stationary points ``(w_-, w_+)`` of the scalar problem, as arrays shaped like
    ``sigma`` (``nan`` where they do not exist, i.e. where ``lam sigma^{-2/L} > c_L``).

    ``w_-`` is the local maximum (basin boundary), ``w_+`` the nonzero local minimum. Only for
    ``depth >= 3``: for ``L = 1, 2`` the problem is convex and has no basin boundary.
    Computed by bisection of ``h(u) = u + mu u^{-q}`` on ``[0, u_0]`` and ``[u_0, 1]`` around its
    minimum ``u_0 = (q mu)^{1/(1+q)}`` (``h`` is strictly convex), to full double precision.
    """
    sig = np.asarray(sigma, dtype=float)
    if sig.ndim > 1 or np.any(~np.isfinite(sig)) or np.any(sig <= 0):
        raise ValueError("sigma must be a positive finite number or 1-D array of them")
    lam = V.nonneg_float(lam, "lam", positive=True)
    depth = V.positive_int(depth, "depth")
    if depth < 3:
        raise ValueError(f"stationary_points needs depth >= 3 (L = {depth} gives a convex problem)")
    q = 1.0 - 2.0 / depth
    mu = lam * sig ** (-2.0 / depth)
    u0 = (q * mu) ** (1.0 / (1.0 + q))
    exists = mu <= collapse_threshold(depth)

    def h(u):
        with np.errstate(divide="ignore"):
            return u + mu * u ** (-q) - 1.0

    def bisect(lo, hi, increasing):
        lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            pos = h(mid) > 0
            go_left = pos if increasing else ~pos
            hi, lo = np.where(go_left, mid, hi), np.where(go_left, lo, mid)
        return 0.5 * (lo + hi)

    u_minus = bisect(
        np.zeros_like(mu), np.where(exists, u0, 1.0), increasing=False
    )  # h decreasing on (0, u0]
    u_plus = bisect(
        np.where(exists, u0, 0.0), np.ones_like(mu), increasing=True
    )  # h increasing on [u0, 1]
    nan = np.full_like(mu, np.nan)
    return np.where(exists, u_minus, nan) / sig, np.where(exists, u_plus, nan) / sig


def verify_thresholds(depth: int, c_local: float, c_global: float, *, rel: float = 1e-3) -> dict:
    """Check claimed collapse thresholds against the scalar objective itself (brute force).

    Independently of the closed forms, on a grid of ``2 * 10^5`` points ``u = sigma w`` in
    ``(0, 1.2]`` (``sigma = 1``, ``lam = tau``): just below ``c_local`` the objective
    ``f(u) = (1/2)(u - 1)^2 + (tau L / 2) u^{2/L}`` has an interior local minimum and just above it
    it has none (Proposition ``prop-collapse``, part 2); just below ``c_global`` its smallest value
    on ``u > 0`` is below ``f(0) = 1/2`` and just above it is not (part 3). "Just" means a
    relative distance ``rel``. Raises ``AssertionError`` naming the first property that fails (a
    wrong threshold, e.g. the local one in place of the global one or a wrong exponent, fails);
    returns the measured margins otherwise. This is the check of the chapter's headline claim
    that the lab runs and ``tests/test_headline_ch4.py`` feeds wrong thresholds.
    """
    depth = V.positive_int(depth, "depth")
    if depth < 3:
        raise ValueError(f"verify_thresholds needs depth >= 3, got {depth}")
    u = np.linspace(1e-7, 1.2, 200001)

    def f(tau):
        return 0.5 * (u - 1.0) ** 2 + 0.5 * tau * depth * u ** (2.0 / depth)

    def interior_minima(tau):
        v = f(tau)
        return int(np.sum((v[1:-1] < v[:-2]) & (v[1:-1] < v[2:])))

    below, above = interior_minima(c_local * (1 - rel)), interior_minima(c_local * (1 + rel))
    assert below >= 1, (
        f"L = {depth}: no nonzero local minimizer just below the claimed local "
        f"threshold {c_local:.6f}: it is too large"
    )
    assert above == 0, (
        f"L = {depth}: a nonzero local minimizer still exists just above the "
        f"claimed local threshold {c_local:.6f}: it is too small"
    )
    gap_below = float(np.min(f(c_global * (1 - rel)))) - 0.5
    gap_above = float(np.min(f(c_global * (1 + rel)))) - 0.5
    assert gap_below < 0, (
        f"L = {depth}: just below the claimed global threshold {c_global:.6f} "
        f"the zero map is still globally optimal: it is too large"
    )
    assert gap_above > 0, (
        f"L = {depth}: just above the claimed global threshold {c_global:.6f} "
        f"a nonzero gain still beats 0: it is too small"
    )
    return {
        "minima_below": below,
        "minima_above": above,
        "gap_below": gap_below,
        "gap_above": gap_above,
    }
