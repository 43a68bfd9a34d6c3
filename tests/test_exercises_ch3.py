"""Lab 3's coding exercises: each check passes the reference solution, rejects typical wrong
implementations with feedback naming the property that fails, and reports a stub as not
implemented (without raising)."""

import numpy as np
import pytest

from dlinv.exercises import CheckFailed
from dlinv.exercises import ch3 as ex

# --- reference solutions (as in the lab) and wrong variants -----------------------------------


def _prefix_suffix(weights):
    L = len(weights)
    prefix = [np.eye(weights[0].shape[1])]  # prefix[l] = W_{l:1}
    for W in weights:
        prefix.append(W @ prefix[-1])
    suffix = [np.eye(weights[-1].shape[0])]  # suffix[k] = W_{L:L-k+1}
    for W in reversed(weights):
        suffix.append(suffix[-1] @ W)
    return prefix, [suffix[L - ell] for ell in range(1, L + 1)]  # W_{L:l+1}, l = 1..L


def layer_gradients(weights, Syy, Sxy, lam):
    prefix, suffix = _prefix_suffix(weights)
    G = prefix[-1] @ Syy - Sxy
    return [S.T @ G @ P.T + lam * W for W, S, P in zip(weights, suffix, prefix[:-1])]


def gradients_no_decay(weights, Syy, Sxy, lam):
    return layer_gradients(weights, Syy, Sxy, 0.0)


def gradients_transposed(weights, Syy, Sxy, lam):
    """The transpose of the right data gradient: P G^T S instead of S^T G P^T."""
    prefix, suffix = _prefix_suffix(weights)
    G = prefix[-1] @ Syy - Sxy
    return [P @ G.T @ S + lam * W.T for W, S, P in zip(weights, suffix, prefix[:-1])]


def gradients_wrong_order(weights, Syy, Sxy, lam):
    """Prefix and suffix swapped in the middle layers (shapes agree when all are square)."""
    prefix, suffix = _prefix_suffix(weights)
    G = prefix[-1] @ Syy - Sxy
    out = []
    for ell, (W, S, P) in enumerate(zip(weights, suffix, prefix[:-1]), start=1):
        g = S.T @ G @ P.T
        if 1 < ell < len(weights):
            g = g.T
        out.append(g + lam * W)
    return out


def imbalance_after_step(weights, full_grads, eta, lam):
    out = []
    for j in range(1, len(weights)):
        D = weights[j].T @ weights[j] - weights[j - 1] @ weights[j - 1].T
        Gn, Gj = full_grads[j], full_grads[j - 1]
        out.append((1 - 2 * eta * lam) * D + eta**2 * (Gn.T @ Gn - Gj @ Gj.T))
    return out


def imbalance_old_factor(weights, full_grads, eta, lam):
    out = []
    for j in range(1, len(weights)):
        D = weights[j].T @ weights[j] - weights[j - 1] @ weights[j - 1].T
        Gn, Gj = full_grads[j], full_grads[j - 1]
        out.append((1 - eta * lam) ** 2 * D + eta**2 * (Gn.T @ Gn - Gj @ Gj.T))
    return out


def imbalance_no_second_order(weights, full_grads, eta, lam):
    return [
        (1 - 2 * eta * lam) * (weights[j].T @ weights[j] - weights[j - 1] @ weights[j - 1].T)
        for j in range(1, len(weights))
    ]


def imbalance_swapped_transposes(weights, full_grads, eta, lam):
    out = []
    for j in range(1, len(weights)):
        D = weights[j].T @ weights[j] - weights[j - 1] @ weights[j - 1].T
        Gn, Gj = full_grads[j], full_grads[j - 1]
        A = Gn @ Gn.T if Gn.shape[0] == Gn.shape[1] else Gn.T @ Gn
        B = Gj.T @ Gj if Gj.shape[0] == Gj.shape[1] else Gj @ Gj.T
        out.append((1 - 2 * eta * lam) * D + eta**2 * (A - B))
    return out


def balanced_factorization(M, depth):
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    root = np.diag(s ** (1.0 / depth))
    if depth == 1:
        return [M.copy()]
    return [root @ Vt] + [root.copy() for _ in range(depth - 2)] + [U @ root]


def unbalanced_factorization(M, depth):
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    if depth == 1:
        return [M.copy()]
    k = len(s)
    return [np.diag(s) @ Vt] + [np.eye(k) for _ in range(depth - 2)] + [U]


def wrong_exponent_factorization(M, depth):
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    root = np.diag(s ** (1.0 / (depth + 1)))
    if depth == 1:
        return [M.copy()]
    return [root @ Vt] + [root.copy() for _ in range(depth - 2)] + [U @ root]


def stub(*args):
    raise NotImplementedError("Coding exercise 3.k: write it")


# --- tests --------------------------------------------------------------------------------------

CASES = [
    (
        ex.check_layer_gradients,
        layer_gradients,
        [
            (gradients_no_decay, "right for lambda = 0 but not"),
            (gradients_transposed, "expected"),
            (gradients_wrong_order, "relative error"),
        ],
    ),
    (
        ex.check_imbalance_step,
        imbalance_after_step,
        [
            (imbalance_old_factor, "(1 - eta lambda)^2"),
            (imbalance_no_second_order, "eta^2 term is missing"),
            (imbalance_swapped_transposes, ""),
        ],
    ),
    (
        ex.check_balanced_factorization,
        balanced_factorization,
        [
            (unbalanced_factorization, "is not zero"),
            (wrong_exponent_factorization, "not the given map"),
        ],
    ),
]


@pytest.mark.parametrize("check, solution", [(c, s) for c, s, _ in CASES])
def test_reference_passes(check, solution, capsys):
    fb = check(solution)
    assert fb.passed and fb.implemented
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("check, wrong, says", [(c, w, say) for c, _, ws in CASES for w, say in ws])
def test_wrong_implementation_rejected(check, wrong, says, capsys):
    with pytest.raises(CheckFailed):
        check(wrong)
    out = capsys.readouterr().out
    assert "not right yet" in out or "raised" in out
    assert says in out
    if "not right yet" in out:
        assert "This contradicts:" in out


@pytest.mark.parametrize("check", [c for c, _, _ in CASES])
def test_stub_is_not_implemented(check, capsys):
    fb = check(stub)
    assert not fb.passed and not fb.implemented
    assert "not implemented yet" in capsys.readouterr().out
