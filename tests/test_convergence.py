"""Tests of dlinv.convergence (Chapter 5): every inequality of the chapter is checked on random
weights, including the cases where it is tight or degenerate."""

import numpy as np
import pytest

import dlinv
from dlinv import convergence as cv
from dlinv import theory
from dlinv.network import check_weights
from dlinv.train import History


def _setup(d=12, m=8, s=2, n=40, seed=0, whiten=True):
    prob = dlinv.random_problem(d, m, s, seed=seed)
    data = dlinv.make_training_data(prob, n, seed=seed + 1, whiten=whiten)
    return prob, data


def _gsq(weights, data, lam=0.0):
    return float(sum(np.vdot(g, g) for g in dlinv.gradients(weights, data, lam)))


@pytest.mark.parametrize("depth,width", [(1, None), (2, 16), (3, 6), (4, 20)])
def test_constants_trivial_entries(depth, width):
    prob, data = _setup()
    W = dlinv.init_weights(prob.d, prob.m, width=width, depth=depth, seed=3)
    c = cv.phase1_constants(W, prob, data)
    assert c.depth == depth
    assert c.alpha[-1] == pytest.approx(1.0) and c.backward[-1] == pytest.approx(
        1.0
    )  # W_{L:L+1} = I_d
    assert c.gamma[0] == pytest.approx(1.0)  # W_{0:1} = I_m on A S
    assert c.forward[0] == pytest.approx(np.sqrt(c.mu_1))
    assert c.middle >= 1.0
    if width is not None and width < prob.d:
        assert np.all(c.alpha[:-1] == 0.0)  # W_{L:j+1}^T cannot be injective on R^d
    if depth == 1:
        assert c.pl_constant == pytest.approx(c.mu_s)
        assert c.gauss_newton == pytest.approx(c.mu_1)


@pytest.mark.parametrize("whiten", [True, False])
@pytest.mark.parametrize(
    "depth,width,seed", [(1, None, 0), (2, 30, 1), (3, 6, 2), (3, 30, 3), (5, 25, 4)]
)
def test_pl_and_upper_bound(depth, width, seed, whiten):
    prob, data = _setup(seed=seed, whiten=whiten)
    W = dlinv.init_weights(prob.d, prob.m, width=width, depth=depth, seed=10 + seed)
    c = cv.phase1_constants(W, prob, data)
    nu = cv.sharp_pl_constant(W, prob, data)
    gsq = _gsq(W, data)
    assert c.pl_constant <= nu * (1 + 1e-10) + 1e-12
    assert gsq >= 2 * nu * c.fit * (1 - 1e-9)
    assert gsq >= 2 * c.pl_constant * c.fit * (1 - 1e-9)
    assert gsq <= 2 * c.gauss_newton * c.fit * (1 + 1e-9)
    if depth == 1:
        assert nu == pytest.approx(c.mu_s, rel=1e-9)


def test_sharp_pl_constant_independently():
    """nu is the smallest eigenvalue of the quadratic form K -> ||grad fit||^2 on residuals K = E A R - R'
    (whitened codes, so fit = ||K||_F^2 / 2): build that form by polarization from dlinv.gradients."""
    prob, data = _setup(d=7, m=5, s=2, n=20, seed=5)
    W = dlinv.init_weights(prob.d, prob.m, width=9, depth=3, seed=6)
    E = dlinv.end_to_end(W)
    Z = prob.R.T @ data.X

    def q(K):
        d2 = dlinv.TrainingData((E @ prob.AR - K) @ Z, data.Y)  # residual on S is exactly K
        assert d2.fit(E) == pytest.approx(0.5 * np.vdot(K, K))
        return _gsq(W, d2)

    n = prob.d * prob.s
    basis = [np.eye(n)[k].reshape(prob.d, prob.s) for k in range(n)]
    diag = [q(B) for B in basis]
    Q = np.empty((n, n))
    for a in range(n):
        for b in range(n):
            Q[a, b] = diag[a] if a == b else 0.5 * (q(basis[a] + basis[b]) - diag[a] - diag[b])
    assert cv.sharp_pl_constant(W, prob, data) == pytest.approx(np.linalg.eigvalsh(Q)[0], rel=1e-8)


def test_operator_quadratic_form_is_gradient_norm():
    prob, data = _setup()
    W = dlinv.init_weights(prob.d, prob.m, width=10, depth=4, seed=1)
    G = dlinv.end_to_end(W) @ data.Syy - data.Sxy
    assert cv.operator_quadratic_form(W, G) == pytest.approx(_gsq(W, data), rel=1e-12)


@pytest.mark.parametrize("depth,width", [(1, None), (2, 20), (4, 12)])
def test_expected_operator_gain_monte_carlo(depth, width):
    d, m = 10, 6
    G = np.random.default_rng(0).standard_normal((d, m))
    vals = [
        cv.operator_quadratic_form(
            dlinv.init_weights(d, m, width=width, depth=depth, seed=100 + k), G
        )
        / np.vdot(G, G)
        for k in range(400)
    ]
    pred = cv.expected_operator_gain(width, depth, m)
    se = np.std(vals) / np.sqrt(len(vals))
    assert abs(np.mean(vals) - pred) <= 5 * se + 1e-12
    if depth > 1:
        assert pred == pytest.approx(1 + (depth - 1) * width / m)


@pytest.mark.parametrize(
    "depth,width,lam", [(1, None, 0.0), (2, 10, 0.1), (3, 7, 0.0), (4, 16, 0.3)]
)
def test_one_step_inequality_any_direction(depth, width, lam):
    """Lemma lem-ch5-one-step for arbitrary directions h and step sizes, including huge steps."""
    prob, data = _setup(seed=2)
    rng = np.random.default_rng(depth)
    for trial in range(6):
        W = dlinv.init_weights(prob.d, prob.m, width=width, depth=depth, seed=20 + trial)
        c = cv.phase1_constants(W, prob, data)
        g = dlinv.gradients(W, data, 0.0)
        hs = [dlinv.gradients(W, data, lam), [rng.standard_normal(x.shape) for x in W]]
        for h in hs:
            hh = float(sum(np.vdot(x, x) for x in h))
            gh = float(sum(np.vdot(a, b) for a, b in zip(g, h)))
            for eta in (1e-4, 1e-2, 0.1, 0.5):
                new = check_weights([x - eta * y for x, y in zip(W, h)])
                lhs = data.fit(dlinv.end_to_end(new))
                beta = c.curvature(eta * np.sqrt(hh))
                rhs = c.fit - eta * gh + 0.5 * beta * eta**2 * hh
                assert lhs <= rhs * (1 + 1e-10) + 1e-12


def test_curvature_limits():
    prob, data = _setup()
    W = dlinv.init_weights(prob.d, prob.m, width=10, depth=3, seed=1)
    c = cv.phase1_constants(W, prob, data)
    # tau -> 0: beta_GN + sqrt(2 fit) Gamma; increasing in tau; overflow guarded
    gam = 3 * c.backward.max() * c.forward.max() * c.middle
    assert c.curvature(0.0) == pytest.approx(c.gauss_newton + np.sqrt(2 * c.fit) * gam)
    assert c.curvature(0.1) > c.curvature(0.01) > c.curvature(0.0)
    assert c.curvature(1e6) == float("inf")
    with pytest.raises(ValueError, match="step_length"):
        c.curvature(-1.0)


def test_phase1_bound_formula_and_checks():
    t = np.arange(5)
    b0 = cv.phase1_bound(t, eta=0.01, mu=2.0, beta=50.0, fit0=3.0, lam=0.0, eps=0.0)
    assert np.allclose(b0, 3.0 * (1 - 0.01 * 2.0 * (2 - 0.5)) ** t)
    b1 = cv.phase1_bound(
        t, eta=0.01, mu=2.0, beta=50.0, fit0=3.0, lam=0.1, weight_norm_sq=10.0, eps=1.0
    )
    mu_eps = 2.0 * 1.0
    assert np.allclose(b1, 3.0 * (1 - 0.01 * mu_eps) ** t + 0.01 * 10.0 / (2 * mu_eps))
    with pytest.raises(ValueError, match="eta\\*beta"):
        cv.phase1_bound(t, eta=0.1, mu=2.0, beta=50.0, fit0=1.0)
    with pytest.raises(ValueError, match="eps = 0"):
        cv.phase1_bound(t, eta=0.01, mu=2.0, beta=50.0, fit0=1.0, lam=0.1, eps=0.0)
    with pytest.raises(ValueError, match="eps must be"):
        cv.phase1_bound(t, eta=0.01, mu=2.0, beta=50.0, fit0=1.0, eps=2.0)


@pytest.mark.parametrize("lam", [0.0, 0.02])
def test_certificate_small_problem(lam):
    prob, data = _setup(d=14, m=8, s=2, n=30, seed=3)
    W0 = dlinv.init_weights(prob.d, prob.m, width=28, depth=3, seed=4)
    c = cv.phase1_constants(W0, prob, data)
    eta = 0.3 / c.curvature(0.0)
    cert = cv.certify_phase1(prob, data, eta=eta, lam=lam, steps=150, init=W0)
    assert np.all(cert.descent_gap >= -1e-12)
    assert cert.hypotheses_hold()
    assert cert.first_certified_step == 0
    assert np.all(cert.fit <= cert.bound() * (1 + 1e-10))
    assert np.all(np.diff(cert.objective) <= 1e-14)
    if lam > 0:
        ib = cv.imbalance_bound(eta, lam, cert.imbalance[0], cert.grad_norm_sq)
        assert np.all(cert.imbalance <= ib * (1 + 1e-10) + 1e-14)
    # the certificate trains exactly like dlinv.train
    ref = dlinv.train(prob, data, lam=lam, eta=eta, steps=150, init=W0, record_every=0, metrics=())
    assert all(np.allclose(a, b, rtol=1e-12, atol=1e-14) for a, b in zip(ref.weights, cert.weights))
    with pytest.raises(ValueError, match="start"):
        cert.bound(start=150)


def test_certificate_detects_large_step():
    prob, data = _setup(d=14, m=8, s=2, n=30, seed=3)
    W0 = dlinv.init_weights(prob.d, prob.m, width=28, depth=3, seed=4)
    c = cv.phase1_constants(W0, prob, data)
    cert = cv.certify_phase1(prob, data, eta=3.0 / c.gauss_newton, lam=0.0, steps=60, init=W0)
    assert not cert.hypotheses_hold()
    assert np.all(cert.descent_gap >= -1e-12)  # the lemma itself holds for every step size
    t0 = cert.first_certified_step
    assert t0 is None or t0 > 0


def test_phase1_step_size_is_certified_at_init():
    prob, data = _setup(seed=7)
    for depth, width in [(2, 20), (3, 12), (5, 30)]:
        W = dlinv.init_weights(prob.d, prob.m, width=width, depth=depth, seed=depth)
        c = cv.phase1_constants(W, prob, data)
        eta = cv.phase1_step_size(
            depth=depth,
            backward=c.backward.max(),
            forward=c.forward.max(),
            middle=c.middle,
            fit_max=c.fit,
        )
        h = np.sqrt(_gsq(W, data))
        assert eta * c.curvature(eta * h) <= 1.0
    with pytest.raises(ValueError, match="middle"):
        cv.phase1_step_size(depth=2, backward=1.0, forward=1.0, middle=0.5, fit_max=1.0)


def test_weight_and_suffix_bounds_after_training():
    prob, data = _setup(seed=8)
    lam, eta, L = 0.05, 0.02, 4
    r = dlinv.train(
        prob,
        data,
        lam=lam,
        eta=eta,
        steps=400,
        depth=L,
        width=16,
        seed=9,
        record_every=5,
        metrics=("loss", "suffix_norm"),
    )
    obj0 = float(r.history["loss"][0])
    assert np.all(np.diff(r.history["loss"]) <= 1e-12)
    wn = sum(float(np.vdot(W, W)) for W in r.weights)
    assert wn <= cv.weight_norm_bound(obj0, lam)
    assert np.max(r.history["suffix_norm"]) <= cv.suffix_norm_bound(obj0, lam, L)
    assert cv.suffix_norm_bound(obj0, lam, 1) == 1.0
    eta2 = cv.descent_step_size(obj0, lam, L, float(np.linalg.eigvalsh(data.Syy)[-1]))
    assert 0 < eta2 < eta
    c = cv.phase1_constants(r.initial_weights, prob, data)
    h0 = np.sqrt(_gsq(r.initial_weights, data, lam))
    assert eta2 * (c.curvature(eta2 * h0) + lam) <= 1.0
    with pytest.raises(ValueError, match="lam"):
        cv.weight_norm_bound(1.0, 0.0)


def test_imbalance_bound_recursion():
    out = cv.imbalance_bound(0.1, 0.5, 2.0, [1.0, 0.0, 4.0])
    q = 0.9
    assert np.allclose(out, [2.0, q * 2 + 0.01, q * (q * 2 + 0.01), q * q * (q * 2 + 0.01) + 0.04])
    with pytest.raises(ValueError, match="2\\*eta\\*lam"):
        cv.imbalance_bound(1.0, 1.0, 1.0, [1.0])


def test_log_rate_exact_exponential():
    t = np.arange(0, 100, 5)
    assert cv.log_rate(t, 3.0 * np.exp(-0.02 * t), 10, 90) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="at least two"):
        cv.log_rate(t, np.exp(-t), 1000, 2000)


def test_phase_boundaries_synthetic():
    t = np.arange(0, 100, 10)
    on = np.array([5, 3, 0.15, 0.08, 0.095, 0.097, 0.101, 0.1, 0.1, 0.1])
    off = np.array([5, 4, 3, 2, 1, 0.5, 0.2, 0.05, 0.02, 0.005])
    h = History(step=t, values={"on_subspace": on, "off_subspace": off})
    b = cv.phase_boundaries(h, 0.1, eps=0.01)
    assert b == {"T1": 20, "T2": 40, "T3": 90}
    b = cv.phase_boundaries(h, 0.1, eps=1e-4)
    assert b["T3"] is None


def test_steps_to_accuracy_matches_single_run():
    prob, data = _setup(seed=11)
    W0 = dlinv.init_weights(prob.d, prob.m, width=20, depth=3, seed=12)
    eta = 0.5 / cv.phase1_constants(W0, prob, data).gauss_newton
    ref = dlinv.train(
        prob, data, lam=0.0, eta=eta, steps=3000, init=W0, record_every=1, metrics=("on_subspace",)
    )
    first = int(ref.history.step[np.nonzero(ref.history["on_subspace"] <= 1e-3)[0][0]])
    for chunk in (7, 100, 5000):
        assert (
            cv.steps_to_accuracy(
                prob, data, lam=0.0, eta=eta, tol=1e-3, max_steps=3000, init=W0, chunk=chunk
            )
            == first
        )
    assert (
        cv.steps_to_accuracy(prob, data, lam=0.0, eta=eta, tol=1e-3, max_steps=first - 1, init=W0)
        is None
    )
    # scheme names work too
    assert (
        cv.steps_to_accuracy(
            prob,
            data,
            lam=0.0,
            eta=eta,
            tol=1e-3,
            max_steps=3000,
            init="fan_in",
            depth=3,
            width=20,
            seed=12,
        )
        == first
    )


def test_input_validation():
    prob, data = _setup()
    W = dlinv.init_weights(prob.d, prob.m, width=8, depth=2, seed=0)
    with pytest.raises(ValueError, match="InverseProblem"):
        cv.phase1_constants(W, "not a problem", data)
    other = dlinv.make_training_data(dlinv.random_problem(13, 8, 2, seed=0), 20, seed=0)
    with pytest.raises(ValueError, match="data has X"):
        cv.phase1_constants(W, prob, other)
    few = dlinv.TrainingData(data.X[:, :1], data.Y[:, :1])
    with pytest.raises(ValueError, match="rank < s"):
        cv.phase1_constants(W, prob, few)
    with pytest.raises(ValueError, match="depth"):
        cv.expected_operator_gain(10, 0, 5)


# ---- the aligned case (thm-ch5-aligned) -----------------------------------------------------------
@pytest.mark.parametrize("L", [2, 3, 4, 6])
def test_aligned_limit_is_chapter4_nonzero_branch(L):
    sig = np.array([1.5, 1.0, 0.7])
    lam = 0.05
    pred = cv.aligned_prediction(1.0, sig, lam, L, 0.01)
    assert pred.converges.all()
    np.testing.assert_allclose(
        pred.a_limit**L, theory.spectral_limit(sig, lam, L, branch="nonzero"), rtol=1e-10
    )
    # the limit is a fixed point of the scalar recursion, and F'(x_+) > 0
    np.testing.assert_allclose(
        cv.aligned_step(pred.a_limit, sig, lam, L, 0.01), pred.a_limit, rtol=1e-12
    )
    assert np.all(pred.rate > 0)


def test_aligned_thresholds_match_chapter4():
    L = 4
    cL = theory.collapse_threshold(L)
    sig = np.array([1.0])
    below = cv.aligned_prediction(1.0, sig, 0.999 * cL, L, 0.01)
    above = cv.aligned_prediction(1.0, sig, 1.001 * cL, L, 0.01)
    assert below.converges[0] and not above.converges[0]
    # near the threshold both roots approach x_* with x_*^L = (L-2)/(2L-2)
    x_star = ((L - 2) / (2 * L - 2)) ** (1 / L)
    assert abs(below.a_saddle[0] - x_star) < 0.05 and abs(below.a_limit[0] - x_star) < 0.05


def test_aligned_step_size_formula():
    sig, a0, lam, L = np.array([2.0, 0.5]), np.array([1.0, 3.0]), 0.1, 3
    xbar = np.maximum(1, sig ** (1 / L) * a0)
    expected = np.min(1 / ((2 * L - 1) * sig ** (2 / L) * xbar ** (2 * L - 2) + lam))
    assert cv.aligned_step_size(a0, sig, lam, L) == pytest.approx(expected)
