"""Checks for the coding exercises of Lab 4 (the geometry of weight decay).

* 4.1 :func:`check_representation_cost`: the representation cost ``(L/2) sum_i sigma_i^{2/L}``
  of a matrix from its singular values (Lemma E).
* 4.2 :func:`check_nonzero_minimizer`: the nonzero local minimizer ``w_+`` of the scalar
  per-mode objective ``f_sigma`` (eq. ``eq-scalar-problem``, Proposition ``prop-collapse``).
* 4.3 :func:`check_collapse_thresholds`: the local and global collapse thresholds ``c_L`` and
  ``c*_L`` found by bisection on the scalar objective.
* 4.4 :func:`check_two_layer_limit`: the closed-form regularized limit for ``L = 2``
  (soft-thresholding of the gains, Theorem ``thm-regularized-limit``).

Results are named as the book numbers them (Lemma E is Lemma 4.2 on the rendered page, etc.).
"""

from __future__ import annotations

import textwrap

import numpy as np

from .. import theory
from ..collapse import stationary_points
from ..network import balanced_factorization
from ..problem import random_problem
from ..representation import factorization_cost, random_factorization
from ._core import Mistake as _Mistake
from ._core import call, check, expect_shape, rng_for

__all__ = [
    "check_collapse_thresholds",
    "check_nonzero_minimizer",
    "check_representation_cost",
    "check_two_layer_limit",
    "thresholds_by_bisection",
]

LEMMA_E = "Lemma E (Lemma 4.2): the cheapest factorization costs (L/2) sum_i sigma_i^(2/L)"
PROP_COLLAPSE = "the collapse thresholds (Proposition 4.6)"
THM_L2 = "the regularized solution for one and two layers (Theorem 4.2)"
PROP_REDUCTION = "the reduction to the subspace (Proposition 4.3, part 2)"


def _wrap(text: str, prefix: int) -> str:
    """Wrap ``text`` so that, printed after a prefix of ``prefix`` characters, no line of the
    feedback is longer than 74 characters (continuation lines indented by 5): it fits the
    page column without scrolling."""
    if not text:
        return text
    filled = textwrap.fill(
        text,
        width=74,
        initial_indent="x" * prefix,
        subsequent_indent=" " * 5,
        break_on_hyphens=False,
    )
    return filled[prefix:]


def Mistake(what: str, *, contradicts: str = "", hint: str = "") -> _Mistake:
    """A :class:`dlinv.exercises.Mistake` whose printed lines fit in 79 characters."""
    return _Mistake(_wrap(what, 15), contradicts=_wrap(contradicts, 21), hint=_wrap(hint, 9))


def _close(a, b, rtol: float) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.linalg.norm(a - b) <= rtol * max(float(np.linalg.norm(b)), 1e-300))


def _scalar(value, meaning: str) -> float:
    arr = np.asarray(value, dtype=float)
    if arr.shape != () and arr.size != 1:
        raise Mistake(
            f"your function returned an array of shape {arr.shape}, expected one number: {meaning}",
            hint="return a float, e.g. float(total)",
        )
    x = float(arr.reshape(()))
    if not np.isfinite(x):
        raise Mistake(
            "your function returned NaN or an infinite value",
            hint="look for 0 ** (negative power) or a division by zero",
        )
    return x


# ------------------------------------------------------------------ 4.1 representation cost
def _cost(W, depth: int, exponent: float, factor: float) -> float:
    sig = np.linalg.svd(np.atleast_2d(W), compute_uv=False)
    sig = sig[sig > (sig[0] if sig.size else 0.0) * 1e-12] if sig.size and sig[0] > 0 else sig[:0]
    return factor * float(np.sum(sig**exponent))


def _cost_unthresholded(W, depth: int) -> float:
    sig = np.linalg.svd(np.atleast_2d(W), compute_uv=False)
    return 0.5 * depth * float(np.sum(sig ** (2.0 / depth)))


@check(
    "Coding exercise 4.1: the representation cost",
    verified=_wrap(
        "(L/2) sum_i sigma_i(W)^(2/L) for L = 1, 2, 3, 5, 8 on random matrices of several "
        "shapes and ranks, the zero matrix; balanced factorizations attain it and no "
        "random factorization costs less (Lemma E)",
        13,
    ),
)
def check_representation_cost(representation_cost):
    g = rng_for(41)
    cases = []
    for L in (1, 2, 3, 5, 8):
        for shape, rank in (((4, 3), 3), ((6, 8), 6), ((7, 5), 2)):
            W = g.standard_normal((shape[0], rank)) @ g.standard_normal((rank, shape[1]))
            cases.append((W, L, rank))
    for W, L, rank in cases:
        value = _scalar(call(representation_cost, W.copy(), L), "the cost C_L(W)")
        expected = _cost(W, L, 2.0 / L, 0.5 * L)
        rtol = 1e-8 if rank == min(W.shape) else 1e-6
        if _close(value, expected, rtol):
            continue
        if _close(value, _cost(W, L, 1.0 / L, 0.5 * L), 1e-6):
            raise Mistake(
                f"at depth L = {L} your cost uses the exponent 1/L",
                contradicts=LEMMA_E,
                hint="each balanced factor has singular values sigma_i^(1/L), and the "
                "cost squares them: the exponent is 2/L",
            )
        if _close(value, _cost(W, L, 2.0 / L, 1.0), 1e-6):
            raise Mistake(
                f"at depth L = {L} your cost is sum_i sigma_i^(2/L) without the factor L/2",
                contradicts=LEMMA_E,
                hint="each of the L layers contributes (1/2) sum_i sigma_i^(2/L)",
            )
        if rank < min(W.shape) and _close(value, _cost_unthresholded(W, L), 1e-9):
            raise Mistake(
                f"at L = {L}, for a {W.shape[0]}x{W.shape[1]} matrix of rank {rank}, your "
                "cost counts the rounding-level singular values (about 1e-15)",
                contradicts="the infinite slope of sigma^(2/L) at 0 (Lemma E, L >= 3): "
                "(1e-15)^(2/L) is not small",
                hint="treat singular values below sigma_1 * max(W.shape) * machine "
                "epsilon as exact zeros",
            )
        if L == 1 and not _close(value, 0.5 * float(np.sum(W**2)), 1e-8):
            raise Mistake(
                "for L = 1 the cost must be the ridge penalty (1/2)||W||_F^2",
                contradicts=LEMMA_E,
                hint="(L/2) sum sigma_i^2 = (1/2)||W||_F^2 at L = 1",
            )
        raise Mistake(
            f"C_L(W) at L = {L} for a {W.shape[0]}x{W.shape[1]} matrix of rank {rank}: "
            f"got {value:.6g}, expected {expected:.6g}",
            contradicts=LEMMA_E,
            hint="compute the singular values with np.linalg.svd(W, compute_uv=False)",
        )
    # the defining property: a balanced factorization attains the value, random ones cost more
    W = g.standard_normal((5, 2)) @ g.standard_normal((2, 4))
    for L in (2, 3, 5):
        value = _scalar(call(representation_cost, W.copy(), L), "the cost C_L(W)")
        bal = factorization_cost(balanced_factorization(W, depth=L, width=3, seed=L))
        worst = min(
            factorization_cost(random_factorization(W, depth=L, width=3, seed=10 * L + k))
            for k in range(5)
        )
        if not (_close(value, bal, 1e-6) and worst >= value * (1 - 1e-9)):
            raise Mistake(
                f"at L = {L} your value {value:.6g} is not the cost {bal:.6g} of a "
                f"balanced factorization",
                contradicts=LEMMA_E,
                hint="balanced factorizations attain the minimum",
            )
    zero = _scalar(call(representation_cost, np.zeros((3, 4)), 3), "the cost of the zero map")
    if abs(zero) > 1e-12:
        raise Mistake(
            f"the zero matrix must cost 0, got {zero:.3g}",
            contradicts=LEMMA_E,
            hint="0 ** (2/L) is 0; do not add a constant per singular value",
        )


# ------------------------------------------------------------------ 4.2 nonzero minimizer
def _fprime(w, sigma, lam, L):
    return sigma * (sigma * w - 1.0) + lam * w ** (2.0 / L - 1.0)


@check(
    "Coding exercise 4.2: the nonzero minimizer w_+",
    verified=_wrap(
        "w_+ solves f'(w) = 0 with f'' > 0 (a local minimum, not the local maximum w_-), "
        "agrees with the closed branch to 1e-8 for L = 3..8, also between c*_L and c_L "
        "(metastable), and is 0 beyond c_L (Proposition 4.6)",
        13,
    ),
)
def check_nonzero_minimizer(nonzero_minimizer):
    g = rng_for(42)
    cases = []
    for L in (3, 4, 5, 8):
        cL, cs = theory.collapse_threshold(L), theory.global_collapse_threshold(L)
        for tau in (0.3 * cs, 0.9 * cs, 0.5 * (cs + cL), 0.97 * cL, float(g.uniform(0.01, cs))):
            cases.append((float(g.uniform(0.3, 2.0)), tau, L))
    for sigma, tau, L in cases:
        lam = tau * sigma ** (2.0 / L)
        w = _scalar(call(nonzero_minimizer, sigma, lam, L), "the gain w_+")
        w_minus, w_plus = (float(x) for x in stationary_points(sigma, lam, L))
        cs = theory.global_collapse_threshold(L)
        where = f"sigma = {sigma:.3f}, lambda = {lam:.4f}, L = {L} (tau = {tau:.3f})"
        if _close(w, w_plus, 1e-8):
            continue
        if w_minus > 0 and _close(w, w_minus, 1e-6):
            raise Mistake(
                f"at {where} you returned w_- = {w:.5f}, the local MAXIMUM (the basin boundary)",
                contradicts=PROP_COLLAPSE + ", part 2",
                hint="u + tau u^(-q) = 1 has two roots; w_+ is the larger one, in "
                "[u_0, 1] with u_0 = (q tau)^(1/(1+q))",
            )
        if w == 0.0 and tau > cs:
            raise Mistake(
                f"at {where} you returned 0, the global minimizer; the nonzero local "
                "minimizer still exists for c*_L < tau < c_L",
                contradicts=PROP_COLLAPSE + ", part 2 (local threshold c_L)",
                hint="decide existence with c_L, not with the global threshold c*_L",
            )
        if w > 0 and abs(_fprime(w, sigma, lam, L)) > 1e-6 * sigma:
            raise Mistake(
                f"at {where}: f'(w) = {_fprime(w, sigma, lam, L):.2e} is not 0 at your w = {w:.5f}",
                contradicts="the stationarity equation u + tau u^(-q) = 1 (Proposition 4.5)",
                hint="f'(w) = sigma (sigma w - 1) + lambda w^(2/L - 1); check the "
                "exponent 2/L and tau = lambda sigma^(-2/L)",
            )
        raise Mistake(
            f"at {where}: got {w:.6g}, expected w_+ = {w_plus:.6g}",
            contradicts=PROP_COLLAPSE,
            hint="solve for u = sigma w, then return w = u / sigma",
        )
    for L in (3, 5):
        sigma = 1.3
        lam = 1.02 * theory.collapse_threshold(L) * sigma ** (2.0 / L)
        w = _scalar(call(nonzero_minimizer, sigma, lam, L), "the gain w_+")
        if w != 0.0:
            raise Mistake(
                f"beyond c_L (L = {L}, tau = 1.02 c_L) you returned {w:.4g}; no nonzero "
                "stationary point exists there, return 0.0",
                contradicts=PROP_COLLAPSE + ", part 2",
                hint="h(u) = u + tau u^(-q) has minimum h(u_0) > 1 beyond c_L",
            )
    w = _scalar(call(nonzero_minimizer, 0.8, 1e-9, 5), "the gain w_+")
    if not _close(w, 1 / 0.8, 1e-6):
        raise Mistake(
            f"for lambda -> 0 the gain must tend to the oracle gain 1/sigma = 1.25, got {w:.6g}",
            contradicts="the small-lambda expansion (Proposition 4.5)",
            hint="u(0) = 1: without weight decay the map inverts sigma exactly",
        )


# ------------------------------------------------------------------ 4.3 thresholds by bisection
def thresholds_by_bisection(depth: int, exponent: float | None = None) -> tuple[float, float]:
    """``(c_L, c*_L)`` computed numerically from the scalar objective in ``u = sigma w``,
    ``phi(u) = (1/2)(u - 1)^2 + (tau L / 2) u^p`` with ``p = exponent`` (default ``2/L``).

    ``c_L``: the largest ``tau`` at which ``phi'`` has a positive zero (bisection on
    ``min_u phi'(u) <= 0`` over a fine grid); ``c*_L``: the ``tau`` at which
    ``min_{u>0} phi(u) = phi(0)`` (bisection). Used by the check of Exercise 4.3 to recognise a
    wrong exponent, and as a reference independent of the closed forms.
    """
    p = 2.0 / depth if exponent is None else float(exponent)
    u = np.linspace(1e-6, 1.0, 200001)

    def has_stationary(tau):
        return bool(np.min(u - 1.0 + 0.5 * tau * depth * p * u ** (p - 1.0)) <= 0.0)

    def nonzero_wins(tau):
        return bool(np.min(0.5 * (u - 1.0) ** 2 + 0.5 * tau * depth * u**p) < 0.5)

    def bisect(pred):
        lo, hi = 0.0, 2.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if pred(mid) else (lo, mid)
        return 0.5 * (lo + hi)

    return bisect(has_stationary), bisect(nonzero_wins)


@check(
    "Coding exercise 4.3: collapse thresholds by bisection",
    verified=_wrap(
        "c_L and c*_L agree with the closed forms of Proposition 4.6 to 1e-5 for "
        "L = 3, 4, 5, 8 (c*_3 = 0.397, c*_5 = 0.210), c*_L < c_L, and at c*_L the nonzero "
        "minimizer ties with 0 at sigma w = (L-2)/(L-1)",
        13,
    ),
)
def check_collapse_thresholds(collapse_thresholds):
    for L in (3, 4, 5, 8):
        out = call(collapse_thresholds, L)
        arr = expect_shape(np.asarray(out, dtype=float), (2,), "the pair (c_L, c*_L)")
        c_loc, c_glob = float(arr[0]), float(arr[1])
        cL, cs = theory.collapse_threshold(L), theory.global_collapse_threshold(L)
        if _close(c_loc, cL, 1e-5) and _close(c_glob, cs, 1e-5):
            continue
        if _close(c_loc, cs, 1e-4) and _close(c_glob, cL, 1e-4):
            raise Mistake(
                f"L = {L}: local and global thresholds are swapped",
                contradicts=PROP_COLLAPSE + ": c*_L < c_L",
                hint="c_L is where the nonzero local minimizer disappears; c*_L < c_L "
                "is where it stops being global (f(w_+) = f(0))",
            )
        if _close(c_loc, cL, 1e-4) and _close(c_glob, cL, 1e-3):
            raise Mistake(
                f"L = {L}: your global threshold {c_glob:.4f} is the local one c_L",
                contradicts=PROP_COLLAPSE + ", part 3",
                hint="bisect on the sign of f(w_+) - f(0), not on the existence of w_+",
            )
        wrong = thresholds_by_bisection(L, exponent=1.0 / L)
        if _close([c_loc, c_glob], wrong, 1e-3):
            raise Mistake(
                f"L = {L}: your thresholds ({c_loc:.4f}, {c_glob:.4f}) are those of the "
                "penalty w^(1/L)",
                contradicts=LEMMA_E + " (the penalty is w^(2/L))",
                hint="f(w) = (1/2)(sigma w - 1)^2 + (lambda L / 2) w^(2/L)",
            )
        raise Mistake(
            f"L = {L}: got (c_L, c*_L) = ({c_loc:.6f}, {c_glob:.6f}), expected "
            f"({cL:.6f}, {cs:.6f})",
            contradicts=PROP_COLLAPSE,
            hint="bisect on tau with sigma = 1: for c_L on 'a positive root of "
            "f'(w) = 0 exists', for c*_L on 'min_{w>0} f(w) < f(0) = 1/2'",
        )


# ------------------------------------------------------------------ 4.4 the L = 2 limit
def _nuclear_objective(W, prob, lam):
    return 0.5 * float(np.sum((W @ prob.AR - prob.R) ** 2)) + lam * float(
        np.sum(np.linalg.svd(W, compute_uv=False))
    )


@check(
    "Coding exercise 4.4: the two-layer limit",
    verified=_wrap(
        "W = R V diag(max(0, (sigma_i - lambda)/sigma_i^2)) U^T on random problems "
        "(some directions thresholded, all, none), W P_perp = 0, and no small "
        "perturbation lowers (1/2)||W A R - R||_F^2 + lambda ||W||_* (Theorem 4.2)",
        13,
    ),
)
def check_two_layer_limit(two_layer_limit):
    g = rng_for(44)
    for k, (d, m, s) in enumerate(((12, 8, 3), (20, 10, 4), (10, 9, 2))):
        prob = random_problem(d, m, s, seed=100 + k)
        sig = prob.singular_values
        for lam in (1e-3, 0.5 * (sig[0] + sig[-1]), 0.9 * sig[-1], 1.2 * sig[0]):
            W = expect_shape(
                call(two_layer_limit, prob.AR.copy(), prob.R.copy(), float(lam)),
                (d, m),
                "the limit maps measurements (m) to signals (d)",
            )
            expected = theory.regularized_limit(prob, lam, 2)
            where = f"d, m, s = {d}, {m}, {s}, lambda = {lam:.3g} (sigma_i = {np.round(sig, 3)})"
            if _close(W, expected, 1e-8) or (
                np.linalg.norm(expected) == 0 and np.linalg.norm(W) < 1e-12
            ):
                continue
            if np.linalg.norm(W @ prob.P_perp) > 1e-8 * max(1.0, np.linalg.norm(W)):
                raise Mistake(
                    f"at {where}: W P_perp != 0, your map responds to directions outside A S",
                    contradicts=PROP_REDUCTION,
                    hint="build W from R, V and U^T of the SVD A R = U Sigma V^T",
                )
            if _close(W, theory.regularized_limit(prob, lam, 1), 1e-6):
                raise Mistake(
                    f"at {where}: this is the ridge (L = 1) solution sigma/(sigma^2 + lambda)",
                    contradicts=THM_L2,
                    hint="for L = 2 the penalty is the nuclear norm: soft-thresholding",
                )
            raw = prob.R @ (prob.V * ((sig - lam) / sig**2)) @ prob.U.T
            if _close(W, raw, 1e-6):
                raise Mistake(
                    f"at {where}: your gains (sigma_i - lambda)/sigma_i^2 go negative "
                    "where lambda > sigma_i",
                    contradicts=THM_L2,
                    hint="the minimizer on w >= 0 is max(0, (sigma_i - lambda)/sigma_i^2)",
                )
            F0 = _nuclear_objective(W, prob, lam)
            better = [
                _nuclear_objective(W + 1e-4 * g.standard_normal(W.shape), prob, lam) < F0 - 1e-12
                for _ in range(5)
            ]
            raise Mistake(
                f"at {where}: your map differs from W_lambda (relative error "
                f"{np.linalg.norm(W - expected) / max(np.linalg.norm(expected), 1e-300):.1e})"
                + ("; a random perturbation lowers the objective" if any(better) else ""),
                contradicts=THM_L2,
                hint="W = R V diag(w_i) U^T with w_i = max(0, (sigma_i - lambda)/sigma_i^2)",
            )
