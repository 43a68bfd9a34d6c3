"""Full-batch gradient descent with coupled weight decay (Chapter 3, eq. ``eq-gd``).

One step is ``W_l <- (1 - eta*lam) W_l - eta * W_{L:l+1}^T G W_{l-1:1}^T`` with
``G = W_{L:1} Syy - Sxy``. The loop never touches the ``N`` samples: it only uses the second
moments ``Syy`` and ``Sxy``. It computes the prefix products ``W_{l:1}`` once per step, back-
propagates ``B_l = W_{L:l+1}^T G`` once, and writes every product into preallocated buffers.
The step size is folded into the back-propagated signal (``B_L = eta G``), so each update is one
product into a buffer and two in-place passes: a step costs little more than the matrix products
it needs (``python -m dlinv.bench``).

When the measurements have low rank ``r`` (noiseless data ``Y = A R Z``: ``r = s``), the
gradient has rank at most ``r`` (Proposition ``prop-ch3-gradient-rank``): with ``Y/sqrt(N) =
Q T`` (``Q`` orthonormal, ``m x r``), ``Syy = Q M Q^T`` and ``Sxy = P Q^T`` with ``M = T T^T``
and ``P = X T^T / sqrt(N)``, so ``G = (W_{L:1} Q M - P) Q^T``. The loop then propagates the
``r`` columns ``W_{l:1} Q`` forward and ``r`` columns back, and updates each layer by a rank-``r``
product: ``O(L w^2 r)`` flops a step instead of ``O(L w^2 m)``. This *rank-r path* is exact
(the same iterates up to rounding); :func:`train` takes it when the data decide it
(:func:`measurement_rank`), the generic path otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _threads
from . import _validate as V
from .network import Weights, check_weights, init_weights
from .problem import InverseProblem, TrainingData, check_problem_data

#: metrics recorded by default (see :class:`History`)
DEFAULT_METRICS = (
    "loss",
    "fit",
    "on_subspace",
    "off_subspace",
    "off_subspace_first",
    "imbalance",
    "oracle_distance",
)
#: every metric :func:`train` can record
ALL_METRICS = DEFAULT_METRICS + ("suffix_norm",)
#: training stops with FloatingPointError once ||G||_F exceeds this multiple of its scale
DIVERGENCE_FACTOR = 1e6
#: singular values of Y below this fraction of the largest count as zero (:func:`measurement_rank`);
#: the neglected part of Syy is then below 1e-20 of its norm, far below rounding of the loop
RANK_RTOL = 1e-10
#: the rank-r path is taken only when it saves work, for r <= this fraction of m
RANK_FRACTION = 0.5


@dataclass(frozen=True)
class History:
    """Metrics recorded every ``record_every`` steps (and at the last step).

    ``step`` holds the step numbers ``t``; ``values[name]`` the metric at those steps:

    - ``loss``: the objective ``(1/2N)||W_{L:1}Y - X||_F^2 + (lam/2) sum ||W_l||_F^2``
    - ``fit``: the data term alone
    - ``on_subspace``: ``||W_{L:1} A R - R||_F`` (reconstruction error on S)
    - ``off_subspace``: ``||W_{L:1} P_perp||_F``
    - ``off_subspace_first``: ``||W_1 P_perp||_F`` (Lemma ``lem-frozen``)
    - ``imbalance``: ``max_j ||W_{j+1}^T W_{j+1} - W_j W_j^T||_F`` (0 for ``L = 1``)
    - ``oracle_distance``: ``||W_{L:1} - R (AR)^+||_F``
    - ``suffix_norm``: ``||W_{L:2}||_2`` (opt-in; the constant ``B`` of Theorem ``thm-phase3``)
    """

    step: np.ndarray
    values: dict

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "step":
            return self.step
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(
                f"metric {name!r} was not recorded; recorded: {sorted(self.values)}"
            ) from None

    def __contains__(self, name) -> bool:
        return name == "step" or name in self.values


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`: final and initial weights, the history and the settings."""

    weights: Weights
    initial_weights: Weights
    history: History
    eta: float
    lam: float
    steps: int
    eta_note: str = ""

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def end_to_end(self) -> np.ndarray:
        """``W_{L:1}`` after training."""
        E = self.weights[0]
        for W in self.weights[1:]:
            E = W @ E
        return E


def smoothness_estimate(weights, data: TrainingData, lam: float) -> float:
    """An estimate of the smoothness of the objective at ``weights`` (eq. ``eq-step-estimate``):
    ``beta = sum_l ||W_{L:l+1}||_2^2 ||W_{l-1:1} Syy^{1/2}||_2^2 + lam``.

    It bounds the Gauss-Newton part of the Hessian (Cauchy-Schwarz over the ``L`` layer
    perturbations). For ``L = 1`` it is ``lambda_max(Syy) + lam``, the exact smoothness.
    """
    weights = check_weights(weights, d=data.X.shape[0], m=data.Y.shape[0])
    lam = V.nonneg_float(lam, "lam")
    evals, evecs = np.linalg.eigh(data.Syy)
    root = (evecs * np.sqrt(np.clip(evals, 0, None))) @ evecs.T  # Syy^{1/2}
    L = len(weights)
    suffix_sq = [1.0] * L  # ||W_{L:l+1}||_2^2 for 0-indexed layer l, each product built once
    S = None
    for l in range(L - 1, 0, -1):
        S = weights[l] if S is None else S @ weights[l]
        suffix_sq[l - 1] = np.linalg.norm(S, 2) ** 2
    beta = lam
    prefix = root  # W_{l-1:1} Syy^{1/2}
    for l in range(L):
        beta += suffix_sq[l] * np.linalg.norm(prefix, 2) ** 2
        prefix = weights[l] @ prefix
    return float(beta)


def suggest_step_size(weights, data: TrainingData, lam: float) -> float:
    """A step size that is stable at ``weights``: ``1 / beta`` with ``beta`` from
    :func:`smoothness_estimate` (half the classical ``2 / beta`` limit)."""
    return 1.0 / smoothness_estimate(weights, data, lam)


def measurement_rank(data: TrainingData, rtol: float = RANK_RTOL):
    """The numerical rank ``r`` of the measurements and the factors of the rank-``r`` path.

    Returns ``(r, Q, M, P)`` with ``Y/sqrt(N) = Q T`` (thin SVD truncated at ``r`` singular values
    above ``rtol`` times the largest), ``M = T T^T`` (``r x r``) and ``P = X T^T/sqrt(N)``
    (``d x r``), so that ``Syy = Q M Q^T`` and ``Sxy = P Q^T`` up to the dropped singular values.
    Noiseless data ``Y = A R Z`` have ``r = s``; measurement noise makes ``r = m``.
    """
    U, sv, Vt = np.linalg.svd(data.Y / np.sqrt(data.n), full_matrices=False)
    r = int(np.sum(sv > rtol * sv[0])) if sv.size and sv[0] > 0 else 0
    Q, T = U[:, :r], sv[:r, None] * Vt[:r]
    return r, Q, T @ T.T, (data.X / np.sqrt(data.n)) @ T.T


def train(
    problem: InverseProblem,
    data: TrainingData,
    *,
    lam: float,
    eta,
    steps: int,
    depth: int | None = None,
    width: int | None = None,
    init="fan_in",
    seed=None,
    record_every: int = 10,
    metrics=DEFAULT_METRICS,
    path: str = "auto",
) -> TrainResult:
    """Full-batch gradient descent with coupled weight decay on eq. ``eq-objective``.

    Parameters
    ----------
    problem, data
        The inverse problem (for the metrics) and the training data (for ``Syy``, ``Sxy``).
    lam : float >= 0
        Weight decay ``lambda``.
    eta : float > 0 or ``"auto"``
        Step size; ``"auto"`` uses :func:`suggest_step_size` at the initial weights.
    steps : int >= 0
        Number of GD steps.
    depth, width, init, seed
        ``init`` is a scheme of :func:`dlinv.network.init_weights` (then ``depth``, ``width`` and
        ``seed`` are required) or explicit initial weights ``(W_1, ..., W_L)``.
    record_every : int
        Record the metrics every this many steps (and always at steps 0 and ``steps``);
        ``0`` records only the first and last step.
    metrics : sequence of str
        Which metrics to record, from :data:`ALL_METRICS`.
    path : ``"auto"``, ``"rank"`` or ``"generic"``
        ``"auto"`` takes the exact rank-``r`` path when the measurements have numerical rank
        ``r <= m/2`` (:func:`measurement_rank`, tolerance :data:`RANK_RTOL`), the generic one
        otherwise; the other two force a path (for tests and benchmarks).

    Raises
    ------
    FloatingPointError
        If the iterates diverge (non-finite or exploding gradient); the message names the step
        size and suggests a stable one.
    """
    check_problem_data(problem, data)
    lam = V.nonneg_float(lam, "lam")
    steps = V.positive_int(steps, "steps", minimum=0)
    record_every = V.positive_int(record_every, "record_every", minimum=0)
    metrics = tuple(metrics)
    unknown = set(metrics) - set(ALL_METRICS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; choose from {ALL_METRICS}")

    if isinstance(init, str):
        if depth is None:
            raise ValueError("depth is required when init is a scheme name")
        if seed is None:
            raise ValueError("seed is required when init is a scheme name (no global random state)")
        W0 = init_weights(problem.d, problem.m, width=width, depth=depth, seed=seed, scheme=init)
    else:
        W0 = check_weights(init, d=problem.d, m=problem.m)
        if depth is not None and V.positive_int(depth, "depth") != len(W0):
            raise ValueError(f"depth={depth} but init has {len(W0)} layers")

    note = ""
    if isinstance(eta, str):
        if eta != "auto":
            raise ValueError(f"eta must be a positive number or 'auto', got {eta!r}")
        eta = suggest_step_size(W0, data, lam)
        note = f"eta='auto' chose eta={eta:.4g} (1/smoothness at initialization)"
    eta = V.nonneg_float(eta, "eta", positive=True)
    if eta * lam >= 1:
        raise ValueError(
            f"eta*lam = {eta * lam:.3g} >= 1 flips the sign of the weights every "
            f"step; use eta < 1/lam = {1 / lam:.3g}"
        )

    if path not in ("auto", "rank", "generic"):
        raise ValueError(f"path must be 'auto', 'rank' or 'generic', got {path!r}")
    factors = None
    if path != "generic":
        r, Q, M, P = measurement_rank(data)
        if path == "rank" or r <= RANK_FRACTION * problem.m:
            factors = (Q, M, P)
    with _threads.limit_blas(_threads.threads_for(problem, W0)):
        if factors is None:
            weights, hist = _gd_loop(problem, data, W0, lam, eta, steps, record_every, metrics)
        else:
            weights, hist = _gd_loop_low_rank(
                problem, data, W0, lam, eta, steps, record_every, metrics, *factors
            )
    return TrainResult(
        weights=weights,
        initial_weights=W0,
        history=hist,
        eta=eta,
        lam=lam,
        steps=steps,
        eta_note=note,
    )


def _gd_loop(problem, data, W0, lam, eta, steps, record_every, metrics):
    L = len(W0)
    Ws = [np.array(W, order="C") for W in W0]  # writable working copies
    Syy, Sxy = data.Syy, data.Sxy
    d, m = problem.d, problem.m
    decay = 1.0 - eta * lam

    # preallocated buffers: prefix products W_{l:1} (l = 1..L-1), E = W_{L:1}, G, two
    # back-propagation buffers and one gradient buffer per layer shape
    # prefix[0] is W_1 itself (updated in place, so the reference stays valid)
    prefix = [Ws[0]] + [np.empty((W.shape[0], m)) for W in Ws[1:-1]]
    E = np.empty((d, m))
    G = np.empty((d, m))
    hidden = Ws[0].shape[0]
    back = [np.empty((hidden, m)), np.empty((hidden, m))]
    step_buf = {W.shape: np.empty(W.shape) for W in Ws[1:]}

    rec_steps, rec = [], {k: [] for k in metrics}
    scale = None

    for t in range(steps + 1):
        # forward: prefix products W_{l:1}, then E = W_{L:1}
        if L == 1:
            E[...] = Ws[0]
        else:
            for l in range(1, L - 1):
                np.matmul(Ws[l], prefix[l - 1], out=prefix[l])
            np.matmul(Ws[-1], prefix[-1], out=E)
        # G = E Syy - Sxy: the gradient of the data term w.r.t. the end-to-end map
        np.matmul(E, Syy, out=G)
        G -= Sxy

        gsq = float(np.vdot(G, G))
        if scale is None:
            scale = gsq + float(np.vdot(Sxy, Sxy)) + 1e-300
        if not gsq <= DIVERGENCE_FACTOR**2 * scale:  # also catches NaN
            _diverged(problem, data, W0, lam, eta, t)

        if (record_every and t % record_every == 0) or t == steps or t == 0:
            rec_steps.append(t)
            _record(rec, metrics, problem, data, Ws, E, lam)
        if t == steps:
            break

        # backward: B_L = eta*G, B_{l-1} = W_l^T B_l (so every B_l carries the factor eta),
        # and W_l <- decay*W_l - B_l W_{l-1:1}^T, with B_{l-1} computed before W_l changes.
        G *= eta
        B = G
        for l in range(L - 1, 0, -1):
            nxt = back[(L - 1 - l) % 2]
            np.matmul(Ws[l].T, B, out=nxt)
            step = step_buf[Ws[l].shape]
            np.matmul(B, prefix[l - 1].T, out=step)
            Ws[l] *= decay
            Ws[l] -= step
            B = nxt
        Ws[0] *= decay
        Ws[0] -= B
    weights = tuple(V.readonly(W) for W in Ws)
    hist = History(step=np.asarray(rec_steps), values={k: np.asarray(v) for k, v in rec.items()})
    return weights, hist


def _gd_loop_low_rank(problem, data, W0, lam, eta, steps, record_every, metrics, Q, M, P):
    """The rank-r path: the same iterates as :func:`_gd_loop`, O(L w^2 r) flops a step.

    Each layer is stored as ``W_l = c_l V_l`` with a scalar ``c_l``: weight decay multiplies
    ``c_l`` by ``1 - eta*lam`` instead of sweeping the matrix, so an update costs one rank-r
    product and one in-place subtraction. Forward: ``F_0 = Q``, ``F_l = W_l F_{l-1}``
    (``n_l x r``). Residual: ``K = F_L M - P`` (``G = K Q^T``, ``||G||_F = ||K||_F``). Backward:
    ``B_L = eta K``, ``B_{l-1} = W_l^T B_l``; update ``W_l <- (1-eta lam) W_l - B_l F_{l-1}^T``.
    """
    L = len(W0)
    Vs = [np.array(W, order="C") for W in W0]  # W_l = c[l] * Vs[l]
    c = [1.0] * L
    decay = 1.0 - eta * lam
    r = Q.shape[1]
    F = [np.ascontiguousarray(Q)] + [np.empty((W.shape[0], r)) for W in Vs]  # F[l] = W_{l:1} Q
    B = [np.empty((W.shape[1], r)) for W in Vs]  # B[l] = W_{l+1}^T B_{l+1}, B for layer l's input
    K = np.empty((problem.d, r))
    step_buf = {W.shape: np.empty(W.shape) for W in Vs}
    rec_steps, rec = [], {k: [] for k in metrics}
    scale = None

    def materialize():
        for l in range(L):
            if c[l] != 1.0:
                Vs[l] *= c[l]
                c[l] = 1.0
        return Vs

    for t in range(steps + 1):
        for l in range(L):  # forward: F_l = c_l V_l F_{l-1}
            np.matmul(Vs[l], F[l], out=F[l + 1])
            if c[l] != 1.0:
                F[l + 1] *= c[l]
        np.matmul(F[L], M, out=K)
        K -= P
        gsq = float(np.vdot(K, K))
        if scale is None:
            scale = gsq + float(np.vdot(data.Sxy, data.Sxy)) + 1e-300
        if not gsq <= DIVERGENCE_FACTOR**2 * scale:  # also catches NaN
            _diverged(problem, data, W0, lam, eta, t)

        if (record_every and t % record_every == 0) or t == steps or t == 0:
            Ws = materialize()
            E = Ws[0]
            for W in Ws[1:]:
                E = W @ E
            rec_steps.append(t)
            _record(rec, metrics, problem, data, Ws, E, lam)
        if t == steps:
            break

        # backward, with every B carrying the factor eta; B_{l-1} before W_l changes
        Bl = K
        Bl *= eta
        for l in range(L - 1, -1, -1):
            if l > 0:
                np.matmul(Vs[l].T, Bl, out=B[l])
                if c[l] != 1.0:
                    B[l] *= c[l]
            # W_l' = decay c_l V_l - Bl F_l^T  =  c_l' (V_l - Bl F_l^T / c_l'),  c_l' = decay c_l
            c[l] *= decay
            if c[l] < 1e-150:  # keep V_l bounded: fold c_l back in
                Vs[l] *= c[l]
                c[l] = 1.0
            if c[l] != 1.0:
                Bl *= 1.0 / c[l]  # n_l x r: cheap, and Bl is not needed after this update
            step = step_buf[Vs[l].shape]
            np.matmul(Bl, F[l].T, out=step)
            Vs[l] -= step
            Bl = B[l] if l > 0 else None
    weights = tuple(V.readonly(W) for W in materialize())
    hist = History(step=np.asarray(rec_steps), values={k: np.asarray(v) for k, v in rec.items()})
    return weights, hist


def _record(rec, metrics, problem, data, Ws, E, lam):
    fit = data.fit(E) if ("fit" in metrics or "loss" in metrics) else None  # once, for both
    for name in metrics:
        if name == "fit":
            rec[name].append(fit)
        elif name == "loss":
            rec[name].append(fit + 0.5 * lam * sum(float(np.vdot(W, W)) for W in Ws))
        elif name == "on_subspace":
            rec[name].append(float(np.linalg.norm(E @ problem.AR - problem.R)))
        elif name == "off_subspace":
            rec[name].append(float(np.linalg.norm(problem.project_perp(E))))
        elif name == "off_subspace_first":
            rec[name].append(float(np.linalg.norm(problem.project_perp(Ws[0]))))
        elif name == "imbalance":
            rec[name].append(
                max(
                    (
                        float(np.linalg.norm(Ws[j + 1].T @ Ws[j + 1] - Ws[j] @ Ws[j].T))
                        for j in range(len(Ws) - 1)
                    ),
                    default=0.0,
                )
            )
        elif name == "oracle_distance":
            rec[name].append(float(np.linalg.norm(E - problem.oracle)))
        elif name == "suffix_norm":
            if len(Ws) == 1:
                rec[name].append(1.0)
            else:
                S = Ws[-1]
                for W in reversed(Ws[1:-1]):
                    S = S @ W
                rec[name].append(float(np.linalg.norm(S, 2)))


def _diverged(problem, data, W0, lam, eta, t):
    try:
        safe = suggest_step_size(W0, data, lam)
    except Exception:  # pragma: no cover - the estimate itself overflowed
        safe = eta / 10
    suggestion = min(safe, eta / 2)
    raise FloatingPointError(
        f"gradient descent diverged at step {t} with step size eta={eta:.4g} (the gradient became "
        f"non-finite or grew by more than {DIVERGENCE_FACTOR:.0e}); use a smaller step size, e.g. "
        f"eta={suggestion:.3g} (or eta='auto')"
    )
