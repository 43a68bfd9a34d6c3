"""Chapter 5's headline checks can fail (issue 9, New C).

The lab checks the aligned-case theorem (``thm-ch5-aligned``: limits, rates, exact imbalance and
off-subspace decay) and the phase-3 theorem (``thm-phase3``) with functions of
``dlinv.convergence``. Each test below runs the check on a correct input (it passes) and on a
wrong one (a wrong weight decay, a wrong rate, a wrong limit, a perturbed run): it fails.
"""

import numpy as np
import pytest

import dlinv
from dlinv import convergence as cv

D, M, S, L, W = 12, 8, 3, 3, 10
LAM, ETA, A0, STEPS = 0.05, 0.1, 0.6, 600


@pytest.fixture(scope="module")
def aligned():
    problem = dlinv.random_problem(D, M, S, seed=0)
    data = dlinv.make_training_data(problem, 40, seed=1, whiten=True)
    theta = np.random.default_rng(2).standard_normal((W, M)) / np.sqrt(M)
    Ws, frames, Theta = cv.aligned_weights(problem, width=W, depth=L, a0=A0, theta=theta, seed=3)
    assert ETA <= cv.aligned_step_size(A0, problem.singular_values, LAM, L)
    run = cv.aligned_gd(problem, data, Ws, frames, Theta, lam=LAM, eta=ETA, steps=STEPS)
    return problem, frames, Theta, run


def test_aligned_run_passes(aligned):
    problem, frames, Theta, run = aligned
    sig = problem.singular_values
    assert run.alignment.max() < 1e-12
    res = cv.check_aligned_modes(run.modes[:, -1, :], A0, sig, LAM, L, ETA)
    assert np.all(res["prediction"].converges)
    assert (
        cv.check_aligned_offsubspace(run.off, run.imbalance, run.modes, Theta, frames, ETA, LAM)
        < 1e-8
    )


def test_aligned_limit_check_fails_on_wrong_weight_decay(aligned):
    problem, _, _, run = aligned
    with pytest.raises(AssertionError, match="predicted limit"):
        cv.check_aligned_modes(run.modes[:, -1, :], A0, problem.singular_values, 1.2 * LAM, L, ETA)


def test_aligned_limit_check_fails_on_wrong_depth(aligned):
    problem, _, _, run = aligned
    with pytest.raises(AssertionError):
        cv.check_aligned_modes(run.modes[:, -1, :], A0, problem.singular_values, LAM, L + 1, ETA)


def test_aligned_rate_check_fails_on_wrong_rate(aligned):
    # the same limit but a trajectory that converges at a different rate: the scalar recursion
    # run with a smaller step, checked against the theorem's rate for ETA
    problem, _, _, _ = aligned
    sig = problem.singular_values
    slow = cv.aligned_modes(A0, sig, LAM, L, 0.8 * ETA, 2 * STEPS)
    cv.check_aligned_modes(slow, A0, sig, LAM, L, 0.8 * ETA)  # right rate: passes
    with pytest.raises(AssertionError, match="rate|bound"):
        cv.check_aligned_modes(slow, A0, sig, LAM, L, ETA)


def test_aligned_collapse_check_fails_when_a_collapsing_mode_survives():
    sig = np.array([1.2, 0.9, 0.8])
    lam = 0.4  # tau_i = lam sigma_i^(-1/2) vs c_4 = 0.385
    pred = cv.aligned_prediction(1.0, sig, lam, 4, 0.1)
    assert list(pred.converges) == [True, False, False]
    traj = cv.aligned_modes(1.0, sig, lam, 4, 0.1, 800)
    cv.check_aligned_modes(traj, 1.0, sig, lam, 4, 0.1)
    assert not pred.converges.all()
    survivor = traj.copy()
    i = int(np.nonzero(~pred.converges)[0][0])
    survivor[:, i] = np.maximum(survivor[:, i], 0.5)  # a mode that does not collapse
    with pytest.raises(AssertionError, match="collapse"):
        cv.check_aligned_modes(survivor, 1.0, sig, lam, 4, 0.1)


def test_aligned_offsubspace_check_fails_on_wrong_rate(aligned):
    _, frames, Theta, run = aligned
    with pytest.raises(AssertionError):
        cv.check_aligned_offsubspace(
            run.off, run.imbalance, run.modes, Theta, frames, ETA, 1.1 * LAM
        )
    t = np.arange(run.off.size)
    with pytest.raises(AssertionError, match="off-subspace"):
        cv.check_aligned_offsubspace(
            run.off * (1 - ETA * LAM) ** (-0.05 * t),
            run.imbalance,
            run.modes,
            Theta,
            frames,
            ETA,
            LAM,
        )


@pytest.fixture(scope="module")
def fanin_run():
    problem = dlinv.random_problem(D, M, S, seed=0)
    data = dlinv.make_training_data(problem, 40, seed=1, whiten=True)
    lam, eta, steps = 0.1, 0.05, 3000
    run = dlinv.train(
        problem,
        data,
        lam=lam,
        eta=eta,
        steps=steps,
        depth=L,
        width=W,
        seed=4,
        record_every=5,
        metrics=dlinv.ALL_METRICS,
    )
    h = run.history
    T3 = cv.phase_boundaries(h, 1e-3, eps=1e-2)["T3"]
    return h, lam, eta, T3


def test_phase3_check_passes_and_fails(fanin_run):
    h, lam, eta, T3 = fanin_run
    first0 = float(h["off_subspace_first"][0])
    kw = {"eta": eta, "lam": lam, "eps": 1e-2, "T3_measured": T3}
    out = cv.check_phase3_run(h.step, h["off_subspace"], h["suffix_norm"], first0, **kw)
    assert T3 <= out["T3_pred"]
    # wrong rate: a weight decay twice too large makes the bound fail
    with pytest.raises(AssertionError):
        cv.check_phase3_run(
            h.step, h["off_subspace"], h["suffix_norm"], first0, **{**kw, "lam": 2 * lam}
        )
    # a perturbed run: an off-subspace response that decays more slowly
    slow = h["off_subspace"] * np.exp(0.2 * eta * lam * h.step)
    with pytest.raises(AssertionError):
        cv.check_phase3_run(h.step, slow, h["suffix_norm"], first0, **kw)
    # a measured time after the predicted one
    with pytest.raises(AssertionError, match="T3"):
        cv.check_phase3_run(
            h.step,
            h["off_subspace"],
            h["suffix_norm"],
            first0,
            **{**kw, "T3_measured": int(out["T3_pred"]) + 50},
        )
