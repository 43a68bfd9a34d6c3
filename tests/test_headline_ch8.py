"""Chapter 8's headline check (Lemma A for a ReLU network's first layer) can fail (issue 9,
New C): fed a wrong step count, a wrong weight decay or a perturbed layer, it raises."""

import numpy as np
import pytest

import dlinv
from dlinv import relu
from dlinv import relu_analysis as ra

ETA, LAM, T = 0.1, 0.05, 150


@pytest.fixture(scope="module")
def run():
    prob = dlinv.random_problem(16, 10, 3, seed=0)
    data = dlinv.make_training_data(prob, 40, seed=1)
    r = relu.train_relu(
        prob, data, lam=LAM, eta=ETA, steps=T, depth=3, width=20, seed=2, record_every=T
    )
    return prob, np.array(r.initial_weights[0]), np.array(r.weights[0])


def test_passes_on_a_real_run(run):
    prob, W0, WT = run
    assert ra.check_frozen_first_layer(W0, WT, prob, eta=ETA, lam=LAM, steps=T) < 1e-12


@pytest.mark.parametrize(
    "kwargs",
    [
        {"eta": ETA, "lam": LAM, "steps": T + 1},  # wrong exponent
        {"eta": ETA, "lam": 2 * LAM, "steps": T},  # wrong lambda
        {"eta": ETA, "lam": 0.0, "steps": T},
    ],
)  # no decay
def test_rejects_wrong_rates(run, kwargs):
    prob, W0, WT = run
    with pytest.raises(AssertionError, match="prop-ch8-frozen"):
        ra.check_frozen_first_layer(W0, WT, prob, **kwargs)


def test_rejects_a_perturbed_first_layer(run):
    prob, W0, WT = run
    rng = np.random.default_rng(0)
    with pytest.raises(AssertionError, match="deviates"):
        ra.check_frozen_first_layer(
            W0, WT + 1e-6 * rng.standard_normal(WT.shape), prob, eta=ETA, lam=LAM, steps=T
        )
