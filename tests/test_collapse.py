"""Tests of dlinv.collapse: the stationary points of the scalar problem (Chapter 4, prop-collapse)."""

import numpy as np
import pytest

from dlinv import collapse, theory


def _fprime(w, sigma, lam, L):
    return sigma * (sigma * w - 1.0) + lam * w ** (2.0 / L - 1.0)


@pytest.mark.parametrize("L", [3, 4, 5, 8])
def test_both_roots_are_stationary_and_ordered(L):
    sig = np.array([0.5, 1.0, 2.0])
    lam = 0.8 * theory.collapse_threshold(L) * sig.min() ** (2.0 / L)
    wm, wp = collapse.stationary_points(sig, lam, L)
    assert np.all(wm < wp)
    np.testing.assert_allclose(_fprime(wm, sig, lam, L), 0.0, atol=1e-9)
    np.testing.assert_allclose(_fprime(wp, sig, lam, L), 0.0, atol=1e-12)
    np.testing.assert_allclose(wp, theory.spectral_limit(sig, lam, L, branch="nonzero"), rtol=1e-12)


@pytest.mark.parametrize("L", [3, 5])
def test_lower_root_is_a_local_maximum_and_upper_a_local_minimum(L):
    lam = 0.5 * theory.collapse_threshold(L)
    wm, wp = (float(x) for x in collapse.stationary_points(1.0, lam, L))

    def f(w):
        return theory.scalar_objective(w, 1.0, lam, L)

    for dw in (1e-4, 1e-3):
        assert f(wm) > f(wm - dw * wm) and f(wm) > f(wm + dw * wm)
        assert f(wp) < f(wp - dw) and f(wp) < f(wp + dw)


@pytest.mark.parametrize("L", [3, 5])
def test_roots_disappear_beyond_c_L_and_merge_at_it(L):
    c = theory.collapse_threshold(L)
    wm, wp = collapse.stationary_points(np.array([1.0]), 1.01 * c, L)
    assert np.isnan(wm).all() and np.isnan(wp).all()
    wm, wp = collapse.stationary_points(1.0, c * (1 - 1e-10), L)
    u0 = (L - 2) / (2 * L - 2)  # the double root at the threshold
    assert float(wm) == pytest.approx(u0, abs=1e-4) and float(wp) == pytest.approx(u0, abs=1e-4)


def test_stationary_points_validates():
    with pytest.raises(ValueError, match="depth >= 3"):
        collapse.stationary_points(1.0, 0.1, 2)
    with pytest.raises(ValueError, match="sigma"):
        collapse.stationary_points(-1.0, 0.1, 3)
    with pytest.raises(ValueError, match="lam"):
        collapse.stationary_points(1.0, 0.0, 3)
