"""The checks of Lab 8's coding exercises pass the reference solutions and reject typical wrong
implementations with feedback that names the property that fails."""

import numpy as np
import pytest

from dlinv.exercises import CheckFailed
from dlinv.exercises import ch8 as ex


# ---- reference solutions (as in the lab) ---------------------------------------------------------
def relu_gradients(weights, Y, X):
    acts = [Y]
    for W in weights[:-1]:
        acts.append(np.maximum(W @ acts[-1], 0.0))
    omega = (weights[-1] @ acts[-1] - X) / Y.shape[1]
    grads = [None] * len(weights)
    for j in range(len(weights) - 1, -1, -1):
        grads[j] = omega @ acts[j].T
        if j > 0:
            omega = (weights[j].T @ omega) * (acts[j] > 0)
    return grads


def first_layer_offsubspace(W1_0, U, eta, lam, t):
    return (1 - eta * lam) ** t * (W1_0 - (W1_0 @ U) @ U.T)


def neuron_imbalance(weights):
    return [
        np.sum(weights[j + 1] ** 2, axis=0) - np.sum(weights[j] ** 2, axis=1)
        for j in range(len(weights) - 1)
    ]


def test_references_pass(capsys):
    assert ex.check_relu_gradients(relu_gradients)
    assert ex.check_first_layer_offsubspace(first_layer_offsubspace)
    assert ex.check_neuron_imbalance(neuron_imbalance)
    assert capsys.readouterr().out.count("passed") == 3


def _fails(check, fn, capsys, *phrases):
    with pytest.raises(CheckFailed):
        check(fn)
    out = capsys.readouterr().out
    for p in phrases:
        assert p in out, out
    return out


# ---- wrong implementations -------------------------------------------------------------------------
def test_gradients_reject_missing_mask(capsys):
    def no_mask(weights, Y, X):  # the linear network's gradient at the ReLU activations
        acts = [Y]
        for W in weights[:-1]:
            acts.append(np.maximum(W @ acts[-1], 0.0))
        omega = (weights[-1] @ acts[-1] - X) / Y.shape[1]
        grads = [None] * len(weights)
        for j in range(len(weights) - 1, -1, -1):
            grads[j] = omega @ acts[j].T
            omega = weights[j].T @ omega
        return grads

    _fails(ex.check_relu_gradients, no_mask, capsys, "finite differences", "eq-ch8-backprop")


def test_gradients_reject_missing_1_over_N(capsys):
    def times_n(weights, Y, X):
        return [Y.shape[1] * g for g in relu_gradients(weights, Y, X)]

    _fails(ex.check_relu_gradients, times_n, capsys, "N times too large")


def test_gradients_reject_wrong_sign(capsys):
    def flipped(weights, Y, X):
        return [-g for g in relu_gradients(weights, Y, X)]

    _fails(ex.check_relu_gradients, flipped, capsys, "wrong sign")


def test_gradients_reject_transpose(capsys):
    def transposed(weights, Y, X):
        return [g.T for g in relu_gradients(weights, Y, X)]

    _fails(ex.check_relu_gradients, transposed, capsys, "shape")


def test_offsubspace_rejects_wrong_exponent(capsys):
    def squared(W1_0, U, eta, lam, t):
        return (1 - eta * lam) ** (2 * t) * (W1_0 - (W1_0 @ U) @ U.T)

    _fails(ex.check_first_layer_offsubspace, squared, capsys, "prop-ch8-frozen", "once per step")


def test_offsubspace_rejects_wrong_projector(capsys):
    def onto_AS(W1_0, U, eta, lam, t):
        return (1 - eta * lam) ** t * (W1_0 @ U @ U.T)

    _fails(ex.check_first_layer_offsubspace, onto_AS, capsys, "I - U U^T")


def test_offsubspace_rejects_missing_decay(capsys):
    def frozen(W1_0, U, eta, lam, t):  # right only without weight decay
        return W1_0 - (W1_0 @ U) @ U.T

    _fails(ex.check_first_layer_offsubspace, frozen, capsys, "prop-ch8-frozen")


def test_imbalance_rejects_wrong_sign(capsys):
    def flipped(weights):
        return [-x for x in neuron_imbalance(weights)]

    _fails(ex.check_neuron_imbalance, flipped, capsys, "wrong sign", "prop-ch8-balance")


def test_imbalance_rejects_rows_for_columns(capsys):
    def rows(weights):
        return [
            np.sum(weights[j + 1] ** 2, axis=1)[: weights[j].shape[0]]
            - np.sum(weights[j] ** 2, axis=1)
            for j in range(len(weights) - 1)
        ]

    _fails(ex.check_neuron_imbalance, rows, capsys, "prop-ch8-balance")


def test_stubs_are_not_implemented(capsys):
    def stub(*args):
        raise NotImplementedError("Coding exercise 8.k")

    for check in (
        ex.check_relu_gradients,
        ex.check_first_layer_offsubspace,
        ex.check_neuron_imbalance,
    ):
        fb = check(stub)
        assert not fb.implemented and not fb.passed
    assert capsys.readouterr().out.count("not implemented yet") == 3
