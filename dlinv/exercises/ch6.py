"""Checks for the coding exercises of Lab 6 (what the network learns).

* :func:`check_sin_angles`: the sines of the principal angles (Lemma ``lem-ch6-angles``);
* :func:`check_effective_rank`: the number of significant singular values
  (Definition ``def-ch6-effective-rank``);
* :func:`check_encoding_defects`: the two defects that vanish at every stationary point with
  weight decay, ``||W_1 P_perp||_F`` and the imbalance (Theorem ``thm-subspace-encoding``).

Each check runs the student's function on random instances and edge cases and names the result
of Chapter 6 that a wrong answer contradicts. The chapter's headline check,
:func:`dlinv.subspaces.check_first_layer_spectrum`, lives in :mod:`dlinv.subspaces` (the lab and
``tests/test_headline_ch6.py`` call it).
"""

from __future__ import annotations

import numpy as np

from ._core import Mistake, call, check, expect_shape, rng_for

__all__ = ["check_effective_rank", "check_encoding_defects", "check_sin_angles"]

LEMMA_ANGLES = "Lemma 'sines of principal angles' (lem-ch6-angles, part 1)"
DEF_RANK = "the definition of the effective rank (def-ch6-effective-rank)"
THM_ENC = "the subspace-encoding theorem (thm-subspace-encoding)"


def _orth(rng, n, k):
    return np.linalg.qr(rng.standard_normal((n, k)))[0]


def _tilted_pair(rng, n, k1, k2, angles):
    """Orthonormal Q1 (n x k1), Q2 (n x k2) whose principal angles are ``angles`` (k1 of them)."""
    basis = _orth(rng, n, k1 + k2)
    E1, E2, F = basis[:, :k1], basis[:, k1 : 2 * k1], basis[:, 2 * k1 :]
    Q1 = E1 * np.cos(angles) + E2 * np.sin(angles)
    Q2 = np.hstack([E1, F[:, : k2 - k1]]) if k2 > k1 else E1
    return Q1, Q2


@check(
    "Coding exercise 6.1: sines of the principal angles",
    verified="sin(theta_i), increasing, down to angles of 1e-10",
)
def check_sin_angles(sin_angles):
    rng = rng_for(61)
    cases = []
    for n, k1, k2 in ((10, 2, 3), (20, 3, 3), (30, 4, 7)):
        angles = np.sort(rng.uniform(0.05, 1.5, k1))
        cases.append((_tilted_pair(rng, n, k1, k2, angles), angles, "random subspaces"))
    Q = _orth(rng, 12, 3)
    cases.append(((Q, Q), np.zeros(3), "identical subspaces (all angles 0)"))
    B = _orth(rng, 12, 6)
    cases.append(
        ((B[:, :3], B[:, 3:]), np.full(3, np.pi / 2), "orthogonal subspaces (all angles pi/2)")
    )
    tiny = np.array([1e-10, 3e-9, 2e-8])
    cases.append((_tilted_pair(rng, 15, 3, 4, tiny), tiny, "nearly identical subspaces"))
    for (Q1, Q2), angles, label in cases:
        got = expect_shape(
            call(sin_angles, Q1.copy(), Q2.copy()),
            (Q1.shape[1],),
            "one sine per principal angle (k1 of them for k1 <= k2)",
        )
        want = np.sin(angles)
        if np.allclose(got, 1 - want**2, atol=1e-8) and not np.allclose(got, want):
            raise Mistake(
                f"{label}: you returned cos^2, not sin",
                contradicts=LEMMA_ANGLES,
                hint="the sines are the singular values of (I - Q2 Q2^T) Q1",
            )
        if np.allclose(
            np.sort(got), np.sort(np.sqrt(np.clip(1 - want**2, 0, 1))), atol=1e-8
        ) and not np.allclose(np.sort(got), np.sort(want), atol=1e-8):
            raise Mistake(
                f"{label}: your values are the cosines of the angles",
                contradicts=LEMMA_ANGLES,
                hint="the singular values of Q1^T Q2 are cosines; project Q1 onto "
                "the orthogonal complement of range(Q2) instead: (I - Q2 Q2^T) Q1",
            )
        if not np.all(np.diff(got) >= -1e-12):
            raise Mistake(
                f"{label}: the sines are not in increasing order",
                hint="numpy's SVD returns decreasing singular values: reverse them",
            )
        err = np.abs(got - want)
        if not np.all(err <= 1e-5 * want + 1e-13):
            if np.max(want) < 1e-6:
                raise Mistake(
                    f"{label}: sines {np.array2string(got, precision=2)}, "
                    f"expected {np.array2string(want, precision=2)}",
                    contradicts=LEMMA_ANGLES,
                    hint="arccos of a cosine within 1e-16 of 1 cannot resolve angles "
                    "below 1e-8: take the singular values of (I - Q2 Q2^T) Q1 "
                    "directly, and compute Q1 - Q2 (Q2^T Q1) without forming I",
                )
            raise Mistake(
                f"{label}: largest error {err.max():.1e} in the sines",
                contradicts=LEMMA_ANGLES,
                hint="sin(theta_i) are the singular values of (I - Q2 Q2^T) Q1, not of Q2 Q2^T Q1",
            )


@check(
    "Coding exercise 6.2: effective rank",
    verified="the count of sigma_j > tol * sigma_1, scale-free, 0 for M = 0",
)
def check_effective_rank(effective_rank):
    rng = rng_for(62)
    for (p, n, r), scale in (((30, 20, 4), 1.0), ((20, 50, 7), 1e-4), ((40, 40, 1), 1e5)):
        M = scale * (_orth(rng, p, r) * np.linspace(3, 1, r)) @ _orth(rng, n, r).T
        M = M + scale * 1e-4 * rng.standard_normal((p, n))
        got = call(effective_rank, M.copy(), 1e-2)
        if got != r:
            hint = (
                "the tolerance is relative: compare sigma_j with tol * sigma_1, not with tol"
                if scale != 1.0
                else "count the singular values above tol * sigma_1"
            )
            raise Mistake(
                f"a rank-{r} matrix plus noise of relative size 1e-4, scaled by "
                f"{scale:g}: you returned {got}, expected {r}",
                contradicts=DEF_RANK + " (the effective rank does not change when "
                "the matrix is scaled)",
                hint=hint,
            )
    if call(effective_rank, np.zeros((5, 4)), 1e-2) != 0:
        raise Mistake(
            "the zero matrix has effective rank 0",
            contradicts=DEF_RANK,
            hint="return 0 when sigma_1 = 0 (and avoid dividing by it)",
        )
    M = np.diag([1.0, 0.5, 0.01, 0.001])
    got = call(effective_rank, M, 1e-2)
    if got != 2:
        raise Mistake(
            f"diag(1, 0.5, 0.01, 0.001) at tol = 0.01: you returned {got}, expected 2",
            contradicts=DEF_RANK,
            hint="the inequality is strict: sigma_j > tol * sigma_1 (0.01 is not > 0.01)",
        )
    got = call(effective_rank, M, 0.6)
    if got != 1:
        raise Mistake(
            f"diag(1, 0.5, 0.01, 0.001) at tol = 0.6: you returned {got}, expected 1",
            contradicts=DEF_RANK,
            hint="use the tolerance you are given",
        )


def _reference_defects(weights, U):
    first = weights[0] - (weights[0] @ U) @ U.T
    imb = max(
        (
            float(np.linalg.norm(weights[j + 1].T @ weights[j + 1] - weights[j] @ weights[j].T))
            for j in range(len(weights) - 1)
        ),
        default=0.0,
    )
    return float(np.linalg.norm(first)), imb


@check(
    "Coding exercise 6.3: the defects of a stationary point",
    verified="both vanish at stationary points, exact on other weights",
)
def check_encoding_defects(encoding_defects):
    import dlinv

    from .. import theory

    rng = rng_for(63)
    prob = dlinv.random_problem(12, 8, 3, seed=int(rng.integers(1 << 30)))
    U = prob.U
    for L in (2, 3, 4):  # balanced stationary points: the closed-form limit
        W_lam = theory.regularized_limit(prob, 0.05, L, "nonzero")
        Ws = [np.array(W) for W in dlinv.balanced_factorization(W_lam, depth=L, width=6, seed=L)]
        got = np.asarray(call(encoding_defects, [W.copy() for W in Ws], U.copy()), dtype=float)
        expect_shape(got, (2,), "two numbers: (||W_1 P_perp||_F, largest imbalance)")
        if got[0] > 1e-10:
            raise Mistake(
                f"at the balanced stationary point of depth {L} your first defect is "
                f"{got[0]:.2e}, expected 0",
                contradicts=THM_ENC + ", part 1 (W_1 P_perp = 0)",
                hint="P_perp = I - U U^T projects onto (AS)^perp; U U^T projects onto AS",
            )
        if got[1] > 1e-10:
            raise Mistake(
                f"at the balanced stationary point of depth {L} your imbalance is "
                f"{got[1]:.2e}, expected 0",
                contradicts=THM_ENC + ", part 4 (W_{l+1}^T W_{l+1} = W_l W_l^T)",
                hint="compare W_{l+1}^T W_{l+1} with W_l W_l^T (both width x width)",
            )
    # balanced but reading (AS)^perp: a balanced factorization of a map with W P_perp != 0
    Wmap = rng.standard_normal((12, 8))
    cases = [
        (
            [np.array(W) for W in dlinv.balanced_factorization(Wmap, depth=3, width=9, seed=1)],
            "balanced weights whose map reads (AS)^perp",
        )
    ]
    cases.append(
        (
            [
                rng.standard_normal((6, 8)),
                rng.standard_normal((6, 6)),
                rng.standard_normal((12, 6)),
            ],
            "random (unbalanced) weights",
        )
    )
    for Ws, label in cases:
        want = np.array(_reference_defects(Ws, U))
        got = np.asarray(call(encoding_defects, [W.copy() for W in Ws], U.copy()), dtype=float)
        expect_shape(got, (2,), "two numbers: (||W_1 P_perp||_F, largest imbalance)")
        if abs(got[0] - want[0]) > 1e-9 * max(1.0, want[0]):
            raise Mistake(
                f"{label}: first defect {got[0]:.4g}, expected ||W_1 P_perp||_F = {want[0]:.4g}",
                contradicts=THM_ENC + ", part 1",
                hint="Frobenius norm of W_1 (I - U U^T), with U an orthonormal basis of AS",
            )
        if abs(got[1] - want[1]) > 1e-9 * max(1.0, want[1]):
            raise Mistake(
                f"{label}: imbalance {got[1]:.4g}, expected {want[1]:.4g}",
                contradicts=THM_ENC + ", part 4",
                hint="the largest Frobenius norm of W_{l+1}^T W_{l+1} - W_l W_l^T "
                "over l = 1, ..., L-1",
            )
