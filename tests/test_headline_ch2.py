"""Issue 9 New C and item 3, Chapter 2: the lab's checks of the headline claims can fail.

Lab 2 checks that the limit W_inf = W* + W(0) P_perp of GD without weight decay is the
interpolant closest to W(0) (thm-gd-single, item 2) by comparing it with nearby interpolants
W_inf + eps G P_perp, and Lemma A for one layer (lem-frozen-single) by comparing W(t) P_perp
with (1 - eta lam)^t W(0) P_perp. Both pass on the truth and fail on wrong candidates."""

import pytest

import dlinv
from dlinv import single_layer, theory
from dlinv.exercises import ch2 as ex


@pytest.fixture(scope="module")
def setup():
    P = dlinv.random_problem(40, 20, 3, seed=0)
    D = dlinv.make_training_data(P, 200, seed=1, whiten=True)
    W0 = dlinv.init_weights(P.d, P.m, width=None, depth=1, seed=3)
    return P, D, W0


def test_closest_interpolant_passes_for_the_gd_limit(setup):
    P, D, W0 = setup
    W_inf = single_layer.gd_limit(D, W0, 0.0)
    assert ex.closest_interpolant_gap(P, D, W_inf, W0[0]) > 0


@pytest.mark.parametrize("wrong", ["oracle", "half off-subspace", "other start"])
def test_closest_interpolant_fails_for_a_wrong_candidate(setup, wrong):
    P, D, W0 = setup
    W_other = dlinv.init_weights(P.d, P.m, width=None, depth=1, seed=4)[0]
    cand = {
        "oracle": P.oracle,  # the limit from zero
        "half off-subspace": P.oracle + 0.5 * P.project_perp(W0[0]),
        "other start": P.oracle + P.project_perp(W_other),
    }[wrong]
    with pytest.raises(AssertionError, match="closer"):
        ex.closest_interpolant_gap(P, D, cand, W0[0])


def test_closest_interpolant_rejects_a_non_interpolant(setup):
    P, D, W0 = setup
    with pytest.raises(AssertionError, match="interpolate"):
        ex.closest_interpolant_gap(P, D, theory.ridge_solution(D, 0.1), W0[0])


def test_frozen_law_passes_and_fails_for_a_wrong_exponent(setup):
    P, D, W0 = setup
    lam = 0.02
    eta = 0.5 * theory.max_stable_step_single_layer(D, lam)
    t = 100
    Wt = dlinv.train(P, D, lam=lam, eta=eta, steps=t, init=W0, record_every=0).end_to_end
    assert ex.frozen_law_error(P, Wt, W0[0], eta, lam, t) < 1e-12
    for wrong_t in (t - 1, t + 1):
        with pytest.raises(AssertionError):
            ex.frozen_law_error(P, Wt, W0[0], eta, lam, wrong_t)
    with pytest.raises(AssertionError):  # the gradient-flow factor e^{-eta lam t} is not exact
        ex.frozen_law_error(P, Wt, W0[0], eta, lam * (1 + 1e-3), t)
