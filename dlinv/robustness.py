"""Noise robustness of learned solution maps (Chapter 7).

Closed forms and diagnostics for the error decomposition (eq. ``eq-error-decomposition``,
implemented in :func:`dlinv.metrics.error_decomposition`):

- fully theoretical test-error curves of the baselines (oracle, pseudo-inverse, closed-form
  weight-decay limit) and of the best linear map (Wiener filter);
- the *signal channel* of a network, ``H = range(W_1 U)`` (the hidden image of the measured
  subspace ``A S``), and the split of the off-subspace response through it;
- the two-rate model of the residual off-subspace response after ``T`` steps of gradient
  descent with weight decay, and the weight decay that balances it against the bias.

Relative errors are RMS ratios ``(E||W y - x||^2 / E||x||^2)^{1/2}`` for ``x = R z``,
``z ~ N(0, I_s)`` (so ``E||x||^2 = s``) and ``y = A x + e``, ``e ~ N(0, noise^2 I_m)``.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from . import theory
from .network import check_weights, partial_product
from .problem import InverseProblem, TrainingData


def _noise(noise) -> float:
    return V.nonneg_float(noise, "noise")


# ---- fully theoretical error curves ---------------------------------------------------------
def oracle_relative_error(problem: InverseProblem, noise: float) -> float:
    """``noise * (sum_i sigma_i^{-2} / s)^{1/2}``: the oracle has no bias and no off-subspace
    response, so only ``eq-oracle-noise`` remains (Chapter 7, ``eq-ch7-oracle-curve``)."""
    return _noise(noise) * float(np.sqrt(theory.oracle_noise_amplification(problem) / problem.s))


def pinv_relative_error(problem: InverseProblem, noise: float) -> float:
    """``((||(A^+ A - I) R||_F^2 + noise^2 tr (A A^T)^{-1}) / s)^{1/2}`` for the given ``A``
    (eqs. ``eq-minnorm-error`` and ``eq-pinv-noise``)."""
    noise = _noise(noise)
    total = theory.pinv_signal_error(problem) + noise**2 * theory.pinv_noise_amplification(problem)
    return float(np.sqrt(total / problem.s))


def pinv_relative_error_gaussian(d: int, m: int, s: int, noise: float) -> float:
    """``((d - m)/d + noise^2 m^2 / ((d - m - 1) s))^{1/2}``: the pseudo-inverse's relative error
    with both terms averaged over Gaussian ``A`` (entries ``N(0, 1/m)``; eqs.
    ``eq-minnorm-error-gaussian`` and ``eq-pinv-noise-gaussian``). Needs ``d > m + 1``."""
    noise = _noise(noise)
    signal = theory.pinv_signal_error_gaussian(d, m, s)
    amp = theory.pinv_noise_amplification_gaussian(d, m)
    return float(np.sqrt((signal + noise**2 * amp) / s))


def limit_relative_error(
    problem: InverseProblem, lam: float, depth: int, noise: float, branch: str = "nonzero"
) -> float:
    """Relative error of the closed-form weight-decay limit ``W_lam = R V diag(w) U^T``
    (eq. ``eq-regularized-limit``): ``((sum_i (sigma_i w_i - 1)^2 + noise^2 sum_i w_i^2) / s)^{1/2}``
    (Chapter 7, ``eq-ch7-limit-curve``). ``branch="nonzero"`` follows the branch that gradient
    descent from a random initialization tracks."""
    noise = _noise(noise)
    sig = problem.singular_values
    w = theory.spectral_limit(sig, lam, depth, branch)
    return float(np.sqrt((np.sum((sig * w - 1.0) ** 2) + noise**2 * np.sum(w**2)) / problem.s))


def wiener_map(problem: InverseProblem, noise: float, latent_cov=None) -> np.ndarray:
    """The best linear map at noise level ``noise`` (linear MMSE / Wiener filter):
    ``R C (AR)^T (AR C (AR)^T + noise^2 I_m)^{-1}`` minimizes eq. ``eq-error-decomposition``
    over all ``d x m`` matrices (Chapter 7, Proposition ``prop-ch7-wiener``). For ``noise = 0``
    and ``C = I`` it is the oracle."""
    noise = _noise(noise)
    s = problem.s
    C = np.eye(s) if latent_cov is None else V.matrix(latent_cov, "latent_cov", shape=(s, s))
    if noise == 0:  # the limit noise -> 0 is the oracle whenever C is positive definite
        if np.linalg.eigvalsh(C)[0] <= 0:
            raise ValueError("latent_cov must be positive definite")
        return np.array(problem.oracle)
    AR = problem.AR
    M = AR @ C @ AR.T + noise**2 * np.eye(problem.m)
    return np.linalg.solve(M, (problem.R @ C @ AR.T).T).T  # M is symmetric


def wiener_relative_error(problem: InverseProblem, noise: float) -> float:
    """``(sum_i noise^2 / (sigma_i^2 + noise^2) / s)^{1/2}``: the smallest relative error of any
    linear map for ``z ~ N(0, I_s)`` (Proposition ``prop-ch7-wiener``)."""
    noise = _noise(noise)
    sig = problem.singular_values
    return float(np.sqrt(np.sum(noise**2 / (sig**2 + noise**2)) / problem.s))


# ---- generalization on S --------------------------------------------------------------------
def generalization_ratio_bounds(problem: InverseProblem, data: TrainingData, latent_cov=None):
    """Bounds ``(lo, hi)`` with ``lo <= E||W A x - x||^2 / ((1/N)||W Y - X||_F^2) <= hi`` for every
    map ``W`` that does not fit exactly: the extreme generalized eigenvalues of
    ``C`` against the empirical latent second moment ``C_N = Z Z^T / N`` (Proposition
    ``prop-ch7-no-gap``). Both are 1 for whitened codes and ``C = I``."""
    s = problem.s
    C = np.eye(s) if latent_cov is None else V.matrix(latent_cov, "latent_cov", shape=(s, s))
    Z = problem.R.T @ data.X  # the codes, since X = R Z and R^T R = I
    if np.linalg.norm(data.X - problem.R @ Z) > 1e-8 * max(1.0, np.linalg.norm(data.X)):
        raise ValueError("the training signals do not lie in the subspace S of this problem")
    CN = Z @ Z.T / data.n
    evals, evecs = np.linalg.eigh(CN)
    if evals[0] <= 1e-12 * evals[-1]:
        raise ValueError("the training codes do not span R^s (N < s or degenerate data)")
    inv_root = (evecs / np.sqrt(evals)) @ evecs.T
    ratio = np.linalg.eigvalsh(inv_root @ C @ inv_root)
    return float(ratio[0]), float(ratio[-1])


# ---- the signal channel -----------------------------------------------------------------------
def _channel_basis(M: np.ndarray, problem: InverseProblem) -> np.ndarray:
    H, T = np.linalg.qr(M @ problem.U)
    if np.min(np.abs(np.diag(T))) <= 1e-12 * max(1.0, np.max(np.abs(np.diag(T)))):
        raise ValueError("the layer maps A S to fewer than s dimensions: the channel is degenerate")
    return H


def channel_split(weights, problem: InverseProblem, first_layer=None) -> dict:
    """Split of the off-subspace energy ``||W_{L:1} P_perp||_F^2`` of a network by the signal
    channel ``H = range(W_1^ref U)`` of the first hidden layer (``W_1^ref`` = ``first_layer``,
    default the network's own ``W_1``): ``channel = ||W_{L:2} P_H W_1 P_perp||_F^2`` and
    ``rest = ||W_{L:2} (I - P_H) W_1 P_perp||_F^2``, ``total = channel + rest`` (the two parts are
    not orthogonal in general, so ``total`` is returned separately as the true
    ``||W_{L:1} P_perp||_F^2``). Needs depth ``>= 2``."""
    weights = check_weights(weights, d=problem.d, m=problem.m)
    L = len(weights)
    if L < 2:
        raise ValueError("channel_split needs a network of depth >= 2")
    W1 = weights[0]
    ref = W1 if first_layer is None else V.matrix(first_layer, "first_layer", shape=W1.shape)
    H = _channel_basis(ref, problem)
    F = problem.project_perp(W1)
    S = partial_product(weights, L, 2)
    SH = S @ H
    through = SH @ (H.T @ F)
    full = S @ F
    return {
        "total": float(np.sum(full**2)),
        "channel": float(np.sum(through**2)),
        "rest": float(np.sum((full - through) ** 2)),
    }


def expected_channel_split_at_init(d: int, m: int, s: int, width: int) -> dict:
    """Expectations at fan-in initialization (Proposition ``prop-ch7-channel-init``):
    ``channel = (d/m)(m - s) s / w`` and ``rest = (d/m)(m - s)(1 - s/w)``; they add up to
    Lemma ``lem-init-offsubspace``'s ``(d/m)(m - s)``. Needs ``w >= s``."""
    d, m, s = V.positive_int(d, "d"), V.positive_int(m, "m"), V.positive_int(s, "s")
    width = V.positive_int(width, "width", minimum=s)
    total = theory.expected_initial_offsubspace_sq(d, m, s)
    return {"channel": total * s / width, "rest": total * (1.0 - s / width), "total": total}


def hidden_channel_overlaps(weights, problem: InverseProblem) -> np.ndarray:
    """``rho_l = ||P_{H_l} W_{l:1} P_perp||_F^2 / ||W_{l:1} P_perp||_F^2`` for ``l = 1, ..., L-1``,
    with ``H_l = range(W_{l:1} U)``: the fraction of the off-subspace features at hidden layer
    ``l`` that share directions with the signal features. At fan-in initialization
    ``E||P_{H_1} W_1 P_perp||_F^2 / E||W_1 P_perp||_F^2 = s / w``."""
    weights = check_weights(weights, d=problem.d, m=problem.m)
    out = []
    M = None
    for W in weights[:-1]:
        M = W if M is None else W @ M
        H = _channel_basis(M, problem)
        F = problem.project_perp(M)
        out.append(float(np.sum((H.T @ F) ** 2) / np.sum(F**2)))
    return np.asarray(out)


def interpolant_channel_energy(first_layer, problem: InverseProblem) -> float:
    """``||Sigma^{-1} (W_1 U)^+ W_1 P_perp||_F^2``: the off-subspace energy through the current signal
    channel ``H = range(W_1 U)`` of any network that is exact on ``S`` (``W_{L:1} A R = R``), computed
    from its first layer alone (Lemma ``lem-ch7-channel-fit``): then ``W_{L:2} P_H = R V Sigma^{-1} (W_1 U)^+``,
    whatever the other layers are. Compare ``channel_split(weights, problem)["channel"]``."""
    W1 = V.matrix(first_layer, "first_layer", shape=(None, problem.m))
    G1 = W1 @ problem.U
    if np.linalg.matrix_rank(G1) < problem.s:
        raise ValueError("W_1 U has rank < s: the first layer does not carry the whole signal")
    K = np.linalg.lstsq(G1, problem.project_perp(W1), rcond=None)[0]  # (W_1 U)^+ W_1 P_perp
    return float(np.sum((K / problem.singular_values[:, None]) ** 2))


def lazy_channel_energy(problem: InverseProblem, width: int) -> float:
    """``(sum_i sigma_i^{-2}) (m - s) / (w - s - 1)``: expected off-subspace energy through the
    signal channel after gradient descent without weight decay has fitted ``S``, if the first
    layer does not move (lazy regime; Remark ``rem-ch7-channel-model``). Needs ``w >= s + 2``."""
    width = V.positive_int(width, "width", minimum=problem.s + 2)
    return (
        theory.oracle_noise_amplification(problem)
        * (problem.m - problem.s)
        / (width - problem.s - 1)
    )


def balanced_channel_energy(problem: InverseProblem, lam: float, depth: int) -> float:
    """``((m - s)/m) sum_i w_i^{2(L-1)/L}``: the coefficient of ``(1 - eta lam)^{2t}`` in the
    off-subspace energy once the network is balanced on the channel and ``W_{L:1}`` is close to
    ``W_lam`` (Remark ``rem-ch7-two-rate``); ``w_i`` from the nonzero branch of eq.
    ``eq-spectral-limit``."""
    depth = V.positive_int(depth, "depth")
    w = theory.spectral_limit(problem.singular_values, lam, depth, "nonzero")
    return float((problem.m - problem.s) / problem.m * np.sum(w ** (2.0 * (depth - 1) / depth)))


def no_decay_offsubspace_model(problem: InverseProblem, width: int) -> float:
    """Channel model of ``||W_{L:1}(t) P_perp||_F^2`` after training without weight decay:
    the part outside the channel keeps its initial mean ``(d/m)(m - s)(1 - s/w)`` and the channel
    part is re-programmed to :func:`lazy_channel_energy` (Remark ``rem-ch7-channel-model``)."""
    rest = expected_channel_split_at_init(problem.d, problem.m, problem.s, width)["rest"]
    return rest + lazy_channel_energy(problem, width)


def residual_offsubspace_model(
    problem: InverseProblem, *, width: int, depth: int, lam: float, eta: float, steps
) -> np.ndarray:
    """Two-rate model of ``||W_{L:1}(T) P_perp||_F`` after ``T = steps`` GD steps with weight
    decay (Remark ``rem-ch7-two-rate``, a heuristic, not a theorem):

        ||W_{L:1}(T) P_perp||_F^2 ~ (d/m)(m - s)(1 - s/w) q^{2 L T} + c_ch q^{2 T},  q = 1 - eta lam,

    the random part travelling through every layer decays ``L`` times faster than the channel
    part, whose weight ``c_ch`` is :func:`balanced_channel_energy`."""
    eta = V.nonneg_float(eta, "eta", positive=True)
    lam = V.nonneg_float(lam, "lam")
    depth = V.positive_int(depth, "depth", minimum=2)
    T = np.asarray(steps, dtype=float)
    q = 1.0 - eta * lam
    rest = expected_channel_split_at_init(problem.d, problem.m, problem.s, width)["rest"]
    ch = (
        balanced_channel_energy(problem, lam, depth)
        if lam > 0
        else lazy_channel_energy(problem, width)
    )
    return np.sqrt(rest * q ** (2 * depth * T) + ch * q ** (2 * T))


def tradeoff_model_error(
    problem: InverseProblem,
    *,
    width: int,
    depth: int,
    lam: float,
    eta: float,
    steps: int,
    noise: float,
) -> float:
    """Model of the relative test error after ``steps`` GD steps at weight decay ``lam``:
    the closed-form limit's bias and on-subspace noise (:func:`limit_relative_error`) plus
    ``noise^2`` times the squared :func:`residual_offsubspace_model` (eq. ``eq-ch7-tradeoff-model``)."""
    noise = _noise(noise)
    lim = limit_relative_error(problem, lam, depth, noise) ** 2 * problem.s
    off = (
        float(
            residual_offsubspace_model(
                problem, width=width, depth=depth, lam=lam, eta=eta, steps=steps
            )
        )
        ** 2
    )
    return float(np.sqrt((lim + noise**2 * off) / problem.s))


def bias_first_order(problem: InverseProblem, lam: float, depth: int) -> float:
    """``lam (sum_i sigma_i^{-4/L})^{1/2}``: the first-order on-subspace bias of the limit
    (eqs. ``eq-small-lambda``, ``eq-limit-bias``), the large-``lam`` asymptote of the trade-off."""
    lam = V.nonneg_float(lam, "lam")
    depth = V.positive_int(depth, "depth")
    return lam * float(np.sqrt(np.sum(problem.singular_values ** (-4.0 / depth))))


def offsubspace_bound_curve(
    noise: float, *, B: float, first_layer_offsubspace: float, eta: float, lam, steps: int, s: int
) -> np.ndarray:
    """``noise B (1 - eta lam)^T ||W_1(0) P_perp||_F / sqrt(s)``: the rigorous bound
    (Theorem ``thm-phase3``) on the off-subspace noise in relative units, as a function of ``lam``."""
    noise = _noise(noise)
    s = V.positive_int(s, "s")
    steps = V.positive_int(steps, "steps", minimum=0)
    lam = np.asarray(lam, dtype=float)
    if np.any(lam < 0):
        raise ValueError("lam must be >= 0")
    B = V.nonneg_float(B, "B")
    F0 = V.nonneg_float(first_layer_offsubspace, "first_layer_offsubspace")
    q = 1.0 - V.nonneg_float(eta, "eta", positive=True) * lam
    return noise * B * F0 * q**steps / np.sqrt(s)


def lambert_w0(x) -> np.ndarray:
    """Principal branch of the Lambert W function, ``W(x) e^{W(x)} = x``, for ``x >= 0``
    (Halley iteration; numpy only)."""
    x = np.asarray(x, dtype=float)
    if np.any(~np.isfinite(x)) or np.any(x < 0):
        raise ValueError("lambert_w0 needs finite x >= 0")
    w = np.where(x < 1.0, x * (1.0 - x + 1.5 * x * x), np.log1p(x))  # start below the root
    w = np.where(x > 3.0, np.log(np.maximum(x, 3.0)) - np.log(np.log(np.maximum(x, 3.0))), w)
    for _ in range(60):
        ew = np.exp(w)
        f = w * ew - x
        wp1 = w + 1.0
        denom = ew * wp1 - (w + 2.0) * f / (2.0 * wp1)
        w = w - f / denom
    return w


def tradeoff_optimum(*, beta: float, c: float, rate: float, noise: float) -> float:
    """Minimizer of ``lam^2 beta^2 + noise^2 c^2 exp(-2 rate lam)`` over ``lam >= 0``:
    ``lam* = W_0(2 rate^2 noise^2 c^2 / beta^2) / (2 rate)`` (eq. ``eq-ch7-optimal-lambda``). With
    ``beta = (sum sigma_i^{-4/L})^{1/2}``, ``c^2 = (d/m)(m - s)(1 - s/w)`` and ``rate = L eta T`` it
    balances the bias against the random part of the two-rate model."""
    beta = V.nonneg_float(beta, "beta", positive=True)
    c = V.nonneg_float(c, "c")
    rate = V.nonneg_float(rate, "rate", positive=True)
    noise = _noise(noise)
    return float(lambert_w0(2.0 * rate**2 * noise**2 * c**2 / beta**2) / (2.0 * rate))


# ---- predictions that do not look at the trained weights, and their checks ----------------------
class PredictionMismatch(AssertionError):
    """A measured test error differs from its prediction by more than the stated tolerance."""


def no_decay_relative_error(problem: InverseProblem, width: int, noise: float) -> float:
    """Prediction for a network trained WITHOUT weight decay until it is exact on ``S``:
    ``noise ((sum_i sigma_i^{-2} + c_0) / s)^{1/2}`` with ``c_0`` the channel model
    :func:`no_decay_offsubspace_model` (Lemma B's ``(d/m)(m - s)`` outside the channel plus the
    re-programmed channel part). The first term is the oracle's noise gain: an exact map has the
    oracle's on-subspace response (Corollary ``cor-ch7-baselines``, item 2). Uses only ``A``, ``R``,
    ``w``: no trained weight."""
    noise = _noise(noise)
    gain = theory.oracle_noise_amplification(problem) + no_decay_offsubspace_model(problem, width)
    return noise * float(np.sqrt(gain / problem.s))


def predicted_test_errors(
    problem: InverseProblem, noise_levels, *, width: int, depth: int, eta: float, budgets: dict
) -> dict:
    """Predicted relative test errors that never look at a trained network.

    Keys: ``"oracle"`` (closed form ``eq-ch7-oracle-curve``), ``"pinv"`` (Gaussian average
    ``eq-ch7-pinv-curve``) and, for each ``lam -> steps`` in ``budgets``: for ``lam = 0`` the
    channel model (:func:`no_decay_relative_error`), for ``lam > 0`` the two-rate model
    (:func:`tradeoff_model_error`: the closed-form limit ``W_lam`` plus the modelled residual
    off-subspace response after ``steps`` steps). Values are arrays over ``noise_levels``."""
    levels = np.asarray(noise_levels, dtype=float)
    out = {
        "oracle": np.array([oracle_relative_error(problem, x) for x in levels]),
        "pinv": np.array(
            [pinv_relative_error_gaussian(problem.d, problem.m, problem.s, x) for x in levels]
        ),
    }
    for lam, steps in budgets.items():
        if lam == 0:
            out[lam] = np.array([no_decay_relative_error(problem, width, x) for x in levels])
        else:
            out[lam] = np.array(
                [
                    tradeoff_model_error(
                        problem, width=width, depth=depth, lam=lam, eta=eta, steps=steps, noise=x
                    )
                    for x in levels
                ]
            )
    return out


def check_prediction(measured, predicted, *, rtol: float, what: str) -> float:
    """Largest relative deviation ``|measured / predicted - 1|``; raise
    :class:`PredictionMismatch` if it exceeds ``rtol``. Entries with ``predicted == 0`` must be
    measured as (numerically) zero too."""
    meas = np.atleast_1d(np.asarray(measured, dtype=float))
    pred = np.atleast_1d(np.asarray(predicted, dtype=float))
    if meas.shape != pred.shape:
        raise ValueError(f"{what}: {meas.shape} measured values against {pred.shape} predictions")
    rtol = V.nonneg_float(rtol, "rtol", positive=True)
    zero = pred == 0
    if np.any(np.abs(meas[zero]) > 1e-12):
        raise PredictionMismatch(f"{what}: predicted 0, measured {np.max(np.abs(meas[zero])):.3g}")
    dev = float(np.max(np.abs(meas[~zero] / pred[~zero] - 1.0), initial=0.0))
    if not dev <= rtol:
        raise PredictionMismatch(
            f"{what}: measured deviates from the prediction by {dev:.1%} (tolerance {rtol:.0%})"
        )
    return dev


def check_predictions(measured: dict, predicted: dict, rtol: dict) -> dict:
    """:func:`check_prediction` for every key of ``rtol``; returns the deviations by key."""
    return {
        k: check_prediction(measured[k], predicted[k], rtol=tol, what=str(k))
        for k, tol in rtol.items()
    }
