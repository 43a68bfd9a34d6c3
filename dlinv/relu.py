"""The ReLU counterpart of the deep linear network (Chapter 8).

``f(y) = W_L relu(W_{L-1} ... relu(W_1 y))``: ReLU after every hidden layer, a linear output
layer, no biases (so that, like the linear network, ``f`` is positively homogeneous and the
only parameters are the weights). Same shapes, loss and coupled weight decay as the linear
network; the data-fit term now needs the samples themselves, not only their second moments.

What carries over exactly (eq. ``eq-ch8-frozen``): the gradient of the fit with respect to
``W_1`` is ``Delta_1 Y^T / N`` and ``Y^T P_perp = 0``, so ``W_1(t) P_perp = (1 - eta lam)^t W_1(0) P_perp``
for ReLU networks too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as V
from .network import check_weights, init_weights, weight_norm_sq
from .problem import InverseProblem, TrainingData
from .train import DIVERGENCE_FACTOR, History

RELU_METRICS = ("loss", "fit", "off_subspace_first")


def init_relu_weights(d: int, m: int, *, width: int, depth: int, seed) -> tuple:
    """He initialization: ``W_1`` with ``N(0, 1/m)`` entries (its input is the measurement) and
    ``W_l``, ``l >= 2``, with ``N(0, 2/fan_in)`` (their input went through a ReLU, which halves the
    expected squared norm)."""
    Ws = init_weights(d, m, width=width, depth=depth, seed=seed)
    return check_weights([Ws[0]] + [np.sqrt(2.0) * W for W in Ws[1:]])


def initial_relu_weights(
    problem: InverseProblem, init, *, depth=None, width=None, seed=None
) -> tuple:
    """``init="he"`` (then ``depth``, ``width``, ``seed`` are required) or explicit weights, validated."""
    if isinstance(init, str):
        if init != "he":
            raise ValueError(f"init must be 'he' or explicit weights, got {init!r}")
        if depth is None or seed is None:
            raise ValueError("depth and seed are required when init='he'")
        return init_relu_weights(problem.d, problem.m, width=width, depth=depth, seed=seed)
    return check_weights(init, d=problem.d, m=problem.m)


def relu_forward(weights, Y) -> np.ndarray:
    """``f(Y)`` applied to the columns of ``Y`` (``m x n`` -> ``d x n``)."""
    weights = check_weights(weights)
    H = V.matrix(Y, "Y", shape=(weights[0].shape[1], None))
    for W in weights[:-1]:
        H = np.maximum(W @ H, 0.0)
    return weights[-1] @ H


def relu_loss(weights, data: TrainingData, lam: float) -> float:
    """``(1/2N) ||f(Y) - X||_F^2 + (lam/2) sum_l ||W_l||_F^2``."""
    lam = V.nonneg_float(lam, "lam")
    R = relu_forward(weights, data.Y) - data.X
    return 0.5 * float(np.vdot(R, R)) / data.n + 0.5 * lam * weight_norm_sq(weights)


def relu_gradients(weights, data: TrainingData, lam: float) -> list[np.ndarray]:
    """Backpropagation: ``Delta_L = (f(Y) - X)/N``, ``grad W_l = Delta_l H_{l-1}^T + lam W_l``,
    ``Delta_{l-1} = (W_l^T Delta_l) * 1[W_{l-1} H_{l-2} > 0]`` with ``H_0 = Y``."""
    lam = V.nonneg_float(lam, "lam")
    weights = check_weights(weights, d=data.X.shape[0], m=data.Y.shape[0])
    acts = [data.Y]
    for W in weights[:-1]:
        acts.append(np.maximum(W @ acts[-1], 0.0))
    delta = (weights[-1] @ acts[-1] - data.X) / data.n
    grads = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grads[l] = delta @ acts[l].T + lam * weights[l]
        if l > 0:
            delta = (weights[l].T @ delta) * (acts[l] > 0)
    return grads


@dataclass(frozen=True)
class ReluTrainResult:
    weights: tuple
    initial_weights: tuple
    history: History
    eta: float
    lam: float
    steps: int

    def predict(self, Y) -> np.ndarray:
        return relu_forward(self.weights, Y)


def train_relu(
    problem: InverseProblem,
    data: TrainingData,
    *,
    lam: float,
    eta: float,
    steps: int,
    depth: int | None = None,
    width: int | None = None,
    init="he",
    seed=None,
    record_every: int = 10,
    metrics=RELU_METRICS,
) -> ReluTrainResult:
    """Full-batch GD with coupled weight decay on the ReLU network (same update rule as
    :func:`dlinv.train`). ``init`` is ``"he"`` (:func:`init_relu_weights`) or explicit weights.
    Records ``loss``, ``fit`` and ``off_subspace_first`` (``||W_1 P_perp||_F``)."""
    if not isinstance(problem, InverseProblem) or not isinstance(data, TrainingData):
        raise ValueError("problem must be an InverseProblem and data a TrainingData")  # noqa: TRY004
    lam = V.nonneg_float(lam, "lam")
    eta = V.nonneg_float(eta, "eta", positive=True)
    if eta * lam >= 1:
        raise ValueError(f"eta*lam = {eta * lam:.3g} >= 1; use eta < 1/lam = {1 / lam:.3g}")
    steps = V.positive_int(steps, "steps", minimum=0)
    record_every = V.positive_int(record_every, "record_every", minimum=0)
    metrics = tuple(metrics)
    if set(metrics) - set(RELU_METRICS):
        raise ValueError(
            f"unknown metrics {sorted(set(metrics) - set(RELU_METRICS))}; choose from {RELU_METRICS}"
        )
    W0 = initial_relu_weights(problem, init, depth=depth, width=width, seed=seed)

    Ws = [np.array(W) for W in W0]
    L, n = len(Ws), data.n
    Y, X = data.Y, data.X
    decay = 1.0 - eta * lam
    acts = [Y] + [np.empty((W.shape[0], n)) for W in Ws[:-1]]
    out = np.empty((problem.d, n))
    rec_steps, rec = [], {k: [] for k in metrics}
    scale = None
    for t in range(steps + 1):
        for l in range(L - 1):
            np.matmul(Ws[l], acts[l], out=acts[l + 1])
            np.maximum(acts[l + 1], 0.0, out=acts[l + 1])
        np.matmul(Ws[-1], acts[-1], out=out)
        out -= X  # residual f(Y) - X
        rsq = float(np.vdot(out, out))
        if scale is None:
            scale = rsq + float(np.vdot(X, X)) + 1e-300
        if not rsq <= DIVERGENCE_FACTOR**2 * scale:
            raise FloatingPointError(
                f"ReLU training diverged at step {t} with step size eta={eta:.4g}; use a smaller step "
                f"size, e.g. eta={eta / 4:.3g}"
            )
        if (record_every and t % record_every == 0) or t in (0, steps):
            rec_steps.append(t)
            fit = 0.5 * rsq / n
            for k in metrics:
                rec[k].append(
                    fit
                    if k == "fit"
                    else fit + 0.5 * lam * sum(float(np.vdot(W, W)) for W in Ws)
                    if k == "loss"
                    else float(np.linalg.norm(problem.project_perp(Ws[0])))
                )
        if t == steps:
            break
        delta = out * (eta / n)  # eta folded into the back-propagated signal
        for l in range(L - 1, -1, -1):
            step = delta @ acts[l].T
            if l > 0:
                delta = (Ws[l].T @ delta) * (acts[l] > 0)
            Ws[l] *= decay
            Ws[l] -= step
    hist = History(step=np.asarray(rec_steps), values={k: np.asarray(v) for k, v in rec.items()})
    return ReluTrainResult(
        weights=tuple(V.readonly(W) for W in Ws),
        initial_weights=W0,
        history=hist,
        eta=eta,
        lam=lam,
        steps=steps,
    )


def relu_test_error(weights, problem: InverseProblem, noise_levels, *, n: int, seed) -> np.ndarray:
    """Empirical relative test error ``(sum ||f(y_i) - x_i||^2 / sum ||x_i||^2)^{1/2}`` at each noise
    level, on one shared set of ``n`` test signals and one noise draw scaled by the level (the ReLU
    network is nonlinear, so there is no closed-form decomposition)."""
    from .problem import sample_latent

    levels = np.asarray(noise_levels, dtype=float)
    if levels.ndim != 1 or np.any(~np.isfinite(levels)) or np.any(levels < 0):
        raise ValueError("noise_levels must be a 1-D sequence of finite numbers >= 0")
    g = V.rng(seed)
    X = problem.R @ sample_latent(problem.s, V.positive_int(n, "n"), seed=g)
    E = g.standard_normal((problem.m, X.shape[1]))
    AX = problem.A @ X
    return np.array(
        [np.linalg.norm(relu_forward(weights, AX + s * E) - X) / np.linalg.norm(X) for s in levels]
    )
