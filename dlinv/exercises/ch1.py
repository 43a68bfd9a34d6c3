"""Checks for the coding exercises of Lab 1 (Chapter 1: inverse problems and solution maps).

Each ``check_*`` runs the student's function on random Gaussian problems and edge cases and
says, in the chapter's terms, what is wrong (see :mod:`dlinv.exercises._core`). The
``*_claims`` functions are the lab's checks of the chapter's headline claims, written as
functions so that ``tests/test_headline_ch1.py`` can show that they fail on a wrong input.
"""

from __future__ import annotations

import numpy as np

from ..problem import InverseProblem, random_problem
from ._core import Mistake, call, check, expect_close, expect_shape, rng_for

__all__ = [
    "REF",
    "check_expected_error",
    "check_oracle_map",
    "check_pinv_error",
    "oracle_claims",
    "smallest_exact_claims",
]

#: the chapter's results as the book numbers them (labels in chapters/01-inverse-problems)
REF = {
    "thm-minnorm": "the minimum-norm solution (Theorem 1.1)",
    "thm-oracle-exact": "the oracle is exact on S and blind to (AS)^perp (Theorem 1.3)",
    "def-oracle": "the definition of the oracle (Definition 1.3)",
    "lem-ch1-test-error": "the error of a linear solution operator (Lemma 1.1)",
    "thm-noise-amplification": "noise amplification (Theorem 1.4)",
    "thm-oracle-min": "the oracle is the smallest exact solution operator (Theorem 1.5)",
}


def _problems(seed: int):
    """Random Gaussian problems of several shapes, and the 3-d example of the chapter."""
    g = rng_for(seed)
    out = [
        random_problem(d, m, s, seed=int(g.integers(1 << 31)))
        for d, m, s in [(12, 7, 3), (30, 20, 1), (9, 8, 7), (40, 25, 5)]
    ]
    A3 = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    out.append(InverseProblem(A3, np.ones((3, 1)) / np.sqrt(3.0)))
    return out


# ---- Coding exercise 1.1: the oracle map -----------------------------------------------------


@check(
    "Coding exercise 1.1: the oracle map",
    verified="W A R = R and W P_perp = 0 on 5 problems (s = 1 to m - 1)",
)
def check_oracle_map(oracle_map):
    for P in _problems(11):
        W = expect_shape(
            call(oracle_map, P.A.copy(), P.R.copy()),
            (P.d, P.m),
            "the map sends measurements (m) to signals (d), so it is d x m",
        )
        on = np.linalg.norm(W @ P.AR - P.R) / np.linalg.norm(P.R)
        if not on < 1e-8:
            raise Mistake(
                f"W A R differs from R (relative error {on:.1e}, d={P.d}, m={P.m}, "
                f"s={P.s}): your map is not exact on S",
                contradicts=REF["thm-oracle-exact"] + ", part 1",
                hint="the oracle inverts A only on S: R (A R)^+, with the "
                "pseudo-inverse of the m x s matrix A R (np.linalg.pinv), "
                "not A^+ and not a transpose",
            )
        off = np.linalg.norm(P.project_perp(W)) / max(np.linalg.norm(W), 1e-300)
        if not off < 1e-8:
            raise Mistake(
                f"W P_perp is not zero (relative size {off:.1e}): your map responds "
                "to measurement directions orthogonal to A S",
                contradicts=REF["thm-oracle-exact"] + ", part 2",
                hint="build W from (A R)^+, whose rows lie in A S",
            )
        expect_close(
            W, P.oracle, rtol=1e-8, what="W differs from R (A R)^+", contradicts=REF["def-oracle"]
        )


# ---- Coding exercise 1.2: the error of the minimum-norm solution -----------------------------


@check(
    "Coding exercise 1.2: the minimum-norm error",
    verified="x - A^+ A x = P_ker(A) x, in ker A, zero on range(A^T)",
)
def check_pinv_error(pinv_error):
    g = rng_for(12)
    for d, m, n in [(6, 4, 1), (20, 7, 5), (50, 49, 3)]:
        A = g.standard_normal((m, d)) / np.sqrt(m)
        X = g.standard_normal((d, n))
        x = X[:, 0]
        P_ker = np.eye(d) - np.linalg.pinv(A) @ A
        err = expect_shape(
            call(pinv_error, A.copy(), x.copy()),
            (d,),
            "one signal x of length d gives an error vector of length d",
        )
        if not np.linalg.norm(A @ err) <= 1e-8 * np.linalg.norm(A) * np.linalg.norm(x):
            raise Mistake(
                "A (x - A^+ A x) is not zero: the error you return is not in ker A",
                contradicts=REF["thm-minnorm"] + ", part 3 (the error is P_ker(A) x)",
                hint="A^+ A x has the same measurement as x; return x minus the "
                "reconstruction, with A^+ = A^T (A A^T)^(-1)",
            )
        expect_close(
            err,
            P_ker @ x,
            rtol=1e-8,
            what="x - A^+ A x differs from the null-space component P_ker(A) x",
            contradicts=REF["thm-minnorm"] + ", part 3",
            hint="A^+ = A^T (A A^T)^(-1): the inverse is of the m x m matrix A A^T",
        )
        row = A.T @ g.standard_normal(m)  # a signal in range(A^T): recovered exactly
        e_row = np.asarray(call(pinv_error, A.copy(), row))
        if not np.linalg.norm(e_row) <= 1e-8 * np.linalg.norm(row):
            raise Mistake(
                "a signal in range(A^T) is not recovered exactly",
                contradicts=REF["thm-minnorm"] + ", part 2",
                hint="A^+ A is the orthogonal projector onto range(A^T)",
            )
        E = expect_shape(
            call(pinv_error, A.copy(), X.copy()),
            (d, n),
            "a d x n block of signals (columns) gives a d x n block of errors",
        )
        expect_close(
            E,
            P_ker @ X,
            rtol=1e-8,
            what="on a block of signals (columns)",
            contradicts=REF["thm-minnorm"] + ", part 3",
            hint="write the formula with matrix products so it works on columns",
        )


# ---- Coding exercise 1.3: the expected test error of a linear map ----------------------------


@check(
    "Coding exercise 1.3: the expected test error",
    verified="oracle, pseudo-inverse and Monte Carlo at 3 noise levels",
)
def check_expected_error(expected_error):
    g = rng_for(13)
    P = random_problem(15, 8, 3, seed=5)
    sig = P.singular_values
    gain_pinv = float(np.trace(np.linalg.inv(P.A @ P.A.T)))
    sig_err_pinv = float(np.linalg.norm(P.R - P.pinv @ P.AR) ** 2)
    for sigma in (0.0, 0.3, 2.0):
        val = float(
            np.asarray(call(expected_error, P.oracle.copy(), P.A.copy(), P.R.copy(), sigma))
        )
        if sigma == 0.0:
            if not abs(val) < 1e-10:
                raise Mistake(
                    f"the oracle at sigma = 0 has expected error {val:.3e}, not 0",
                    contradicts=REF["thm-oracle-exact"],
                    hint="the signal term ||(W A - I) R||_F^2 vanishes for an exact "
                    "map; the noise term is sigma^2 ||W||_F^2",
                )
            continue
        expect_close(
            val,
            sigma**2 * np.sum(sig**-2.0),
            rtol=1e-8,
            what=f"oracle at sigma = {sigma}: expected sigma^2 sum_i sigma_i(AR)^-2",
            contradicts=REF["thm-noise-amplification"] + ", part 3",
            hint="the noise term is sigma^2 ||W||_F^2 (squared norm, squared sigma); "
            "the oracle has no signal error",
        )
        val = float(np.asarray(call(expected_error, P.pinv.copy(), P.A.copy(), P.R.copy(), sigma)))
        expect_close(
            val,
            sig_err_pinv + sigma**2 * gain_pinv,
            rtol=1e-8,
            what=f"pseudo-inverse at sigma = {sigma}: expected ||P_ker R||_F^2 + "
            "sigma^2 tr(AA^T)^-1",
            contradicts=REF["lem-ch1-test-error"],
            hint="the signal term is ||(W A - I) R||_F^2, which is not zero for A^+",
        )
    # an arbitrary map against Monte Carlo (z ~ N(0, I_s), e ~ N(0, sigma^2 I_m))
    W = g.standard_normal((P.d, P.m)) / np.sqrt(P.m)
    sigma, n = 0.5, 200_000
    Z = g.standard_normal((P.s, n))
    X = P.R @ Z
    err = W @ (P.A @ X + sigma * g.standard_normal((P.m, n))) - X
    sq = np.sum(err**2, axis=0)
    mc, se = sq.mean(), sq.std() / np.sqrt(n)
    val = float(np.asarray(call(expected_error, W.copy(), P.A.copy(), P.R.copy(), sigma)))
    if not abs(val - mc) < 5 * se:
        raise Mistake(
            f"for a random W at sigma = {sigma} you return {val:.4f}, Monte Carlo "
            f"over {n} test signals gives {mc:.4f} +- {se:.4f}",
            contradicts=REF["lem-ch1-test-error"],
            hint="E||W y - x||^2 = ||(W A - I) R||_F^2 + sigma^2 ||W||_F^2",
        )


# ---- the lab's headline checks (tests/test_headline_ch1.py feeds them wrong inputs) ----------


def oracle_claims(problem: InverseProblem, W, *, tol: float = 1e-12) -> dict:
    """Check that ``W`` has the properties of the oracle (Theorem ``thm-oracle-exact``): exact
    on S, zero on ``(AS)^perp``, nonzero singular values ``1/sigma_i(AR)`` and rank ``s``.
    Returns the measured deviations; raises ``AssertionError`` if one exceeds ``tol``."""
    W = np.asarray(W, dtype=float)
    sv = np.linalg.svd(W, compute_uv=False)
    s = problem.s
    out = {
        "exact": float(np.linalg.norm(W @ problem.AR - problem.R) / np.linalg.norm(problem.R)),
        "blind": float(np.linalg.norm(problem.project_perp(W)) / np.linalg.norm(W)),
        "sv": float(np.max(np.abs(sv[:s] - np.sort(1 / problem.singular_values)[::-1]))),
        "rank": int(np.sum(sv > 1e-10 * sv[0])),
    }
    assert out["exact"] < tol, f"W A R != R (relative error {out['exact']:.1e})"
    assert out["blind"] < tol, f"W P_perp != 0 (relative size {out['blind']:.1e})"
    assert out["sv"] < tol and out["rank"] == s, "the singular values of W are not 1/sigma_i(AR)"
    return out


def smallest_exact_claims(
    problem: InverseProblem,
    W_star,
    *,
    ps=(0.4, 2 / 3, 1.0, 2.0),
    scales=(1e-3, 1e-2, 1e-1, 1.0, 10.0),
    per_scale: int = 4,
    seed: int = 5,
) -> dict:
    """Check Theorem ``thm-oracle-min`` for the candidate ``W_star``: for random exact maps
    ``W = W_star + Theta P_perp`` (Theta Gaussian at several scales) the Gram identity holds,
    ``sigma_i(W) >= sigma_i(W_star)`` for every ``i``, and every Schatten-p cost is larger.
    Returns the number of maps checked and the smallest relative cost increase; raises
    ``AssertionError`` at the first violation (e.g. for a candidate that is not the oracle)."""
    W_star = np.asarray(W_star, dtype=float)
    d, m = problem.d, problem.m
    rng = np.random.default_rng(seed)
    sv_star = np.linalg.svd(W_star, compute_uv=False)
    cost_star = {p: float(np.sum(sv_star[sv_star > 1e-12 * sv_star[0]] ** p)) for p in ps}
    n, min_gap = 0, np.inf
    for scale in scales:
        for _ in range(per_scale):
            Theta = scale * rng.standard_normal((d, m)) / np.sqrt(m)
            TP = problem.project_perp(Theta)
            W = W_star + TP
            assert np.linalg.norm(W @ problem.AR - problem.R) < 1e-10 * (1 + scale), (
                "W* + Theta P_perp is not exact on S"
            )
            gram = np.linalg.norm(W @ W.T - W_star @ W_star.T - TP @ TP.T)
            assert gram < 1e-10 * (1 + scale**2), "W W^T != W* W*^T + Theta P_perp Theta^T"
            sv = np.linalg.svd(W, compute_uv=False)
            assert np.all(sv >= sv_star - 1e-12 * sv_star[0]), "sigma_i(W) < sigma_i(W*)"
            for p in ps:
                gap = float(np.sum(sv[sv > 1e-12 * sv[0]] ** p)) - cost_star[p]
                assert gap > 0, f"an exact map has a smaller Schatten-{p:.2f} cost"
                min_gap = min(min_gap, gap / cost_star[p])
            n += 1
    return {"checked": n, "min_rel_gap": min_gap}
