"""Chapter 6's headline checks can fail (issue 9, New C): fed a wrong exponent, a perturbed
network or a wrong rate, they raise."""

import numpy as np
import pytest

import dlinv
from dlinv import subspaces as sub
from dlinv import theory

L, LAM = 3, 0.05


@pytest.fixture(scope="module")
def stationary():
    prob = dlinv.random_problem(20, 10, 3, seed=0)
    W_lam = theory.regularized_limit(prob, LAM, L, "nonzero")
    Ws = dlinv.balanced_factorization(W_lam, depth=L, width=8, seed=1)
    w = theory.spectral_limit(prob.singular_values, LAM, L, branch="nonzero")
    return prob, Ws, w


def test_spectrum_check_passes_at_the_stationary_point(stationary):
    prob, Ws, w = stationary
    sv = np.linalg.svd(Ws[0], compute_uv=False)
    assert sub.check_first_layer_spectrum(sv, w, L) < 1e-10
    assert sub.encoding_defects(Ws, prob) == pytest.approx((0.0, 0.0), abs=1e-10)


def test_spectrum_check_rejects_a_wrong_exponent(stationary):
    _, Ws, w = stationary
    sv = np.linalg.svd(Ws[0], compute_uv=False)
    with pytest.raises(AssertionError, match="w_i"):
        sub.check_first_layer_spectrum(sv, w, L - 1)  # w_i^(1/2) instead of w_i^(1/3)


def test_spectrum_check_rejects_a_perturbed_layer(stationary):
    _, Ws, w = stationary
    sv = np.linalg.svd(Ws[0] * 1.03, compute_uv=False)  # 3% off: beyond the 1% tolerance
    with pytest.raises(AssertionError, match="differ"):
        sub.check_first_layer_spectrum(sv, w, L)


def test_spectrum_check_rejects_rank_above_s(stationary):
    prob, Ws, w = stationary
    extra = np.zeros_like(Ws[0])
    extra[-1] = 0.5 * prob.P_perp[0] / np.linalg.norm(prob.P_perp[0])  # reads (AS)^perp
    sv = np.linalg.svd(Ws[0] + extra, compute_uv=False)
    with pytest.raises(AssertionError, match="more than"):
        sub.check_first_layer_spectrum(sv, w, L)
    assert sub.encoding_defects([Ws[0] + extra, *Ws[1:]], prob)[0] > 0.1


def test_tail_band_rejects_a_wrong_rate():
    prob = dlinv.random_problem(20, 10, 2, seed=3)
    eta, lam, t = 0.05, 0.1, 200
    r = dlinv.train(
        prob,
        dlinv.make_training_data(prob, 50, seed=4),
        lam=lam,
        eta=eta,
        steps=t,
        depth=3,
        width=12,
        seed=5,
        record_every=0,
    )
    M0 = np.linalg.svd(prob.project_perp(r.initial_weights[0]), compute_uv=False)
    sv = np.linalg.svd(r.weights[0], compute_uv=False)
    sub.check_tail_band(sv, *sub.first_layer_tail_band(M0, prob.s, eta, lam, t), prob.s)
    with pytest.raises(AssertionError, match="below"):  # no weight decay: band too high
        sub.check_tail_band(sv, *sub.first_layer_tail_band(M0, prob.s, eta, 0.0, t), prob.s)
    with pytest.raises(AssertionError, match="above"):  # (1 - eta lam)^(2t): band too low
        sub.check_tail_band(sv, *sub.first_layer_tail_band(M0, prob.s, eta, lam, 2 * t), prob.s)
