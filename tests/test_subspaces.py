"""Tests of dlinv.subspaces (Chapter 6: principal angles, effective rank, the encoding theorem)."""

import numpy as np
import pytest

import dlinv
from dlinv import subspaces as sub
from dlinv import theory


def _rot_plane(theta):
    """Two planes in R^4 with principal angles (0, theta)."""
    Q1 = np.eye(4)[:, :2]
    Q2 = np.array([[1, 0], [0, np.cos(theta)], [0, 0], [0, np.sin(theta)]], dtype=float)
    return Q1, Q2


@pytest.fixture(scope="module")
def small():
    prob = dlinv.random_problem(30, 15, 3, seed=11)
    data = dlinv.make_training_data(prob, 60, seed=12, whiten=True)
    return prob, data


# ---- principal angles ------------------------------------------------------------------------
def test_principal_angles_known_example():
    Q1, Q2 = _rot_plane(0.3)
    ang = sub.principal_angles(Q1, Q2)
    assert np.allclose(ang, [0.0, 0.3], atol=1e-14)
    assert np.isclose(sub.sin_largest_angle(Q1, Q2), np.sin(0.3))


def test_principal_angles_tiny_angle_is_accurate():
    Q1, Q2 = _rot_plane(1e-12)
    assert np.isclose(sub.principal_angles(Q1, Q2)[-1], 1e-12, rtol=1e-6)


def test_principal_angles_basis_invariant_and_symmetric():
    g = np.random.default_rng(0)
    Q1 = np.linalg.qr(g.standard_normal((10, 3)))[0]
    Q2 = np.linalg.qr(g.standard_normal((10, 3)))[0]
    O = np.linalg.qr(g.standard_normal((3, 3)))[0]
    a = sub.principal_angles(Q1, Q2)
    assert np.allclose(a, sub.principal_angles(Q1 @ O, Q2), atol=1e-12)
    assert np.allclose(a, sub.principal_angles(Q2, Q1), atol=1e-12)
    assert np.all(np.diff(a) >= -1e-15) and a[0] >= 0 and a[-1] <= np.pi / 2 + 1e-15
    # Lemma lem-ch6-angles: sin theta_max = ||(I - Q2 Q2^T) Q1||_2, sum sin^2 = ||.||_F^2
    D = Q1 - Q2 @ (Q2.T @ Q1)
    assert np.isclose(np.sin(a[-1]), np.linalg.norm(D, 2))
    assert np.isclose(np.sum(np.sin(a) ** 2), np.linalg.norm(D) ** 2)


def test_principal_angles_different_dimensions():
    Q1 = np.eye(5)[:, :1]
    Q2 = np.eye(5)[:, :3]
    assert np.allclose(sub.principal_angles(Q1, Q2), [0.0])
    assert np.allclose(sub.principal_angles(Q2, Q1), [0.0])
    Q3 = np.eye(5)[:, 3:]
    assert np.allclose(sub.principal_angles(Q3, Q2), [np.pi / 2, np.pi / 2])


def test_principal_angles_validation():
    with pytest.raises(ValueError, match="orthonormal"):
        sub.principal_angles(np.ones((4, 2)), np.eye(4)[:, :2])
    with pytest.raises(ValueError, match="same space"):
        sub.principal_angles(np.eye(4)[:, :2], np.eye(5)[:, :2])


# ---- effective rank and singular subspaces ----------------------------------------------------
def test_effective_rank():
    M = np.diag([3.0, 1.0, 0.02, 0.0])
    assert sub.effective_rank(M) == 2
    assert sub.effective_rank(M, rel_tol=1e-3) == 3
    assert sub.effective_rank(np.array([3.0, 1.0, 0.02])) == 2
    assert sub.effective_rank(np.zeros((3, 3))) == 0


def test_top_singular_subspaces():
    g = np.random.default_rng(1)
    M = g.standard_normal((6, 4))
    U, sig, Vk = sub.top_singular_subspaces(M, 2)
    assert U.shape == (6, 2) and Vk.shape == (4, 2) and sig.shape == (4,)
    assert np.allclose(M @ Vk, U * sig[:2])
    with pytest.raises(ValueError):
        sub.top_singular_subspaces(M, 5)


# ---- Lemma lem-ch6-angles (perturbation identity) -----------------------------------------------
def test_angle_bound_for_rank_s_plus_off_subspace(small):
    prob, _ = small
    g = np.random.default_rng(2)
    B = g.standard_normal((20, prob.s)) @ prob.U.T  # rows in A S
    E = prob.project_perp(g.standard_normal((20, prob.m))) * 1e-2
    W1 = B + E
    sig = np.linalg.svd(W1, compute_uv=False)
    assert sub.row_space_angle(W1, prob) <= np.linalg.norm(E, 2) / sig[prob.s - 1] + 1e-14


# ---- closed forms ---------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [2, 3, 5])
def test_oracle_distance_bounds(small, depth):
    prob, _ = small
    for lam in [1e-4, 1e-3, 1e-2, 5e-2]:
        lo, hi = sub.oracle_distance_bounds(prob, lam, depth)
        dist = sub.limit_distance_to_oracle(prob, lam, depth)
        direct = np.linalg.norm(theory.regularized_limit(prob, lam, depth, "nonzero") - prob.oracle)
        assert np.isclose(dist, direct, rtol=1e-10)
        assert lo * (1 - 1e-9) <= dist <= hi * (1 + 1e-9)  # 1e-9: cancellation in w - 1/sigma
        if depth == 2:  # soft thresholding: the lower bound is an equality
            assert np.isclose(dist, lo, rtol=1e-9)
    # O(lambda): the ratio tends to the first-order constant
    lo, _ = sub.oracle_distance_bounds(prob, 1e-6, 3)
    assert np.isclose(sub.limit_distance_to_oracle(prob, 1e-6, 3), lo, rtol=1e-5)


def test_oracle_distance_bounds_outside_validity(small):
    prob, _ = small
    assert sub.oracle_distance_bounds(prob, 10.0, 3)[1] == float("inf")
    with pytest.raises(ValueError):
        sub.oracle_distance_bounds(prob, 0.1, 1)


def test_first_layer_tail_band_values():
    lo, hi = sub.first_layer_tail_band([4.0, 3.0, 2.0, 1.0], 1, eta=0.5, lam=1.0, t=1)
    assert np.allclose(lo, [1.5, 1.0, 0.5]) and np.allclose(hi, [2.0, 1.5, 1.0])


# ---- Theorem thm-subspace-encoding / the stationary point of the closed form ---------------------
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_balanced_closed_form_is_stationary_and_encodes(small, depth):
    prob, data = small
    lam = 0.05
    Wlam = theory.regularized_limit(prob, lam, depth, "nonzero")
    Ws = dlinv.balanced_factorization(Wlam, depth=depth, width=8 if depth > 1 else None, seed=3)
    grads = dlinv.gradients(Ws, data, lam)
    assert max(np.linalg.norm(g) for g in grads) < 1e-10
    diag = sub.encoding_diagnostics(Ws, prob, data, limit=Wlam)
    assert diag["sin_range"] < 1e-7 and diag["sin_rows"] < 1e-7
    assert diag["range_perp"] < 1e-12 and diag["first_perp"] < 1e-12 and diag["last_perp"] < 1e-12
    assert diag["imbalance"] < 1e-12 and diag["limit_distance"] < 1e-12
    w = theory.spectral_limit(prob.singular_values, lam, depth, "nonzero")
    assert np.allclose(np.sort(diag["sv_first"][: prob.s]), np.sort(w ** (1 / depth)), rtol=1e-10)
    assert sub.effective_rank(diag["sv_e2e"]) == prob.s


def test_gd_limit_satisfies_encoding_theorem(small):
    """Gradient descent with weight decay converges to a point with the structure of the theorem."""
    prob, data = small
    lam, eta, L = 0.1, 0.05, 3
    tr = sub.track(
        prob,
        data,
        lam=lam,
        eta=eta,
        steps=4000,
        checkpoint_every=4000,
        depth=L,
        width=12,
        seed=4,
        limit=theory.regularized_limit(prob, lam, L, "nonzero"),
    )
    W = tr.result.weights
    assert max(np.linalg.norm(g) for g in dlinv.gradients(W, data, lam)) < 1e-6
    E = tr.result.end_to_end
    Q = np.eye(prob.d) - prob.R @ prob.R.T
    assert np.linalg.norm(Q @ W[-1]) < 1e-5  # (ii) range(W_L) in S
    assert np.linalg.norm(prob.project_perp(W[0])) < 1e-5  # (i) W_1 P_perp = 0
    assert sub.effective_rank(E) == prob.s  # (iii)
    assert tr["limit_distance"][-1] < 1e-5


# ---- Proposition prop-first-layer and Lemma lem-ch6-last-layer along GD --------------------------
@pytest.mark.parametrize("lam", [0.0, 0.2])
def test_first_layer_band_and_last_layer_contraction(small, lam):
    prob, data = small
    eta = 0.05
    tr = sub.track(
        prob,
        data,
        lam=lam,
        eta=eta,
        steps=60,
        checkpoint_every=1,
        depth=3,
        width=25,
        seed=5,
        record_every=1,
    )
    W0 = tr.initial_weights
    E0sv = np.linalg.svd(prob.project_perp(W0[0]), compute_uv=False)
    s = prob.s
    for i, t in enumerate(tr.step):
        sv = tr["sv_first"][i]
        lo, hi = sub.first_layer_tail_band(E0sv, s, eta, lam, int(t))
        n = lo.size
        assert np.all(sv[s : s + n] >= lo * (1 - 1e-9) - 1e-13)
        assert np.all(sv[s : s + n] <= hi * (1 + 1e-9) + 1e-13)
        c = (1 - eta * lam) ** t
        assert np.all(sv[: E0sv.size] >= c * E0sv * (1 - 1e-9) - 1e-13)
    # Lemma A is exact
    c = (1 - eta * lam) ** tr.history.step
    assert np.allclose(
        tr.history["off_subspace_first"], c * tr.history["off_subspace_first"][0], rtol=1e-9
    )
    # Lemma lem-ch6-last-layer: one-step contraction by (1 - eta lam) under its step condition
    assert np.all(eta * tr["curvature"] <= 2 * (1 - eta * lam))
    ratios = tr["last_perp"][1:] / tr["last_perp"][:-1]
    assert np.all(ratios <= (1 - eta * lam) * (1 + 1e-10))


def test_track_equals_single_run(small):
    prob, data = small
    kw = {"lam": 0.05, "eta": 0.05, "depth": 3, "width": 10, "seed": 6}
    one = dlinv.train(prob, data, steps=70, record_every=10, **kw)
    tr = sub.track(prob, data, steps=70, checkpoint_every=30, record_every=10, **kw)
    assert np.allclose(one.end_to_end, tr.result.end_to_end, rtol=0, atol=1e-13)
    assert list(tr.step) == [0, 30, 60, 70]
    assert list(tr.history.step) == list(one.history.step)
    assert np.allclose(tr.history["oracle_distance"], one.history["oracle_distance"], rtol=1e-12)


def test_track_validation(small):
    prob, data = small
    with pytest.raises(ValueError, match="numeric eta"):
        sub.track(
            prob, data, lam=0.1, eta="auto", steps=10, checkpoint_every=5, depth=2, width=5, seed=0
        )
    with pytest.raises(ValueError, match="multiple"):
        sub.track(
            prob,
            data,
            lam=0.1,
            eta=0.05,
            steps=10,
            checkpoint_every=5,
            record_every=3,
            depth=2,
            width=5,
            seed=0,
        )
    with pytest.raises(ValueError, match="unknown metrics"):
        sub.track(
            prob,
            data,
            lam=0.1,
            eta=0.05,
            steps=10,
            checkpoint_every=5,
            record_every=5,
            depth=2,
            width=5,
            seed=0,
            metrics=("nope",),
        )
