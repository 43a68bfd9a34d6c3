"""Chapter 3, Lemma D (lem-e2e): end-to-end dynamics of balanced deep linear networks."""

import numpy as np
import pytest
from conftest import rel

import dlinv
from dlinv import dynamics
from dlinv.network import gradients


def _gd_step(weights, data, lam, eta):
    return tuple(W - eta * g for W, g in zip(weights, gradients(weights, data, lam)))


def _direct_preconditioner(W_e, M, depth):
    out = np.zeros_like(M)
    for j in range(1, depth + 1):
        out += (
            dynamics.gram_power(W_e, (depth - j) / depth, side="left")
            @ M
            @ dynamics.gram_power(W_e, (j - 1) / depth, side="right")
        )
    return out


def test_gram_power_is_the_psd_root():
    g = np.random.default_rng(0)
    W = g.standard_normal((7, 4))
    for p in (0.25, 0.5, 1.0, 1.5):
        for side, Gm in (("left", W @ W.T), ("right", W.T @ W)):
            Pp = dynamics.gram_power(W, p, side=side)
            assert rel(Pp, Pp.T) < 1e-14 and np.linalg.eigvalsh(Pp)[0] > -1e-12
            k = round(1 / p) if p < 1 else None
            if k:  # the k-th power of the 1/k-th power gives back the Gram matrix
                assert rel(np.linalg.matrix_power(Pp, k), Gm) < 1e-12
    assert (
        rel(dynamics.gram_power(W, 0, side="left"), np.eye(7)) == 0
    )  # M^0 = I, also on the kernel
    assert rel(dynamics.gram_power(W, 1, side="right"), W.T @ W) < 1e-13


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_apply_preconditioner_matches_sum_and_kronecker_form(depth):
    g = np.random.default_rng(depth)
    W_e = g.standard_normal((6, 4))
    M = g.standard_normal((6, 4))
    P = dynamics.apply_preconditioner(W_e, M, depth)
    assert rel(P, _direct_preconditioner(W_e, M, depth)) < 1e-11
    K = dynamics.preconditioner_matrix(W_e, depth)
    assert rel(K @ M.flatten(order="F"), P.flatten(order="F")) < 1e-11
    # self-adjoint and positive semidefinite
    assert rel(K, K.T) < 1e-12
    assert np.linalg.eigvalsh(K)[0] > -1e-10 * np.linalg.norm(K, 2)


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_preconditioner_eigenvalues_closed_form(depth):
    g = np.random.default_rng(10 + depth)
    W_e = g.standard_normal((5, 3))
    U, mu, Vt = dynamics.preconditioner_eigenvalues(W_e, depth)
    s = np.linalg.svd(W_e, compute_uv=False)
    a = s ** (2 / depth)
    # eigenvector u_r v_r'^T, eigenvalue (a_r^L - a_r'^L)/(a_r - a_r') (geometric sum), L a^{L-1} if equal
    for r in range(3):
        for rp in range(3):
            M = np.outer(U[:, r], Vt[rp])
            expected = (
                depth * a[r] ** (depth - 1)
                if r == rp
                else (a[r] ** depth - a[rp] ** depth) / (a[r] - a[rp])
            )
            assert abs(mu[r, rp] - expected) < 1e-12 * expected
            assert rel(dynamics.apply_preconditioner(W_e, M, depth), expected * M) < 1e-11
    # rows beyond the rank: only the j = 1 term survives, s_r'^{2(L-1)/L}
    assert np.allclose(mu[3:, :], a[None, :] ** (depth - 1), rtol=1e-12)
    # the identity for L = 1
    assert np.allclose(dynamics.preconditioner_eigenvalues(W_e, 1)[1], 1.0)


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_preconditioner_is_L_times_identity_for_orthogonal_maps(depth):
    g = np.random.default_rng(3)
    Q = np.linalg.qr(g.standard_normal((6, 6)))[0]
    M = g.standard_normal((6, 6))
    assert rel(dynamics.apply_preconditioner(Q, M, depth), depth * M) < 1e-12
    # tall map with orthonormal columns: L on range(W_e), 1 on its complement (the j = L term)
    T = Q[:, :4]
    M = g.standard_normal((6, 4))
    Pi = T @ T.T
    assert rel(dynamics.apply_preconditioner(T, M, depth), (depth - 1) * Pi @ M + M) < 1e-12


def test_preconditioner_vanishes_at_zero():
    Z = np.zeros((5, 3))
    M = np.ones((5, 3))
    assert np.all(dynamics.apply_preconditioner(Z, M, 3) == 0)
    assert rel(dynamics.apply_preconditioner(Z, M, 1), M) == 0


def test_single_layer_velocity_is_the_negative_gradient(small):
    P, D = small
    W = dlinv.init_weights(P.d, P.m, width=5, depth=1, seed=0)
    v = dynamics.e2e_velocity(W[0], D, 0.1, 1)
    assert rel(v, -gradients(W, D, 0.1)[0]) < 1e-13
    assert rel(dynamics.network_e2e_velocity(W, D, 0.1), v) < 1e-13


@pytest.mark.parametrize("depth,width", [(2, 9), (3, 8), (5, 10)])
def test_balanced_network_follows_lemma_d(small, depth, width):
    P, D = small
    W = dlinv.init_weights(P.d, P.m, width=width, depth=depth, seed=4, scheme="balanced")
    assert max(dlinv.imbalances(W)) < 1e-12
    W_e = dlinv.end_to_end(W)
    # the key identities of the proof
    for j in range(1, depth + 1):
        S = dlinv.partial_product(W, depth, j + 1)
        Pp = dlinv.partial_product(W, j - 1, 1)
        assert rel(S @ S.T, dynamics.gram_power(W_e, (depth - j) / depth, side="left")) < 1e-10
        assert rel(Pp.T @ Pp, dynamics.gram_power(W_e, (j - 1) / depth, side="right")) < 1e-10
    for lam in (0.0, 0.05):
        v_net = dynamics.network_e2e_velocity(W, D, lam)
        assert rel(v_net, dynamics.e2e_velocity(W_e, D, lam, depth)) < 1e-10
        # one GD step agrees with the Euler step of the end-to-end ODE up to O(eta^2)
        errs = []
        for eta in (1e-2, 5e-3, 2.5e-3):
            after = dlinv.end_to_end(_gd_step(W, D, lam, eta))
            errs.append(np.linalg.norm(after - dynamics.e2e_step(W_e, D, lam, eta, depth)))
        ratios = np.array(errs[:-1]) / np.array(errs[1:])
        assert np.all((ratios > 3.5) & (ratios < 4.5)), ratios  # second order in eta
        assert errs[0] < 0.05 * 1e-2 * np.linalg.norm(v_net)  # tiny against the first-order change


def test_unbalanced_network_does_not_follow_lemma_d(small):
    """The balancedness hypothesis matters: at fan-in initialization the velocities differ."""
    P, D = small
    W = dlinv.init_weights(P.d, P.m, width=9, depth=3, seed=5)
    v_net = dynamics.network_e2e_velocity(W, D, 0.0)
    v_e2e = dynamics.e2e_velocity(dlinv.end_to_end(W), D, 0.0, 3)
    assert rel(v_net, v_e2e) > 0.05


def test_network_velocity_is_the_first_order_change(small):
    P, D = small
    W = dlinv.init_weights(P.d, P.m, width=7, depth=4, seed=6)
    v = dynamics.network_e2e_velocity(W, D, 0.03)
    eta = 1e-6
    fd = (dlinv.end_to_end(_gd_step(W, D, 0.03, eta)) - dlinv.end_to_end(W)) / eta
    assert rel(fd, v) < 1e-4


def test_trajectory_iterates_the_step(small):
    P, D = small
    W_e = dlinv.end_to_end(
        dlinv.init_weights(P.d, P.m, width=9, depth=3, seed=7, scheme="balanced")
    )
    t, maps = dynamics.e2e_trajectory(W_e, D, lam=0.01, eta=0.05, depth=3, steps=7, record_every=3)
    assert list(t) == [0, 3, 6, 7]
    X = W_e
    for _ in range(7):
        X = dynamics.e2e_step(X, D, 0.01, 0.05, 3)
    assert rel(maps[-1], X) < 1e-14
    assert rel(maps[0], W_e) == 0


def test_trajectory_tracks_balanced_gd_to_first_order(small):
    """Over a fixed time horizon, balanced GD and the Euler iteration of Lemma D differ by O(eta)."""
    P, D = small
    W0 = dlinv.init_weights(P.d, P.m, width=9, depth=3, seed=8, scheme="balanced")
    W_e0 = dlinv.end_to_end(W0)
    devs = []
    for eta in (0.04, 0.02):
        steps = int(round(2.0 / eta))
        res = dlinv.train(P, D, lam=0.02, eta=eta, steps=steps, init=W0, record_every=0, metrics=())
        _, maps = dynamics.e2e_trajectory(
            W_e0, D, lam=0.02, eta=eta, depth=3, steps=steps, record_every=steps
        )
        devs.append(rel(res.end_to_end, maps[-1]))
    assert devs[0] < 0.02
    assert 1.5 < devs[0] / devs[1] < 2.5, devs


def test_bad_input():
    from dlinv.problem import TrainingData

    P = dlinv.random_problem(6, 4, 2, seed=0)
    D = dlinv.make_training_data(P, 10, seed=1)
    with pytest.raises(ValueError, match="side"):
        dynamics.gram_power(np.ones((3, 2)), 0.5, side="middle")
    with pytest.raises(ValueError, match="p must be >= 0"):
        dynamics.gram_power(np.ones((3, 2)), -0.5)
    with pytest.raises(ValueError, match="shape"):
        dynamics.e2e_velocity(np.ones((4, 6)), D, 0.0, 2)
    with pytest.raises(ValueError, match="depth"):
        dynamics.e2e_velocity(np.ones((6, 4)), D, 0.0, 0)
    with pytest.raises(ValueError, match="TrainingData"):
        dynamics.e2e_velocity(np.ones((6, 4)), (D.X, D.Y), 0.0, 2)
    with pytest.raises(ValueError, match="M must have shape"):
        dynamics.apply_preconditioner(np.ones((6, 4)), np.ones((4, 6)), 2)
    with pytest.raises(ValueError, match="eta"):
        dynamics.e2e_step(np.ones((6, 4)), D, 0.0, 0.0, 2)
    with pytest.raises(FloatingPointError, match="diverged"):
        dynamics.e2e_trajectory(100 * np.ones((6, 4)), D, lam=0.0, eta=10.0, depth=3, steps=50)
    assert isinstance(D, TrainingData)
