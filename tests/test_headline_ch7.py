"""Chapter 7's headline checks can fail: a wrong prediction or a perturbed map is rejected.

The lab compares measured test errors with predictions that never look at the trained weights
(``robustness.predicted_test_errors``: closed forms for the oracle, the Gaussian-average
pseudo-inverse and the weight-decay limit ``W_lambda``, Lemma B with the channel model without
weight decay, the two-rate model at a finite budget) through ``robustness.check_prediction``.
"""

import numpy as np
import pytest

import dlinv
from dlinv import metrics, robustness, theory
from dlinv.robustness import PredictionMismatch

LEVELS = np.array([0.02, 0.05, 0.1, 0.2])


@pytest.fixture(scope="module")
def prob():
    return dlinv.random_problem(60, 30, 3, seed=0)


def _measured(W, prob, levels=LEVELS):
    return metrics.noise_sweep({"W": W}, prob, levels, n=4000, seed=3).measured["W"]


def test_oracle_gain_right_passes_wrong_fails(prob):
    meas = _measured(prob.oracle, prob)
    pred = robustness.predicted_test_errors(prob, LEVELS, width=40, depth=3, eta=0.05, budgets={})
    assert robustness.check_prediction(meas, pred["oracle"], rtol=0.03, what="oracle") < 0.03
    # a wrong gain: sum_i sigma_i^{-1} instead of sum_i sigma_i^{-2}
    wrong = LEVELS * np.sqrt(np.sum(1 / prob.singular_values) / prob.s)
    with pytest.raises(PredictionMismatch, match="oracle"):
        robustness.check_prediction(meas, wrong, rtol=0.03, what="oracle")
    # a perturbed map: the oracle plus an off-subspace response of energy 1
    theta = np.random.default_rng(1).standard_normal((prob.d, prob.m))
    off = prob.project_perp(theta)
    W = prob.oracle + off / np.linalg.norm(off)
    with pytest.raises(PredictionMismatch):
        robustness.check_prediction(_measured(W, prob), pred["oracle"], rtol=0.03, what="oracle")


def test_limit_closed_form_rejects_perturbed_map(prob):
    lam, L = 0.05, 3
    Wl = theory.regularized_limit(prob, lam, L, branch="nonzero")
    pred = np.array([robustness.limit_relative_error(prob, lam, L, x) for x in LEVELS])
    robustness.check_prediction(_measured(Wl, prob), pred, rtol=0.03, what="W_lambda")
    # the predictions at a finite budget tend to the limit
    long = robustness.predicted_test_errors(
        prob, LEVELS, width=40, depth=L, eta=0.05, budgets={lam: 10**5}
    )[lam]
    assert np.allclose(long, pred, rtol=1e-9)
    theta = np.random.default_rng(2).standard_normal((prob.d, prob.m))
    off = prob.project_perp(theta)
    for W in (Wl + 0.7 * off / np.linalg.norm(off), 1.2 * Wl):
        with pytest.raises(PredictionMismatch, match="W_lambda"):
            robustness.check_prediction(_measured(W, prob), pred, rtol=0.03, what="W_lambda")


def test_no_weight_decay_channel_model(prob):
    """A network trained without weight decay matches Lemma B + the channel model; a map with
    half the off-subspace response, or a model without Lemma B's term, fails."""
    w, L = 40, 3
    data = dlinv.make_training_data(prob, 200, seed=1, whiten=True)
    res = dlinv.train(
        prob,
        data,
        lam=0.0,
        eta=0.05,
        steps=300,
        depth=L,
        width=w,
        seed=2,
        record_every=0,
        metrics=(),
    )
    W = res.end_to_end
    pred = robustness.predicted_test_errors(
        prob, LEVELS, width=w, depth=L, eta=0.05, budgets={0.0: 300}
    )[0.0]
    meas = _measured(W, prob)
    assert robustness.check_prediction(meas, pred, rtol=0.12, what="no weight decay") < 0.12
    half = W - 0.5 * prob.project_perp(W)
    with pytest.raises(PredictionMismatch):
        robustness.check_prediction(_measured(half, prob), pred, rtol=0.12, what="no weight decay")
    oracle_only = np.array([robustness.oracle_relative_error(prob, x) for x in LEVELS])
    with pytest.raises(PredictionMismatch):
        robustness.check_prediction(meas, oracle_only, rtol=0.12, what="no weight decay")


def test_two_rate_model_rejects_wrong_rate(prob):
    """After a finite budget the off-subspace norm follows the two-rate model; the same model
    with the single rate (1 - eta lam)^T for the random part (no factor L) fails."""
    w, L, lam, eta, T = 40, 3, 0.02, 0.05, 1500
    data = dlinv.make_training_data(prob, 200, seed=1, whiten=True)
    res = dlinv.train(
        prob, data, lam=lam, eta=eta, steps=T, depth=L, width=w, seed=2, record_every=0, metrics=()
    )
    off = metrics.off_subspace_norm(res.end_to_end, prob)
    model = float(
        robustness.residual_offsubspace_model(prob, width=w, depth=L, lam=lam, eta=eta, steps=T)
    )
    robustness.check_prediction(off, model, rtol=0.25, what="two-rate model")
    rest = robustness.expected_channel_split_at_init(prob.d, prob.m, prob.s, w)["rest"]
    q = 1 - eta * lam
    ch = robustness.balanced_channel_energy(prob, lam, L)
    wrong = np.sqrt(rest * q ** (2 * T) + ch * q ** (2 * T))  # random part at rate eta lam only
    with pytest.raises(PredictionMismatch, match="two-rate"):
        robustness.check_prediction(off, wrong, rtol=0.25, what="two-rate model")


def test_check_prediction_edge_cases():
    assert robustness.check_prediction([0.0, 1.0], [0.0, 1.01], rtol=0.02, what="x") <= 0.02
    with pytest.raises(PredictionMismatch, match="predicted 0"):
        robustness.check_prediction([0.1], [0.0], rtol=0.5, what="x")
    with pytest.raises(ValueError):
        robustness.check_prediction([1.0, 2.0], [1.0], rtol=0.1, what="x")
    dev = robustness.check_predictions({"a": [1.0]}, {"a": [1.0]}, {"a": 0.01})
    assert dev == {"a": 0.0}
