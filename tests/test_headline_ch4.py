"""Chapter 4's headline checks can fail (issue 9, New C): fed a wrong threshold or a wrong
exponent, the checks the lab runs raise."""

import numpy as np
import pytest

from dlinv import collapse, theory
from dlinv import representation as rep
from dlinv.exercises import ch4


@pytest.mark.parametrize("L", [3, 5, 8])
def test_threshold_check_accepts_the_closed_forms(L):
    out = collapse.verify_thresholds(
        L, theory.collapse_threshold(L), theory.global_collapse_threshold(L)
    )
    assert out["minima_below"] >= 1 and out["minima_above"] == 0


@pytest.mark.parametrize("L", [3, 5])
@pytest.mark.parametrize("wrong", ["swapped", "local_for_global", "scaled", "exponent"])
def test_threshold_check_rejects_wrong_thresholds(L, wrong):
    cL, cs = theory.collapse_threshold(L), theory.global_collapse_threshold(L)
    claimed = {
        "swapped": (cs, cL),
        "local_for_global": (cL, cL),
        "scaled": (1.01 * cL, cs),
        "exponent": ch4.thresholds_by_bisection(L, exponent=1.0 / L),
    }[wrong]
    with pytest.raises(AssertionError, match="threshold"):
        collapse.verify_thresholds(L, *claimed)


def _matrix():
    g = np.random.default_rng(0)
    return g.standard_normal((8, 3)) @ g.standard_normal((3, 6)) / np.sqrt(3)


@pytest.mark.parametrize("L", [2, 3, 5])
def test_schatten_check_accepts_lemma_e(L):
    W = _matrix()
    out = rep.verify_representation_cost(W, L, theory.schatten_cost(W, L), width=6, n_random=6)
    assert out["descent_excess"] < 1e-6


@pytest.mark.parametrize("L", [2, 3, 5])
@pytest.mark.parametrize(
    "exponent, factor",
    [
        (lambda L: 1.0 / L, lambda L: L / 2),
        (lambda L: 2.0 / L, lambda L: 1.0),
        (lambda L: 1.0, lambda L: 1.0),
    ],
)
def test_schatten_check_rejects_wrong_exponent_or_factor(L, exponent, factor):
    W = _matrix()
    sig = np.linalg.svd(W, compute_uv=False)[:3]
    wrong = factor(L) * float(np.sum(sig ** exponent(L)))
    if abs(wrong / theory.schatten_cost(W, L) - 1) < 1e-12:  # e.g. L = 2: exponent 2/L = 1
        pytest.skip("the wrong formula coincides with Lemma E at this depth")
    with pytest.raises(AssertionError, match="balanced factorization costs"):
        rep.verify_representation_cost(W, L, wrong, width=6, n_random=6)
