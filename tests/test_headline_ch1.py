"""Issue 9 New C, Chapter 1: the lab's checks of the headline claims can fail.

Lab 1 checks that the oracle is exact on S and blind to (AS)^perp (thm-oracle-exact) and that
it is the smallest exact map (thm-oracle-min) with dlinv.exercises.ch1.oracle_claims and
smallest_exact_claims. Fed the true oracle they pass; fed a wrong map they fail."""

import numpy as np
import pytest

import dlinv
from dlinv.exercises import ch1 as ex


@pytest.fixture(scope="module")
def P():
    return dlinv.random_problem(40, 20, 4, seed=3)


def test_oracle_passes(P):
    out = ex.oracle_claims(P, P.oracle)
    assert out["exact"] < 1e-12 and out["rank"] == P.s
    assert ex.smallest_exact_claims(P, P.oracle)["checked"] == 20


@pytest.mark.parametrize("wrong", ["pinv", "off-subspace", "scaled"])
def test_oracle_claims_reject_wrong_maps(P, wrong):
    g = np.random.default_rng(0)
    W = {
        "pinv": P.pinv,
        "off-subspace": P.oracle + 1e-6 * P.project_perp(g.standard_normal((P.d, P.m))),
        "scaled": 1.001 * P.oracle,
    }[wrong]
    with pytest.raises(AssertionError):
        ex.oracle_claims(P, W)


@pytest.mark.parametrize("wrong", ["off-subspace", "pinv"])
def test_smallest_exact_rejects_a_wrong_candidate(P, wrong):
    g = np.random.default_rng(1)
    W = {
        "off-subspace": P.oracle + 0.1 * P.project_perp(g.standard_normal((P.d, P.m))),
        "pinv": P.pinv,
    }[wrong]
    with pytest.raises(AssertionError):
        ex.smallest_exact_claims(P, W)
