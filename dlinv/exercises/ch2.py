"""Checks for the coding exercises of Lab 2 (Chapter 2: learning a linear solution map).

Each ``check_*`` runs the student's function on random instances and edge cases and says, in
the chapter's terms, what is wrong (see :mod:`dlinv.exercises._core`). The functions
:func:`closest_interpolant_gap` and :func:`frozen_law_error` are the lab's checks of the
chapter's headline claims, written as functions so that ``tests/test_headline_ch2.py`` can show
that they fail on a wrong input.
"""

from __future__ import annotations

import numpy as np

from ..problem import InverseProblem, TrainingData, make_training_data, random_problem
from ._core import Mistake, call, check, expect_close, expect_shape, rng_for

__all__ = [
    "REF",
    "check_frozen_component",
    "check_gd_step",
    "check_ridge_map",
    "closest_interpolant_gap",
    "frozen_law_error",
]

#: the chapter's results as the book numbers them (labels in chapters/02-learning-linear-maps)
REF = {
    "eq-gd-single": "the GD update with coupled weight decay, equation (2.11)",
    "lem-frozen-single": "Lemma A for one layer (Lemma 2.3)",
    "thm-ridge": "the weight-decay (ridge) solution (Theorem 2.4)",
    "thm-gd-single": "what GD without weight decay returns (Theorem 2.3)",
}


def _instances(seed: int):
    """(problem, whitened data, random W) for a few shapes, d != m so transposes show."""
    g = rng_for(seed)
    out = []
    for d, m, s, n in [(9, 6, 2, 30), (25, 12, 4, 60), (14, 11, 1, 5)]:
        P = random_problem(d, m, s, seed=int(g.integers(1 << 31)))
        D = make_training_data(P, n, seed=int(g.integers(1 << 31)), whiten=True)
        W = g.standard_normal((d, m)) / np.sqrt(m)
        out.append((P, D, W))
    return out


def _ref_step(W, Syy, Sxy, eta, lam):
    return W - eta * (W @ Syy - Sxy) - eta * lam * W


# ---- Coding exercise 2.1: one gradient-descent step ------------------------------------------


@check(
    "Coding exercise 2.1: one GD step with weight decay",
    verified="W - eta (W Syy - Sxy) - eta lam W on 9 cases; W* is fixed",
)
def check_gd_step(gd_step):
    for P, D, W in _instances(21):
        for eta, lam in [(0.1, 0.0), (0.3, 0.05), (0.05, 0.7)]:
            W1 = expect_shape(
                call(gd_step, W.copy(), D.Syy.copy(), D.Sxy.copy(), eta, lam),
                W.shape,
                "one step maps a d x m matrix to a d x m matrix",
            )
            off0, off1 = P.project_perp(W), P.project_perp(W1)
            expect_close(
                off1,
                (1 - eta * lam) * off0,
                rtol=1e-10,
                what=f"W(t+1) P_perp != (1 - eta lam) W(t) P_perp at eta = {eta}, lam = {lam}",
                contradicts=REF["lem-frozen-single"],
                hint="the data term (W Syy - Sxy) vanishes on P_perp; weight decay "
                "enters as - eta * lam * W (coupled: multiplied by eta too)",
            )
            expect_close(
                W1,
                _ref_step(W, D.Syy, D.Sxy, eta, lam),
                rtol=1e-10,
                what=f"your step differs from the GD update at eta = {eta}, lam = {lam}",
                contradicts=REF["eq-gd-single"],
                hint="the gradient of (1/2N)||WY - X||^2 is W Syy - Sxy (W on the "
                "left); subtract eta times it",
            )
        # a stationary point of l_0 stays put: the oracle, for lam = 0
        W1 = np.asarray(call(gd_step, P.oracle.copy(), D.Syy.copy(), D.Sxy.copy(), 0.2, 0.0))
        expect_close(
            W1,
            P.oracle,
            rtol=1e-10,
            what="a step from the oracle with lam = 0 moves it",
            contradicts=REF["thm-gd-single"] + " (the oracle is stationary)",
            hint="check the sign of the gradient W Syy - Sxy",
        )


# ---- Coding exercise 2.2: the frozen off-subspace component ----------------------------------


@check(
    "Coding exercise 2.2: W(t) P_perp after t steps",
    verified="equals W(t) P_perp of t GD steps (t <= 300), 9 cases",
)
def check_frozen_component(frozen_component):
    for P, D, W0 in _instances(22):
        # large decays only for small t: W(t) P_perp must stay above rounding level
        for eta, lam, ts in [
            (0.2, 0.0, (0, 1, 7, 300)),
            (0.2, 0.05, (0, 1, 7, 300)),
            (0.3, 0.9, (0, 1, 7)),
        ]:
            W, t_done = W0.copy(), 0
            for t in ts:
                while t_done < t:
                    W = _ref_step(W, D.Syy, D.Sxy, eta, lam)
                    t_done += 1
                got = expect_shape(
                    call(frozen_component, W0.copy(), P.A.copy(), P.R.copy(), eta, lam, t),
                    W0.shape,
                    "W(t) P_perp is d x m, like W",
                )
                if not np.allclose(P.project_perp(got), got, atol=1e-10):
                    raise Mistake(
                        "what you return is not of the form M P_perp: it has a part on A S",
                        contradicts=REF["lem-frozen-single"],
                        hint="P_perp = I - (AR)(AR)^+ projects onto (AS)^perp; "
                        "multiply W(0) by it on the right",
                    )
                expect_close(
                    got,
                    P.project_perp(W),
                    rtol=1e-8,
                    what=f"W(t) P_perp at t = {t}, eta = {eta}, lam = {lam}",
                    contradicts=REF["lem-frozen-single"] + ": W(t) P_perp = "
                    "(1 - eta lam)^t W(0) P_perp",
                    hint="one factor (1 - eta lam) per step, so the exponent is t; "
                    "for lam = 0 nothing changes",
                )


# ---- Coding exercise 2.3: the ridge (weight-decay) limit -------------------------------------


@check(
    "Coding exercise 2.3: the ridge limit",
    verified="stationary, zero on (AS)^perp, tends to W* as lam -> 0",
)
def check_ridge_map(ridge_map):
    for P, D, _ in _instances(23):
        m = P.m
        for lam in (1e-3, 0.1, 2.0):
            W = expect_shape(
                call(ridge_map, D.Syy.copy(), D.Sxy.copy(), lam), (P.d, m), "the ridge map is d x m"
            )
            res = np.linalg.norm(W @ (D.Syy + lam * np.eye(m)) - D.Sxy)
            if not res <= 1e-8 * max(1.0, np.linalg.norm(D.Sxy)):
                raise Mistake(
                    f"W (Syy + lam I) - Sxy = {res:.1e} != 0 at lam = {lam}: your W is "
                    "not a stationary point of the regularized risk",
                    contradicts=REF["thm-ridge"] + ", item 1",
                    hint="W_lam = Sxy (Syy + lam I)^(-1): add lam times the identity "
                    "(np.eye), not lam to every entry, and multiply on the right",
                )
            off = np.linalg.norm(P.project_perp(W))
            if not off <= 1e-8 * np.linalg.norm(W):
                raise Mistake(
                    "W_lam P_perp is not zero",
                    contradicts=REF["thm-ridge"] + ", item 2",
                    hint="W_lam = Sxy (Syy + lam I)^(-1)",
                )
        small = np.asarray(call(ridge_map, D.Syy.copy(), D.Sxy.copy(), 1e-9))
        expect_close(
            small,
            P.oracle,
            rtol=1e-6,
            what="as lam -> 0 the ridge map must tend to the oracle",
            contradicts=REF["thm-ridge"] + ", item 3",
            hint="W_lam = Sxy (Syy + lam I)^(-1)",
        )


# ---- the lab's headline checks (tests/test_headline_ch2.py feeds them wrong inputs) ----------


def closest_interpolant_gap(
    problem: InverseProblem,
    data: TrainingData,
    W_cand,
    W0,
    *,
    eps: float = 1e-2,
    n: int = 200,
    seed: int = 11,
) -> float:
    """Check item 2 of Theorem ``thm-gd-single``: ``W_cand`` is the interpolant closest to
    ``W0``. Competitors are the interpolants ``W_cand + eps * s * G P_perp`` with ``G``
    Gaussian, scaled so that ``s ||G P_perp||_F = ||W0 P_perp||_F`` (small moves in every
    direction of the affine set of interpolants). Returns the smallest gap
    ``||W_comp - W0||_F - ||W_cand - W0||_F`` over the competitors; raises ``AssertionError``
    if ``W_cand`` does not interpolate or if a competitor is closer (gap <= 0)."""
    W_cand, W0 = np.asarray(W_cand, dtype=float), np.asarray(W0, dtype=float)
    on = np.linalg.norm(W_cand @ problem.AR - problem.R) / np.linalg.norm(problem.R)
    assert on < 1e-8, f"the candidate does not interpolate (||W A R - R|| / ||R|| = {on:.1e})"
    rng = np.random.default_rng(seed)
    ref = max(float(np.linalg.norm(problem.project_perp(W0))), 1e-12)
    d_cand = float(np.linalg.norm(W_cand - W0))
    gap = np.inf
    for _ in range(n):
        GP = problem.project_perp(rng.standard_normal(W0.shape))
        comp = W_cand + eps * ref * GP / np.linalg.norm(GP)
        gap = min(gap, float(np.linalg.norm(comp - W0)) - d_cand)
    assert gap > 0, f"an interpolant is closer to W(0) than the candidate (gap {gap:.2e})"
    return gap


def frozen_law_error(
    problem: InverseProblem, W_t, W0, eta: float, lam: float, t: int, *, tol: float = 1e-12
) -> float:
    """Check Lemma A for one layer (``lem-frozen-single``) on a trained map ``W_t`` after ``t``
    steps: returns ``||W_t P_perp - (1 - eta lam)^t W0 P_perp||_F / ||W0 P_perp||_F`` and raises
    ``AssertionError`` if it exceeds ``tol`` (e.g. for a wrong exponent or step count)."""
    WP0 = problem.project_perp(np.asarray(W0, dtype=float))
    pred = (1.0 - eta * lam) ** t * WP0
    err = float(
        np.linalg.norm(problem.project_perp(np.asarray(W_t, dtype=float)) - pred)
        / np.linalg.norm(WP0)
    )
    assert err < tol, f"W(t) P_perp != (1 - eta lam)^t W(0) P_perp (relative error {err:.1e})"
    return err
