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

    u_minus = bisect(np.zeros_like(mu), np.where(exists, u0, 1.0), increasing=False)  # h decreasing on (0, u0]
    u_plus = bisect(np.where(exists, u0, 0.0), np.ones_like(mu), increasing=True)    # h increasing on [u0, 1]
    nan = np.full_like(mu, np.nan)
    return np.where(exists, u_minus, nan) / sig, np.where(exists, u_plus, nan) / sig
