"""Bad input gets a clear ValueError naming the parameter; nothing silently broadcasts."""

import numpy as np
import pytest

import dlinv
from dlinv import metrics, theory


@pytest.mark.parametrize("d,m,s", [(10, 5, 5), (10, 5, 7), (10, 10, 3), (10, 12, 3)])
def test_dimensions_must_satisfy_s_lt_m_lt_d(d, m, s):
    with pytest.raises(ValueError, match="s < m < d"):
        dlinv.random_problem(d, m, s, seed=0)


@pytest.mark.parametrize("seed", [None, 1.5, "0", True, -1, np.random.RandomState(0), [1, 2]])
def test_seed_types(seed):
    with pytest.raises(ValueError, match="seed"):
        dlinv.random_problem(10, 5, 2, seed=seed)


def test_generator_and_numpy_ints_are_accepted_seeds():
    a = dlinv.random_problem(10, 5, 2, seed=np.int64(3))
    b = dlinv.random_problem(10, 5, 2, seed=np.random.default_rng(3))
    assert np.array_equal(a.A, b.A)


@pytest.mark.parametrize(
    "name,kw",
    [
        ("width", dict(width=0, depth=3)),
        ("width", dict(width=-2, depth=3)),
        ("width", dict(width=2.5, depth=3)),
        ("depth", dict(width=4, depth=0)),
        ("depth", dict(width=4, depth=-1)),
        ("depth", dict(width=4, depth=2.0)),
    ],
)
def test_width_and_depth_must_be_positive_ints(name, kw):
    with pytest.raises(ValueError, match=name):
        dlinv.init_weights(10, 5, seed=0, **kw)


@pytest.fixture(scope="module")
def prob():
    P = dlinv.random_problem(10, 6, 2, seed=0)
    return P, dlinv.make_training_data(P, 20, seed=1)


@pytest.mark.parametrize("lam", [-0.1, np.nan, np.inf, "0.1", None])
def test_bad_weight_decay(prob, lam):
    P, D = prob
    with pytest.raises(ValueError, match="lam"):
        dlinv.train(P, D, lam=lam, eta=0.1, steps=1, depth=2, width=3, seed=0)


@pytest.mark.parametrize("eta", [0.0, -0.1, np.nan, np.inf, "fast", None])
def test_bad_step_size(prob, eta):
    P, D = prob
    with pytest.raises(ValueError, match="eta"):
        dlinv.train(P, D, lam=0.0, eta=eta, steps=1, depth=2, width=3, seed=0)


def test_eta_lam_above_one_is_refused(prob):
    P, D = prob
    with pytest.raises(ValueError, match="eta\\*lam"):
        dlinv.train(P, D, lam=2.0, eta=0.6, steps=1, depth=2, width=3, seed=0)


@pytest.mark.parametrize("noise", [-1.0, np.nan, np.inf])
def test_bad_noise(prob, noise):
    P, _ = prob
    with pytest.raises(ValueError, match="noise"):
        dlinv.noisy_measurements(P, P.R, noise, seed=0)
    with pytest.raises(ValueError, match="noise"):
        metrics.error_decomposition(P.oracle, P, noise)


def test_bad_steps_and_record_every(prob):
    P, D = prob
    with pytest.raises(ValueError, match="steps"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=-1, depth=2, width=3, seed=0)
    with pytest.raises(ValueError, match="record_every"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, depth=2, width=3, seed=0, record_every=-5)
    with pytest.raises(ValueError, match="unknown metrics"):
        dlinv.train(
            P, D, lam=0.0, eta=0.1, steps=1, depth=2, width=3, seed=0, metrics=("accuracy",)
        )


def test_scheme_name_needs_depth_and_seed(prob):
    P, D = prob
    with pytest.raises(ValueError, match="seed"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, depth=2, width=3)
    with pytest.raises(ValueError, match="depth"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, width=3, seed=0)
    with pytest.raises(ValueError, match="scheme"):
        dlinv.init_weights(10, 6, width=3, depth=2, seed=0, scheme="xavier")


def test_wrong_shapes_never_broadcast(prob):
    P, D = prob
    good = dlinv.init_weights(10, 6, width=3, depth=2, seed=0)
    with pytest.raises(ValueError, match="chain"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, init=(good[0], np.zeros((10, 4))))
    with pytest.raises(ValueError, match="m = 6"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, init=(np.zeros((3, 5)), np.zeros((10, 3))))
    with pytest.raises(ValueError, match="d = 10"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, init=(np.zeros((3, 6)), np.zeros((9, 3))))
    with pytest.raises(ValueError, match="2-D"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, init=(np.zeros(6),))
    with pytest.raises(ValueError, match="list or tuple"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, init=np.zeros((10, 6)))
    with pytest.raises(ValueError, match="NaN"):
        dlinv.train(P, D, lam=0.0, eta=0.1, steps=1, init=(np.full((10, 6), np.nan),))
    with pytest.raises(ValueError, match="W must have shape"):
        metrics.on_subspace_error(np.zeros((6, 10)), P)  # transposed map
    with pytest.raises(ValueError, match="W must have shape"):
        metrics.on_subspace_error(np.zeros((10, 1)), P)  # would broadcast
    with pytest.raises(ValueError, match="Y must have shape"):
        dlinv.TrainingData(np.zeros((10, 5)), np.zeros((6, 4)))
    with pytest.raises(ValueError, match="R must have shape"):
        dlinv.InverseProblem(P.A, np.eye(9)[:, :2])
    with pytest.raises(ValueError, match="orthonormal"):
        dlinv.InverseProblem(P.A, 2 * P.R)
    with pytest.raises(ValueError, match="problem has d=10"):
        dlinv.train(
            P,
            dlinv.TrainingData(np.zeros((9, 5)), np.zeros((6, 5))),
            lam=0.0,
            eta=0.1,
            steps=1,
            depth=1,
            seed=0,
        )


def test_theory_inputs():
    with pytest.raises(ValueError, match="sigma"):
        theory.spectral_limit([1.0, -1.0], 0.1, 3)
    with pytest.raises(ValueError, match="branch"):
        theory.spectral_limit(1.0, 0.1, 3, branch="local")
    with pytest.raises(ValueError, match="d > m \\+ 1"):
        theory.pinv_noise_amplification_gaussian(10, 9)
    with pytest.raises(ValueError, match="latent_cov"):
        metrics.error_decomposition(
            np.zeros((10, 6)), dlinv.random_problem(10, 6, 2, seed=0), 0.1, latent_cov=-np.eye(2)
        )
