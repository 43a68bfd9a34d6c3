"""Checks for the coding exercises of Lab 5 (Chapter 5: global convergence in three phases).

* :func:`check_mode_step`: one gradient step of a scalar mode from a spectral initialization
  (Theorem ``thm-ch5-aligned``, eq. ``eq-ch5-mode``), and its fixed point.
* :func:`check_offsubspace_bound`: the phase-3 bound ``B (1 - eta lam)^t ||W_1(0) P_perp||_F``
  (Theorem ``thm-phase3``, eq. ``eq-phase3-bound``).
* :func:`check_phase3_time`: the time after which that bound is below ``eps``
  (eq. ``eq-phase3-time``).
* :func:`check_pl_ratio`: the PL ratio ``||grad l(W)||^2 / (2 l(W))`` at given weights
  (Lemma ``lem-ch5-pl``).

The theorem numbers quoted in the feedback are those of the rendered book.
"""

from __future__ import annotations

import numpy as np

from .. import convergence as cv
from .. import theory
from ..network import gradients, init_weights
from ..problem import make_training_data, random_problem
from ._core import Mistake, call, check, expect_close, expect_shape, rng_for

__all__ = ["check_mode_step", "check_offsubspace_bound", "check_phase3_time", "check_pl_ratio"]

ALIGNED = "the aligned-case theorem (Theorem 5.1)"
PHASE3 = "the phase-3 theorem (Theorem 5.4), with Lemma A (Lemma 3.1)"
PL = "the PL inequality (Lemma 5.2)"


@check(
    "Coding exercise 5.1: one gradient step of a scalar mode",
    verified="one matrix GD step from a spectral start; chapter 4's limit\n"
    "   is a fixed point (aligned-case theorem, items 1 and 2)",
)
def check_mode_step(mode_step):
    rng = rng_for(51)
    # 1. zero is a fixed point, for every depth
    for L in (2, 3, 5):
        out = expect_shape(
            call(mode_step, np.zeros(3), np.array([1.2, 0.9, 0.5]), 0.1, L, 0.05),
            (3,),
            "one new gain per mode",
        )
        if np.any(out != 0):
            raise Mistake(
                "a = 0 is not mapped to 0",
                contradicts=ALIGNED,
                hint="every term of the update contains a factor a",
            )
    # 2. the nonzero-branch limit a_+ = w_+^{1/L} is a fixed point
    for L in (2, 3, 4, 6):
        sigma = rng.uniform(0.6, 2.0, size=4)
        lam = 0.05
        a_plus = theory.spectral_limit(sigma, lam, L, branch="nonzero") ** (1.0 / L)
        out = expect_shape(
            call(mode_step, a_plus, sigma, lam, L, 0.05), (4,), "one new gain per mode"
        )
        expect_close(
            out,
            a_plus,
            rtol=1e-9,
            what=f"L = {L}: the regularized limit of chapter 4 is not a fixed point",
            contradicts=ALIGNED + ", item 2",
            hint="the weight-decay term is lambda a (layer weight decay), not "
            "lambda a^(2/L - 1); the data term has a^(L-1)",
        )
    # 3. agreement with one step of matrix gradient descent from a spectral initialization
    for seed, L in ((1, 2), (2, 3), (3, 4)):
        prob = random_problem(12, 8, 3, seed=seed)
        data = make_training_data(prob, 40, seed=seed, whiten=True)
        a0 = rng.uniform(0.3, 1.5, size=3)
        Ws, frames, _ = cv.aligned_weights(prob, width=6, depth=L, a0=a0, seed=seed)
        eta, lam = 0.07, 0.03
        g = gradients(Ws, data, lam)
        W_new = Ws[-1] - eta * g[-1]
        expected = np.diag(frames[L].T @ W_new @ frames[L - 1])
        out = expect_shape(
            call(mode_step, a0, prob.singular_values, lam, L, eta), (3,), "one new gain per mode"
        )
        expect_close(
            out,
            expected,
            rtol=1e-9,
            what=f"L = {L}: your step differs from one matrix gradient step read in the "
            "aligned frames",
            contradicts=ALIGNED + ", item 1",
            hint="a <- a - eta (sigma (sigma a^L - 1) a^(L-1) + lambda a); check the sign "
            "and that the step is eta, not eta/L",
        )


@check(
    "Coding exercise 5.3: the phase-3 bound",
    verified="B (1 - eta lambda)^t ||W_1(0) P_perp||_F on random\n"
    "   instances, with the projector onto the complement of A S",
)
def check_offsubspace_bound(offsubspace_bound):
    rng = rng_for(52)
    for k in range(6):
        m, s, w = 10 + k, 2 + k % 3, 7
        U, _ = np.linalg.qr(rng.standard_normal((m, s)))
        W1 = rng.standard_normal((w, m)) / np.sqrt(m)
        eta, lam, B = 0.05, 0.1 * (k + 1), 1.0 + k
        t = np.arange(0, 200, 7)
        first = np.linalg.norm(W1 - (W1 @ U) @ U.T)
        expected = B * first * (1 - eta * lam) ** t
        out = expect_shape(
            call(offsubspace_bound, t, eta, lam, B, W1, U), t.shape, "one bound per step t"
        )
        if abs(out[0] - B * first) > 1e-9 * B * first:
            raise Mistake(
                f"at t = 0 the bound is {out[0]:.4g}, expected B ||W_1(0) P_perp||_F = "
                f"{B * first:.4g}",
                contradicts=PHASE3,
                hint="P_perp = I - U U^T projects onto the complement of A S; apply it "
                "on the right of W_1(0)",
            )
        expect_close(
            out,
            expected,
            rtol=1e-9,
            what="the decay in t is not (1 - eta lambda)^t",
            contradicts=PHASE3,
            hint="Lemma A: the first layer's off-subspace part shrinks by exactly "
            "(1 - eta lambda) per step (not squared, not e^(-eta lambda t))",
        )


@check(
    "Coding exercise 5.4: the predicted phase-3 time",
    verified="T_3 = log(B ||W_1(0) P_perp||_F / eps) / (eta lambda),\n"
    "   and 0 when the bound starts below eps",
)
def check_phase3_time(phase3_time):
    rng = rng_for(53)
    for _ in range(8):
        eta, lam = rng.uniform(0.005, 0.1), rng.uniform(0.001, 0.2)
        B, off0, eps = rng.uniform(1, 5), rng.uniform(1, 30), 10.0 ** rng.uniform(-4, -1)
        T = float(call(phase3_time, eta, lam, eps, B, off0))
        expected = np.log(B * off0 / eps) / (eta * lam)
        expect_close(
            T,
            expected,
            rtol=1e-9,
            what="the predicted time",
            contradicts=PHASE3 + ", eq. for T_3",
            hint="solve B off0 exp(-eta lambda t) = eps for t (use (1 - x)^t <= e^(-x t))",
        )
        bound_at_T = B * off0 * (1 - eta * lam) ** np.ceil(T)
        if bound_at_T > eps * (1 + 1e-9):
            raise Mistake("at your T_3 the bound is still above eps", contradicts=PHASE3)
    if float(call(phase3_time, 0.1, 0.1, 10.0, 1.0, 2.0)) != 0.0:
        raise Mistake(
            "the bound starts below eps (B off0 = 2 <= eps = 10) but T_3 is not 0",
            contradicts=PHASE3,
            hint="return max(0, ...): no steps are needed",
        )


@check(
    "Coding exercise 5.2: the PL ratio at given weights",
    verified="||grad l(W)||^2 / (2 l(W)) on networks of depth 1 to 4,\n"
    "   never below nu(W), the bound valid for every residual",
)
def check_pl_ratio(pl_ratio):
    for seed, (L, w) in enumerate(((1, None), (2, 9), (3, 12), (4, 8))):
        prob = random_problem(10, 7, 3, seed=seed)
        data = make_training_data(prob, 30, seed=seed, whiten=True)
        Ws = init_weights(10, 7, width=w, depth=L, seed=seed)
        out = float(call(pl_ratio, list(Ws), np.array(data.Y), np.array(data.X)))
        expected = cv.pl_ratio(Ws, data)
        nu = cv.sharp_pl_constant(Ws, prob, data)
        if out < nu * (1 - 1e-9):
            raise Mistake(
                f"L = {L}: your ratio {out:.4g} is below nu(W) = {nu:.4g}",
                contradicts=PL + ": ||grad l||^2 >= 2 nu(W) l(W) for every residual",
                hint="sum ||g_j||^2 over all layers, g_j = W_{L:j+1}^T G W_{j-1:1}^T; "
                "divide by 2 l with l = ||W_{L:1} Y - X||_F^2 / (2N)",
            )
        expect_close(
            out,
            expected,
            rtol=1e-8,
            what=f"L = {L}: the ratio",
            contradicts=PL,
            hint="G = (W_{L:1} Y - X) Y^T / N; the gradient of layer j is "
            "W_{L:j+1}^T G W_{j-1:1}^T (mind the transposes and the 1/N)",
        )
