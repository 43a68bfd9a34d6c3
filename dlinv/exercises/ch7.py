"""Checks of Lab 7's coding exercises (Chapter 7: robustness and generalization).

* 7.1 the three terms of the error decomposition of a linear map under noise
  (Theorem 7.1, ``thm-error-decomposition``);
* 7.2 the noise gain of the oracle in closed form, ``sum_i sigma_i(AR)^{-2}``
  (Corollary 7.1, ``cor-ch7-baselines``, item 1), against Monte Carlo;
* 7.3 the weight decay that balances bias and residual off-subspace noise at a fixed budget
  (Proposition 7.4, ``prop-ch7-optimal-lambda``).
"""

from __future__ import annotations

import numpy as np

from .. import metrics, robustness
from ..problem import random_problem
from ._core import Mistake, call, check, expect_close, expect_shape, rng_for

__all__ = ["check_best_weight_decay", "check_error_terms", "check_oracle_noise_gain"]

DECOMP = "the error decomposition (Theorem 7.1)"
BASELINES = "the oracle's noise gain (Corollary 7.1, item 1)"
OPTIMUM = "the optimal weight decay (Proposition 7.4)"


def _instances(seed: int, count: int):
    """Small random problems ``(A, R, problem)`` of varied shapes."""
    g = rng_for(seed)
    for k in range(count):
        s = int(g.integers(1, 4))
        m = int(g.integers(s + 2, s + 8))
        d = int(g.integers(m + 2, m + 10))
        prob = random_problem(d, m, s, seed=1000 * seed + k)
        yield np.array(prob.A), np.array(prob.R), prob


def _three(value, what: str) -> tuple:
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise Mistake(
            f"your function returned {type(value).__name__}, expected three numbers {what}",
            hint="return a tuple (bias, on_noise, off_noise)",
        ) from None
    if len(out) != 3:
        raise Mistake(
            f"your function returned {len(out)} numbers, expected three {what}",
            hint="return a tuple (bias, on_noise, off_noise)",
        )
    if not all(np.isfinite(out)):
        raise Mistake(
            "your function returned NaN or infinite values", hint="look for a division by zero"
        )
    return out


@check(
    "Coding exercise 7.1: the error decomposition",
    verified="the three terms of Theorem 7.1 on 8 random maps,\n"
    "   their scaling in sigma, the oracle (no bias, no off-subspace\n"
    "   response) and sigma = 0",
)
def check_error_terms(error_terms):
    """``error_terms(W, A, R, sigma) -> (bias, on_noise, off_noise)`` for ``C = I_s``."""
    what = "(bias, on_noise, off_noise)"
    g = rng_for(71)
    for A, R, prob in _instances(71, 8):
        W = g.standard_normal((prob.d, prob.m)) / np.sqrt(prob.m)
        sigma = float(g.uniform(0.05, 0.5))
        b, on, off = _three(call(error_terms, W.copy(), A.copy(), R.copy(), sigma), what)
        _, on2, off2 = _three(call(error_terms, W.copy(), A.copy(), R.copy(), 2 * sigma), what)
        if not (np.isclose(on2, 4 * on, rtol=1e-8) and np.isclose(off2, 4 * off, rtol=1e-8)):
            raise Mistake(
                "doubling sigma did not multiply the noise terms by 4",
                contradicts=f"{DECOMP}: the noise terms are sigma^2 ||W P||_F^2",
                hint="E||W e||^2 = sigma^2 ||W||_F^2 for e ~ N(0, sigma^2 I): square sigma",
            )
        ref = metrics.error_decomposition(W, prob, sigma)
        if not np.isclose(on + off, ref["on_noise"] + ref["off_noise"], rtol=1e-8):
            raise Mistake(
                "on_noise + off_noise differs from sigma^2 ||W||_F^2",
                contradicts=f"{DECOMP}: P_AS + P_perp = I and P_AS P_perp = 0",
                hint="the two projectors must be orthogonal and add up to I_m; "
                "P_AS = (AR)(AR)^+ projects onto the range of A R (m x m)",
            )
        expect_close(
            b,
            ref["bias"],
            rtol=1e-8,
            what="the bias ||W A R - R||_F^2",
            contradicts=f"{DECOMP}: the bias on S is ||(W A R - R) C^(1/2)||_F^2",
            hint="for C = I the bias is the squared Frobenius norm of W A R - R",
        )
        expect_close(
            on,
            ref["on_noise"],
            rtol=1e-8,
            what="the noise through A S",
            contradicts=f"{DECOMP}: on_noise = sigma^2 ||W P_AS||_F^2",
            hint="project onto range(A R) on the RIGHT of W; did you swap on and off?",
        )
        expect_close(
            off,
            ref["off_noise"],
            rtol=1e-8,
            what="the off-subspace noise",
            contradicts=f"{DECOMP}: off_noise = sigma^2 ||W P_perp||_F^2",
            hint="P_perp = I_m - P_AS",
        )
    for A, R, prob in _instances(72, 3):
        b, on, off = _three(call(error_terms, np.array(prob.oracle), A, R, 0.3), what)
        if abs(b) > 1e-8 or abs(off) > 1e-8:
            raise Mistake(
                f"for the oracle R (AR)^+ you found bias {b:.2e} and off-subspace "
                f"noise {off:.2e}, both should be 0",
                contradicts=f"{BASELINES}: the oracle is exact on S and has no "
                "off-subspace response",
            )
        _, on0, off0 = _three(call(error_terms, np.array(prob.pinv), A, R, 0.0), what)
        if on0 != 0 or off0 != 0:
            raise Mistake(
                "with sigma = 0 the noise terms are not 0",
                contradicts=DECOMP,
                hint="multiply the noise terms by sigma^2",
            )


@check(
    "Coding exercise 7.2: the oracle's noise gain",
    verified="sum_i sigma_i(AR)^(-2) = ||R (AR)^+||_F^2 on 8 random\n"
    "   problems, its scaling under A -> 2A, and a Monte Carlo\n"
    "   estimate (Corollary 7.1, item 1)",
)
def check_oracle_noise_gain(oracle_noise_gain):
    """``oracle_noise_gain(A, R) -> float``: ``E||W* e||^2 / sigma^2 = sum_i sigma_i(AR)^{-2}``."""
    for A, R, prob in _instances(73, 8):
        gain = call(oracle_noise_gain, A.copy(), R.copy())
        gain = float(expect_shape(gain, (), "the gain is one number"))
        gain2 = float(
            expect_shape(call(oracle_noise_gain, 2 * A, R.copy()), (), "the gain is one number")
        )
        if gain > 0 and not np.isclose(gain2, gain / 4, rtol=1e-8):
            ratio = gain2 / gain
            raise Mistake(
                f"replacing A by 2A multiplied your gain by {ratio:.3g}, not 1/4",
                contradicts=f"{BASELINES}: the gain is sum_i sigma_i^(-2), homogeneous "
                "of degree -2 in A",
                hint="use the singular values of A R with exponent -2",
            )
        pinv_gain = float(np.trace(np.linalg.inv(A @ A.T)))
        exact = float(np.sum(np.array(prob.oracle) ** 2))
        if np.isclose(gain, pinv_gain, rtol=1e-8) and not np.isclose(gain, exact, rtol=1e-8):
            raise Mistake(
                "you returned tr(A A^T)^(-1), the noise gain of the pseudo-inverse A^+",
                contradicts=f"{BASELINES}: the oracle amplifies noise only through A S",
                hint="take the singular values of A R (m x s), not of A",
            )
        expect_close(
            gain,
            exact,
            rtol=1e-8,
            what="the gain against ||R (AR)^+||_F^2",
            contradicts=BASELINES,
            hint="E||W e||^2 = sigma^2 ||W||_F^2 and ||R M||_F = ||M||_F for R with "
            "orthonormal columns",
        )
    A, R, prob = next(_instances(74, 1))
    g = rng_for(74)
    E = g.standard_normal((prob.m, 20000))
    mc = float(np.mean(np.sum((np.array(prob.oracle) @ E) ** 2, axis=0)))
    gain = float(call(oracle_noise_gain, A, R))
    if abs(mc / gain - 1) > 0.05:
        raise Mistake(f"Monte Carlo gives {mc:.3f}, your formula {gain:.3f}", contradicts=BASELINES)


@check(
    "Coding exercise 7.3: the best weight decay at a fixed budget",
    verified="the minimizer of l^2 beta^2 + sigma^2 c^2 exp(-2 r l)\n"
    "   over l = lambda >= 0 on 10 random instances, and sigma = 0\n"
    "   (Proposition 7.4)",
)
def check_best_weight_decay(best_weight_decay):
    """``best_weight_decay(beta, c, rate, noise) -> float``."""
    g = rng_for(75)
    for _ in range(10):
        beta, c = float(g.uniform(0.5, 5)), float(g.uniform(1, 20))
        rate, noise = float(g.uniform(10, 500)), float(g.uniform(0.01, 0.3))
        lam = float(
            expect_shape(call(best_weight_decay, beta, c, rate, noise), (), "lambda* is one number")
        )
        ref = robustness.tradeoff_optimum(beta=beta, c=c, rate=rate, noise=noise)

        def f(x, beta=beta, c=c, rate=rate, noise=noise):
            return x**2 * beta**2 + noise**2 * c**2 * np.exp(-2 * rate * x)

        if lam < 0:
            raise Mistake(
                f"you returned lambda = {lam:.3g} < 0",
                contradicts=OPTIMUM,
                hint="the weight decay is searched on [0, inf)",
            )
        if f(lam) > f(ref) * (1 + 1e-6) + 1e-15:
            slope = 2 * lam * beta**2 - 2 * rate * noise**2 * c**2 * np.exp(-2 * rate * lam)
            side = "too small (f is still decreasing)" if slope < 0 else "too large (f increases)"
            raise Mistake(
                f"f(lambda) = {f(lam):.4g} at your lambda = {lam:.4g}, but "
                f"f = {f(ref):.4g} at {ref:.4g}: your lambda is {side}",
                contradicts=f"{OPTIMUM}: f is strictly convex, its minimizer solves f'(lambda) = 0",
                hint="f'(lambda) = 2 lambda beta^2 - 2 r sigma^2 c^2 exp(-2 r lambda); "
                "with u = 2 r lambda this is u e^u = 2 r^2 sigma^2 c^2 / beta^2",
            )
        expect_close(
            lam,
            ref,
            rtol=1e-5,
            what="lambda* against the Lambert-W formula",
            contradicts=OPTIMUM,
            hint="solve f'(lambda) = 0 to full precision",
        )
    zero = float(call(best_weight_decay, 2.0, 5.0, 100.0, 0.0))
    if abs(zero) > 1e-12:
        raise Mistake(
            f"with sigma = 0 you returned lambda = {zero:.3g}, expected 0",
            contradicts=f"{OPTIMUM}: without test noise there is nothing to trade the bias against",
        )
