"""Global convergence in three phases: the constants of Chapter 5 and tools to measure them.

Chapter 5 proves three results about gradient descent with weight decay on a deep linear
network, and every constant in them is computed here from the weights:

- phase 1 (Theorem ``thm-phase1``): a Polyak-Lojasiewicz (PL) constant ``mu`` (eq. ``eq-pl``)
  built from the smallest singular values of the partial products, and a curvature bound
  ``beta`` for one gradient step (Lemma ``lem-ch5-one-step``); together they give the linear rate
  of eq. ``eq-phase1-rate``;
- phase 2 (Theorem ``thm-descent``): the weight-norm bound ``2 L_lam(0) / lam`` and the resulting
  bound ``B`` on ``||W_{L:2}||_2`` (eq. ``eq-ch5-B``);
- phase 3 (Theorem ``thm-phase3``): :func:`dlinv.theory.phase3_bound` and
  :func:`dlinv.theory.phase3_time` use that ``B``.

Conventions as in :mod:`dlinv.network`: ``weights`` is ``(W_1, ..., W_L)``; ``W_{j:i}`` is the
partial product, the empty product is the identity. ``U`` is an orthonormal basis of ``A S``
(``problem.U``), ``Syy = Y Y^T / N``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as V
from .network import check_weights, end_to_end, gradients, imbalances, weight_norm_sq
from .problem import InverseProblem, TrainingData, check_problem_data
from .train import train


# ---- the constants of phase 1 ------------------------------------------------------------------
@dataclass(frozen=True)
class Phase1Constants:
    """The quantities of Lemma ``lem-ch5-pl`` and Lemma ``lem-ch5-one-step`` at one point ``W``.

    Arrays are indexed by ``j = 1, ..., L`` (entry ``j - 1``).

    - ``alpha[j]``: ``sigma_d(W_{L:j+1})``, the smallest singular value of the backward product
      ``W_{L:j+1}^T`` acting on ``R^d`` (``0`` if the width is smaller than ``d``; ``1`` for ``j = L``);
    - ``gamma[j]``: ``sigma_s(W_{j-1:1} U)``, the smallest gain of the forward product on ``A S``
      (``1`` for ``j = 1``);
    - ``backward[j]``: ``||W_{L:j+1}||_2``; ``forward[j]``: ``||W_{j-1:1} Syy^{1/2}||_2``;
    - ``middle``: ``max(1, max ||W_{j-1:i+1}||_2)`` over all products strictly between two layers;
    - ``mu_s``, ``mu_1``: smallest nonzero (the ``s``-th) and largest eigenvalue of ``Syy``;
    - ``fit``: the data term ``(1/2N)||W_{L:1} Y - X||_F^2``.
    """

    alpha: np.ndarray
    gamma: np.ndarray
    backward: np.ndarray
    forward: np.ndarray
    middle: float
    mu_s: float
    mu_1: float
    fit: float

    @property
    def depth(self) -> int:
        return len(self.alpha)

    @property
    def pl_constant(self) -> float:
        """``mu = lambda_s(Syy) sum_j alpha_j^2 gamma_j^2``: ``||grad fit||^2 >= 2 mu fit`` (eq. ``eq-pl``)."""
        return float(self.mu_s * np.sum(self.alpha**2 * self.gamma**2))

    @property
    def gauss_newton(self) -> float:
        """``beta_GN = sum_j ||W_{L:j+1}||_2^2 ||W_{j-1:1} Syy^{1/2}||_2^2`` (eq. ``eq-step-estimate``
        without the ``lam``): it bounds the first-order part of a step and ``||grad fit||^2 <= 2 beta_GN fit``."""
        return float(np.sum(self.backward**2 * self.forward**2))

    def curvature(self, step_length: float) -> float:
        """The curvature bound ``beta(W, tau)`` of Lemma ``lem-ch5-one-step`` for a step of length
        ``tau = eta ||h||`` (``h`` any direction, e.g. the gradient of the regularized loss):

        ``beta = (sqrt(beta_GN) + tau Gamma e^u / 2)^2 + sqrt(2 fit) Gamma e^u`` with
        ``Gamma = L b f rho`` (``b``, ``f`` the largest backward / forward norms, ``rho = middle``)
        and ``u = rho sqrt(L) tau``. Then ``fit(W - eta h) <= fit(W) - eta <grad fit, h> + beta eta^2 ||h||^2 / 2``.
        """
        tau = V.nonneg_float(step_length, "step_length")
        L = self.depth
        gam = L * float(np.max(self.backward)) * float(np.max(self.forward)) * self.middle
        u = self.middle * np.sqrt(L) * tau
        if u > 700:  # exp overflows: the bound is useless anyway
            return float("inf")
        eu = float(np.exp(u))
        return float(
            (np.sqrt(self.gauss_newton) + 0.5 * tau * gam * eu) ** 2
            + np.sqrt(2.0 * self.fit) * gam * eu
        )


def _syy_root(data: TrainingData):
    evals, evecs = np.linalg.eigh(data.Syy)
    evals = np.clip(evals, 0.0, None)
    return (evecs * np.sqrt(evals)) @ evecs.T, evals


def phase1_constants(weights, problem: InverseProblem, data: TrainingData) -> Phase1Constants:
    """All constants of Chapter 5, phase 1, at the weights ``weights`` (see :class:`Phase1Constants`).

    Cost: ``O(L^2)`` spectral norms of partial products (fine for the course's sizes).
    """
    check_problem_data(problem, data)
    Ws = check_weights(weights, d=problem.d, m=problem.m)
    L = len(Ws)
    d, m, s = problem.d, problem.m, problem.s
    root, evals = _syy_root(data)
    if np.count_nonzero(evals > 1e-12 * max(evals[-1], 1e-300)) < s:
        raise ValueError(
            "Syy has rank < s: the training signals do not span the subspace S "
            "(use at least s samples with linearly independent latent codes)"
        )
    mu_1, mu_s = float(evals[-1]), float(evals[::-1][s - 1])
    # prefix[j] = W_{j:1} (prefix[0] = I_m), suffix[j] = W_{L:j+1} (suffix[L] = I_d)
    prefix = [np.eye(m)]
    for W in Ws:
        prefix.append(W @ prefix[-1])
    suffix = [None] * (L + 1)
    suffix[L] = np.eye(d)
    for j in range(L - 1, -1, -1):
        suffix[j] = suffix[j + 1] @ Ws[j]
    alpha, gamma, back, fwd = (np.empty(L) for _ in range(4))
    for j in range(1, L + 1):
        B = suffix[j]  # W_{L:j+1}, d x (rows of W_j)
        sv = np.linalg.svd(B, compute_uv=False)
        back[j - 1] = sv[0]
        alpha[j - 1] = sv[d - 1] if B.shape[1] >= d else 0.0
        F = prefix[j - 1]  # W_{j-1:1}
        gamma[j - 1] = np.linalg.svd(F @ problem.U, compute_uv=False)[s - 1]
        fwd[j - 1] = np.linalg.norm(F @ root, 2)
    middle = 1.0
    for i in range(1, L + 1):  # products W_{j-1:i+1} with i + 1 <= j - 1
        P = None
        for k in range(i + 1, L):  # k = j - 1
            P = Ws[k - 1] if P is None else Ws[k - 1] @ P
            middle = max(middle, float(np.linalg.norm(P, 2)))
    return Phase1Constants(
        alpha=alpha,
        gamma=gamma,
        backward=back,
        forward=fwd,
        middle=middle,
        mu_s=mu_s,
        mu_1=mu_1,
        fit=data.fit(end_to_end(Ws)),
    )


def sharp_pl_constant(weights, problem: InverseProblem, data: TrainingData) -> float:
    """``nu(W) = lambda_min( sum_j (N^T W_{j-1:1}^T W_{j-1:1} N) kron (W_{L:j+1} W_{L:j+1}^T) )`` with
    ``N N^T = Syy`` (``N = A R C^{1/2}``, ``C = Z Z^T / N``): the best PL bound at ``W`` that is valid
    for *every* residual, ``||grad fit||^2 >= 2 nu fit``, with equality for the residuals along a
    bottom eigenvector (Lemma ``lem-ch5-pl``). The best constant for the actual residual at ``W``
    is ``||grad fit||^2 / (2 fit) >= nu`` (:func:`pl_ratio`). ``nu >= lambda_s(Syy) sum_j xi_j^2
    gamma_j^2`` (the computable lower bound, ``Phase1Constants.pl_constant``).
    Builds a ``(d s) x (d s)`` matrix."""
    check_problem_data(problem, data)
    Ws = check_weights(weights, d=problem.d, m=problem.m)
    L, d, s = len(Ws), problem.d, problem.s
    # N = U diag(sqrt of the s nonzero eigenvalues of Syy restricted to A S): any N with N N^T = Syy
    # and s columns gives the same spectrum, because N -> N Q (Q orthogonal) is a similarity.
    S_U = problem.U.T @ data.Syy @ problem.U
    ev, Q = np.linalg.eigh((S_U + S_U.T) / 2)
    N = problem.U @ (Q * np.sqrt(np.clip(ev, 0, None)))
    op = np.zeros((d * s, d * s))
    F = N  # W_{j-1:1} N
    for j in range(1, L + 1):
        B = np.eye(d)
        for W in reversed(Ws[j:]):
            B = B @ W  # W_{L:j+1}
        op += np.kron(F.T @ F, B @ B.T)
        F = Ws[j - 1] @ F
    return float(np.linalg.eigvalsh(op)[0])


def pl_ratio(weights, data: TrainingData) -> float:
    """``||grad fit(W)||^2 / (2 fit(W))``: the best PL constant at ``W`` for its own residual
    (``>= nu(W)`` of :func:`sharp_pl_constant`; Lemma ``lem-ch5-pl``). ``nan`` if ``fit = 0``."""
    Ws = check_weights(weights)
    fit = data.fit(end_to_end(Ws))
    if fit == 0:
        return float("nan")
    g = gradients(Ws, data, 0.0)
    return float(sum(np.vdot(x, x) for x in g)) / (2.0 * fit)


def expected_operator_gain(width: int, depth: int, m: int) -> float:
    """``E[phase-1 operator] = (1 + (L - 1) w / m) Id`` at fan-in initialization
    (Proposition ``prop-ch5-expected-gain``); ``1`` for ``L = 1``."""
    depth = V.positive_int(depth, "depth")
    m = V.positive_int(m, "m")
    if depth == 1:
        return 1.0
    width = V.positive_int(width, "width")
    return 1.0 + (depth - 1) * width / m


# ---- the phase-1 theorem --------------------------------------------------------------------------
def phase1_bound(
    t,
    *,
    eta: float,
    mu: float,
    beta: float,
    fit0: float,
    lam: float = 0.0,
    weight_norm_sq: float = 0.0,
    eps: float = 1.0,
) -> np.ndarray:
    """The bound of Theorem ``thm-phase1`` (eq. ``eq-phase1-rate``) on the data term:

    ``fit(t) <= (1 - eta mu_eps)^t fit(0) + lam^2 M^2 / (2 eps mu_eps)``,
    ``mu_eps = mu (2 - eps - eta beta (1 - eps))``, for any ``eps`` in ``(0, 1]``
    (for ``lam = 0`` take ``eps -> 0``: pass ``eps=0``).
    Valid when ``eta beta <= 1`` and ``eta mu <= 1/2`` along the run (checked here).
    """
    eta = V.nonneg_float(eta, "eta", positive=True)
    mu = V.nonneg_float(mu, "mu", positive=True)
    beta = V.nonneg_float(beta, "beta", positive=True)
    fit0 = V.nonneg_float(fit0, "fit0")
    lam = V.nonneg_float(lam, "lam")
    M2 = V.nonneg_float(weight_norm_sq, "weight_norm_sq")
    eps = V.nonneg_float(eps, "eps")
    if eps > 1:
        raise ValueError(f"eps must be in (0, 1] (or 0 when lam = 0), got {eps}")
    if eps == 0 and lam > 0:
        raise ValueError(
            "eps = 0 is only allowed for lam = 0 (the weight-decay floor is lam^2 M^2 / (2 eps mu_eps))"
        )
    if eta * beta > 1 or eta * mu > 0.5:
        raise ValueError(
            f"the theorem needs eta*beta <= 1 and eta*mu <= 1/2, got eta*beta = {eta * beta:.3g}, "
            f"eta*mu = {eta * mu:.3g}; use eta <= {min(1 / beta, 0.5 / mu):.3g}"
        )
    mu_eps = mu * (2.0 - eps - eta * beta * (1.0 - eps))
    floor = 0.0 if lam == 0 else lam**2 * M2 / (2.0 * eps * mu_eps)
    return (1.0 - eta * mu_eps) ** np.asarray(t, dtype=float) * fit0 + floor


def phase1_step_size(
    *,
    depth: int,
    backward: float,
    forward: float,
    middle: float,
    fit_max: float,
    lam: float = 0.0,
    weight_norm: float = 0.0,
) -> float:
    """The explicit step size of Corollary ``cor-ch5-phase1-uniform``: if along the run
    ``||W_{L:j+1}||_2 <= b``, ``||W_{j-1:1} Syy^{1/2}||_2 <= f``, middle products ``<= rho`` (``>= 1``),
    ``fit <= fit_max`` and ``||W|| <= M``, every step with

    ``eta <= min{ 1 / (rho sqrt(L) H), 1 / (L b f [(1 + e/2)^2 b f + e rho sqrt(2 fit_max)]) }``,
    ``H = b f sqrt(2 L fit_max) + lam M``, satisfies ``eta beta_t <= 1``.
    """
    L = V.positive_int(depth, "depth")
    b = V.nonneg_float(backward, "backward", positive=True)
    f = V.nonneg_float(forward, "forward", positive=True)
    rho = V.nonneg_float(middle, "middle", positive=True)
    if rho < 1:
        raise ValueError(f"middle must be >= 1 (it includes the empty product), got {rho}")
    fmax = V.nonneg_float(fit_max, "fit_max")
    lam = V.nonneg_float(lam, "lam")
    M = V.nonneg_float(weight_norm, "weight_norm")
    H = b * f * np.sqrt(2 * L * fmax) + lam * M
    e = np.e
    beta_hat = L * b * f * ((1 + e / 2) ** 2 * b * f + e * rho * np.sqrt(2 * fmax))
    first = np.inf if H == 0 else 1.0 / (rho * np.sqrt(L) * H)
    return float(min(first, 1.0 / beta_hat))


# ---- a certified phase-1 run ------------------------------------------------------------------------
@dataclass(frozen=True)
class Phase1Certificate:
    """Every step of a gradient-descent run with the hypotheses of Theorem ``thm-phase1`` measured.

    Arrays have one entry per step ``t = 0, ..., steps``; the per-step quantities ``curvature``,
    ``grad_norm_sq`` and ``descent_gap`` are for the step from ``t`` to ``t + 1`` (``t < steps``):

    - ``fit``: the data term ``ell(t)``; ``objective``: ``L_lam(W(t))``;
    - ``pl_constant``: ``mu_t`` (eq. ``eq-pl``);
    - ``curvature``: ``beta_t = beta(W(t), eta ||h(t)||)`` of Lemma ``lem-ch5-one-step`` with
      ``h = grad L_lam``; ``grad_norm_sq``: ``||h(t)||^2``;
    - ``weight_norm_sq``: ``||W(t)||^2 = sum_l ||W_l(t)||_F^2``;
    - ``imbalance``: ``max_j ||W_{j+1}^T W_{j+1} - W_j W_j^T||_F`` (0 for ``L = 1``);
    - ``descent_gap``: right side minus left side of the one-step inequality (must be ``>= 0``);
    - ``weights``: the final weights.
    """

    eta: float
    lam: float
    fit: np.ndarray
    objective: np.ndarray
    pl_constant: np.ndarray
    curvature: np.ndarray
    grad_norm_sq: np.ndarray
    weight_norm_sq: np.ndarray
    imbalance: np.ndarray
    descent_gap: np.ndarray
    weights: tuple

    def _window(self, start: int):
        start = V.positive_int(start, "start", minimum=0)
        if start >= len(self.curvature):
            raise ValueError(
                f"start must be < {len(self.curvature)} (the number of certified steps), got {start}"
            )
        return start

    def mu(self, start: int = 0) -> float:
        """``inf_t mu_t`` over ``start <= t <= steps``: the PL constant the theorem may use."""
        return float(np.min(self.pl_constant[self._window(start) :]))

    def beta(self, start: int = 0) -> float:
        """``sup_t beta_t`` over the steps ``start <= t < steps``."""
        return float(np.max(self.curvature[self._window(start) :]))

    def hypotheses_hold(self, start: int = 0) -> bool:
        """``mu > 0``, ``eta beta <= 1`` and ``eta mu <= 1/2`` on the steps from ``start`` on."""
        mu, beta = self.mu(start), self.beta(start)
        return bool(mu > 0 and self.eta * beta <= 1 and self.eta * mu <= 0.5)

    @property
    def first_certified_step(self) -> int | None:
        """The smallest ``t0`` such that the hypotheses hold on all steps from ``t0`` on (``None`` if none)."""
        ok = (
            (self.eta * self.curvature <= 1)
            & (self.pl_constant[:-1] > 0)
            & (self.eta * self.pl_constant[:-1] <= 0.5)
        )
        bad = np.nonzero(~ok)[0]
        t0 = 0 if bad.size == 0 else int(bad[-1]) + 1
        return t0 if t0 < len(self.curvature) else None

    def bound(self, eps: float = 1.0, start: int = 0) -> np.ndarray:
        """Theorem ``thm-phase1``'s bound on ``fit(t)`` for ``t >= start`` (the theorem applied from
        ``start``), with the run's ``mu``, ``beta`` and ``M^2 = max ||W(t)||^2`` on that window."""
        start = self._window(start)
        t = np.arange(len(self.fit) - start)
        return phase1_bound(
            t,
            eta=self.eta,
            mu=self.mu(start),
            beta=self.beta(start),
            fit0=float(self.fit[start]),
            lam=self.lam,
            weight_norm_sq=float(np.max(self.weight_norm_sq[start:])),
            eps=eps if self.lam > 0 else 0.0,
        )


def certify_phase1(
    problem: InverseProblem, data: TrainingData, *, eta: float, lam: float, steps: int, init
) -> Phase1Certificate:
    """Run ``steps`` steps of :func:`dlinv.train` one at a time from the weights ``init`` and measure,
    at every step, the hypotheses of Theorem ``thm-phase1`` and the one-step inequality of
    Lemma ``lem-ch5-one-step``. Cost: one :func:`phase1_constants` per step (small problems only)."""
    check_problem_data(problem, data)
    eta = V.nonneg_float(eta, "eta", positive=True)
    lam = V.nonneg_float(lam, "lam")
    steps = V.positive_int(steps, "steps")
    W = check_weights(init, d=problem.d, m=problem.m)
    out = {k: [] for k in ("fit", "objective", "mu", "beta", "gsq", "wn", "imb", "gap")}
    for t in range(steps + 1):
        c = phase1_constants(W, problem, data)
        wn = weight_norm_sq(W)
        out["fit"].append(c.fit)
        out["objective"].append(c.fit + 0.5 * lam * wn)
        out["mu"].append(c.pl_constant)
        out["wn"].append(wn)
        out["imb"].append(max(imbalances(W), default=0.0))
        if t == steps:
            break
        g = gradients(W, data, 0.0)
        h = gradients(W, data, lam) if lam > 0 else g
        gh = float(sum(np.vdot(a, b) for a, b in zip(g, h)))
        hh = float(sum(np.vdot(b, b) for b in h))
        bt = c.curvature(eta * np.sqrt(hh))
        out["beta"].append(bt)
        out["gsq"].append(hh)
        W = train(
            problem, data, lam=lam, eta=eta, steps=1, init=W, record_every=0, metrics=()
        ).weights
        new_fit = data.fit(end_to_end(W))
        out["gap"].append(c.fit - eta * gh + 0.5 * bt * eta**2 * hh - new_fit)
    a = {k: np.asarray(v) for k, v in out.items()}
    return Phase1Certificate(
        eta=eta,
        lam=lam,
        fit=a["fit"],
        objective=a["objective"],
        pl_constant=a["mu"],
        curvature=a["beta"],
        grad_norm_sq=a["gsq"],
        weight_norm_sq=a["wn"],
        imbalance=a["imb"],
        descent_gap=a["gap"],
        weights=W,
    )


def operator_quadratic_form(weights, G) -> float:
    """``<G, P_W(G)> = sum_j ||W_{L:j+1}^T G W_{j-1:1}^T||_F^2`` for a ``d x m`` matrix ``G``: the
    quadratic form of the phase-1 operator (eq. ``eq-residual-dynamics``). For ``G = grad`` of the
    data term w.r.t. the end-to-end map it equals ``||grad fit||^2`` (Lemma ``lem-ch5-pl``)."""
    Ws = check_weights(weights)
    d, m = Ws[-1].shape[0], Ws[0].shape[1]
    G = V.matrix(G, "G", shape=(d, m))
    total = 0.0
    B = G  # W_{L:j+1}^T G, from j = L down
    prefix = [np.eye(m)]
    for W in Ws[:-1]:
        prefix.append(W @ prefix[-1])  # prefix[j-1] = W_{j-1:1}
    for j in range(len(Ws), 0, -1):
        term = B @ prefix[j - 1].T
        total += float(np.vdot(term, term))
        if j > 1:
            B = Ws[j - 1].T @ B
    return total


# ---- phase 2 ----------------------------------------------------------------------------------------
def weight_norm_bound(objective0: float, lam: float) -> float:
    """``sum_l ||W_l(t)||_F^2 <= 2 L_lam(W(0)) / lam`` while the objective does not increase
    (Theorem ``thm-descent``)."""
    objective0 = V.nonneg_float(objective0, "objective0")
    lam = V.nonneg_float(lam, "lam", positive=True)
    return 2.0 * objective0 / lam


def suffix_norm_bound(objective0: float, lam: float, depth: int) -> float:
    """``B = (2 L_lam(W(0)) / (lam (L - 1)))^{(L - 1)/2} >= ||W_{L:2}(t)||_2`` by AM-GM
    (Theorem ``thm-descent``, eq. ``eq-ch5-B``); ``1`` for ``L = 1`` (``W_{1:2} = I``)."""
    depth = V.positive_int(depth, "depth")
    if depth == 1:
        return 1.0
    r2 = weight_norm_bound(objective0, lam)
    return float((r2 / (depth - 1)) ** ((depth - 1) / 2))


def descent_step_size(objective0: float, lam: float, depth: int, mu_1: float) -> float:
    """The explicit step size ``eta_2`` of Theorem ``thm-descent`` (b): with ``r^2 = 2 L_lam(0) / lam`` and
    ``P = max(1, max_{1 <= n <= L-1} (r^2 / n)^{n/2})`` (an AM-GM bound on every partial product on the
    sublevel set), ``eta_2 = min{ 1 / (P sqrt(L) H_2), 1 / (beta_2 + lam) }`` with
    ``H_2 = P^2 sqrt(2 L mu_1 L_lam(0)) + lam r`` and
    ``beta_2 = L P^2 sqrt(mu_1) [(1 + e/2)^2 P^2 sqrt(mu_1) + e P sqrt(2 L_lam(0))]``.
    It is valid but very pessimistic (the lab prints it)."""
    L = V.positive_int(depth, "depth")
    obj = V.nonneg_float(objective0, "objective0", positive=True)
    mu_1 = V.nonneg_float(mu_1, "mu_1", positive=True)
    r2 = weight_norm_bound(obj, lam)
    P = max([1.0] + [(r2 / n) ** (n / 2) for n in range(1, L)])
    b, f, rho = P, np.sqrt(mu_1) * P, P
    H = b * f * np.sqrt(2 * L * obj) + lam * np.sqrt(r2)
    e = np.e
    beta2 = L * b * f * ((1 + e / 2) ** 2 * b * f + e * rho * np.sqrt(2 * obj))
    return float(min(1.0 / (rho * np.sqrt(L) * H), 1.0 / (beta2 + lam)))


def imbalance_bound(eta: float, lam: float, imbalance0: float, grad_norm_sq) -> np.ndarray:
    """Theorem ``thm-descent`` (d): ``max_j ||D_j(t)||_F <= (1 - 2 eta lam)^t max_j ||D_j(0)||_F
    + eta^2 sum_{k < t} (1 - 2 eta lam)^{t-1-k} ||grad L_lam(W(k))||^2`` for ``t = 0, ..., len(grad_norm_sq)``.
    Needs ``2 eta lam <= 1``."""
    eta = V.nonneg_float(eta, "eta", positive=True)
    lam = V.nonneg_float(lam, "lam")
    D0 = V.nonneg_float(imbalance0, "imbalance0")
    q = 1.0 - 2.0 * eta * lam
    if q < 0:
        raise ValueError(f"needs 2*eta*lam <= 1, got {2 * eta * lam:.3g}")
    gsq = np.asarray(grad_norm_sq, dtype=float)
    if gsq.ndim != 1 or np.any(~np.isfinite(gsq)) or np.any(gsq < 0):
        raise ValueError("grad_norm_sq must be a 1-D array of finite numbers >= 0")
    out = np.empty(len(gsq) + 1)
    out[0] = D0
    acc = D0
    for k, g in enumerate(gsq):
        acc = q * acc + eta**2 * g
        out[k + 1] = acc
    return out


# ---- measuring phases and rates ---------------------------------------------------------------------
def log_rate(steps, values, t0: float, t1: float) -> float:
    """Least-squares slope ``r`` of ``log(values)`` against ``steps`` on ``t0 <= t <= t1``: the
    measured per-step contraction is ``exp(-r)``, i.e. ``values ~ C exp(-r t)``. Returns ``r``."""
    t = np.asarray(steps, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError("steps and values must be 1-D arrays of the same length")
    sel = (t >= t0) & (t <= t1) & (v > 0)
    if np.count_nonzero(sel) < 2:
        raise ValueError(f"need at least two positive values with {t0} <= t <= {t1}")
    slope = np.polyfit(t[sel], np.log(v[sel]), 1)[0]
    return float(-slope)


def phase_boundaries(
    history, limit: float, *, eps: float, factor: float = 2.0, band: float = 0.1
) -> dict:
    """The course's phase boundaries (Chapter 5, Section "The three phases"), from a recorded history
    with ``on_subspace`` and ``off_subspace``:

    - ``T1``: first recorded step with on-subspace error ``<= factor * limit``;
    - ``T2``: first recorded step after which the on-subspace error stays within
      ``(1 +- band) * limit`` at every later recorded step;
    - ``T3``: first recorded step with off-subspace norm ``<= eps``.

    Entries are ``None`` if the event was not reached.
    """
    limit = V.nonneg_float(limit, "limit", positive=True)
    eps = V.nonneg_float(eps, "eps", positive=True)
    t = np.asarray(history["step"])
    on = np.asarray(history["on_subspace"])
    off = np.asarray(history["off_subspace"])
    hit = np.nonzero(on <= factor * limit)[0]
    T1 = int(t[hit[0]]) if hit.size else None
    inside = np.abs(on / limit - 1.0) <= band
    # last index that is outside the band; T2 is the next recorded step
    outside = np.nonzero(~inside)[0]
    if outside.size == 0:
        T2 = int(t[0])
    elif outside[-1] + 1 < len(t):
        T2 = int(t[outside[-1] + 1])
    else:
        T2 = None
    hit3 = np.nonzero(off <= eps)[0]
    T3 = int(t[hit3[0]]) if hit3.size else None
    return {"T1": T1, "T2": T2, "T3": T3}


def steps_to_accuracy(
    problem: InverseProblem,
    data: TrainingData,
    *,
    lam: float,
    eta: float,
    tol: float,
    max_steps: int,
    init="fan_in",
    depth: int | None = None,
    width: int | None = None,
    seed=None,
    chunk: int = 50,
    record_every: int = 1,
) -> int | None:
    """First step at which the on-subspace error ``||W_{L:1} A R - R||_F`` is ``<= tol``, training in
    chunks of ``chunk`` steps (``init`` = the previous weights) so that it stops early; ``None`` if
    not reached within ``max_steps``. The error is checked every ``record_every`` steps."""
    tol = V.nonneg_float(tol, "tol", positive=True)
    max_steps = V.positive_int(max_steps, "max_steps")
    chunk = V.positive_int(chunk, "chunk")
    record_every = V.positive_int(record_every, "record_every")
    done = 0
    W = init
    while done < max_steps:
        n = min(chunk, max_steps - done)
        r = train(
            problem,
            data,
            lam=lam,
            eta=eta,
            steps=n,
            init=W,
            depth=depth,
            width=width,
            seed=seed,
            record_every=record_every,
            metrics=("on_subspace",),
        )
        hit = np.nonzero(r.history["on_subspace"] <= tol)[0]
        if hit.size:
            return done + int(r.history.step[hit[0]])
        done += n
        W = r.weights
    return None


# ---- the aligned case: a theorem without hypotheses on the trajectory (thm-ch5-aligned) --------
def aligned_weights(problem: InverseProblem, *, width: int, depth: int, a0, theta=None, seed=0):
    """A spectral (aligned, balanced) initialization (Chapter 5, Theorem ``thm-ch5-aligned``).

    With ``A R = U diag(sigma) V^T``: ``W_l = O_l diag(a0) O_{l-1}^T`` for ``l >= 2`` and
    ``W_1 = O_1 diag(a0) U^T + Theta``, where ``O_0 = U``, ``O_L = R V`` and ``O_1, ..., O_{L-1}``
    are random ``width x s`` matrices with orthonormal columns (``seed``). ``theta`` (``width x m``)
    is projected onto the off-subspace part, ``Theta = theta P_perp`` (``None``: ``Theta = 0``).
    Returns ``(weights, frames, Theta)`` with ``frames = [O_0, ..., O_L]``.
    """
    depth = V.positive_int(depth, "depth")
    width = V.positive_int(width, "width")
    s = problem.s
    a0 = np.asarray(a0, dtype=float) * np.ones(s)
    if np.any(a0 < 0) or not np.all(np.isfinite(a0)):
        raise ValueError("a0 must be finite and >= 0")
    if depth >= 2 and width < s:
        raise ValueError(f"width {width} < s = {s}: no room for s aligned channels")
    rng = np.random.default_rng(seed)
    frames = [problem.U]
    for _ in range(depth - 1):
        Q, _r = np.linalg.qr(rng.standard_normal((width, s)))
        frames.append(Q)
    frames.append(problem.R @ problem.V)
    Ws = [frames[l] @ (a0[:, None] * frames[l - 1].T) for l in range(1, depth + 1)]
    if theta is None:
        Theta = np.zeros_like(Ws[0])
    else:
        Theta = np.asarray(theta, dtype=float)
        Theta = Theta - (Theta @ problem.U) @ problem.U.T
    Ws[0] = Ws[0] + Theta
    return Ws, frames, Theta


def aligned_step(a, sigma, lam: float, depth: int, eta: float):
    """One step of the scalar mode recursion of Theorem ``thm-ch5-aligned`` (item 1):
    ``a <- a - eta (sigma (sigma a^L - 1) a^{L-1} + lam a)``, entrywise."""
    a = np.asarray(a, dtype=float)
    L = depth
    return a - eta * (sigma * (sigma * a**L - 1.0) * a ** (L - 1) + lam * a)


def aligned_modes(a0, sigma, lam: float, depth: int, eta: float, steps: int) -> np.ndarray:
    """The scalar recursion iterated: array ``(steps + 1, s)`` of ``a_i(t)``."""
    sigma = np.asarray(sigma, dtype=float)
    a = np.asarray(a0, dtype=float) * np.ones_like(sigma)
    out = np.empty((steps + 1, sigma.size))
    out[0] = a
    for k in range(steps):
        a = aligned_step(a, sigma, lam, depth, eta)
        out[k + 1] = a
    return out


def aligned_step_size(a0, sigma, lam: float, depth: int) -> float:
    """The step-size bound of Theorem ``thm-ch5-aligned``:
    ``eta <= min_i 1 / ((2L - 1) sigma_i^{2/L} xbar_i^{2L-2} + lam)`` with
    ``xbar_i = max(1, sigma_i^{1/L} a_i(0))``."""
    sigma = np.asarray(sigma, dtype=float)
    L = V.positive_int(depth, "depth")
    x0 = sigma ** (1.0 / L) * np.asarray(a0, dtype=float)
    xbar = np.maximum(1.0, x0)
    return float(np.min(1.0 / ((2 * L - 1) * sigma ** (2.0 / L) * xbar ** (2 * L - 2) + lam)))


def _roots(tau: float, L: int):
    """Positive roots ``x_- <= x_+`` of ``tau = x^{L-2} (1 - x^L)`` (``None`` if there is none);
    for ``L <= 2`` there is at most the root ``x_+`` (``x_- = 0``)."""
    if L == 1:
        return 0.0, 1.0 / (1.0 + tau)
    if L == 2:
        return (0.0, float(np.sqrt(1.0 - tau))) if tau < 1 else None

    def h(x):
        return x ** (L - 2) * (1.0 - x**L)

    x0 = ((L - 2) / (2 * L - 2)) ** (1.0 / L)
    if h(x0) <= tau:
        return None
    lo, hi = 0.0, x0  # h increasing on [0, x0]
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if h(mid) < tau else (lo, mid)
    xm = 0.5 * (lo + hi)
    lo, hi = x0, 1.0  # h decreasing on [x0, 1]
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if h(mid) > tau else (lo, mid)
    return xm, 0.5 * (lo + hi)


@dataclass(frozen=True)
class AlignedPrediction:
    """What Theorem ``thm-ch5-aligned`` predicts for each mode ``i`` (arrays of length ``s``).

    ``tau = lam sigma^{-2/L}``; ``x = sigma^{1/L} a``; ``converges`` says whether the mode goes to
    the nonzero branch (else it collapses to 0); ``a_limit`` the limit of ``a_i(t)``;
    ``a_saddle = x_- sigma^{-1/L}`` (0 if none); ``rate`` the asymptotic per-step rate
    ``alpha_i = eta sigma^{2/L} F'(x_+)`` (or ``eta lam`` for a collapsing mode, ``L >= 3``);
    ``rate_bound`` the guaranteed rate ``eta sigma^{2/L} s_i`` of item 3 (secant slope ``s_i``).
    """

    tau: np.ndarray
    converges: np.ndarray
    a_limit: np.ndarray
    a_saddle: np.ndarray
    rate: np.ndarray
    rate_bound: np.ndarray


def aligned_prediction(a0, sigma, lam: float, depth: int, eta: float) -> AlignedPrediction:
    """The limits and rates of Theorem ``thm-ch5-aligned`` for the modes started at ``a0``."""
    sigma = np.asarray(sigma, dtype=float)
    L = V.positive_int(depth, "depth")
    lam = V.nonneg_float(lam, "lam", positive=True)
    a0 = np.asarray(a0, dtype=float) * np.ones_like(sigma)
    s = sigma.size
    tau = lam * sigma ** (-2.0 / L)
    conv = np.zeros(s, bool)
    a_lim, a_sad, rate, rbound = (np.zeros(s) for _ in range(4))
    for i in range(s):
        h = eta * sigma[i] ** (2.0 / L)
        x0 = sigma[i] ** (1.0 / L) * a0[i]
        roots = _roots(tau[i], L)
        if roots is None or x0 < roots[0] or x0 == 0:
            rate[i] = eta * lam if L >= 3 else h * (tau[i] - 1.0) if L == 2 else np.nan
            continue
        xm, xp = roots
        a_sad[i] = xm * sigma[i] ** (-1.0 / L)
        conv[i] = True
        a_lim[i] = xp * sigma[i] ** (-1.0 / L)
        dF = xp ** (L - 2) * ((2 * L - 2) * xp**L - (L - 2)) if L >= 2 else 1.0 + tau[i]
        rate[i] = h * dF
        if x0 >= xp:
            rbound[i] = h * dF
        else:
            grid = np.linspace(x0, xp, 4001)[:-1]
            F = (grid**L - 1.0) * grid ** (L - 1) + tau[i] * grid
            rbound[i] = h * float(np.min(F / (grid - xp)))
    return AlignedPrediction(
        tau=tau, converges=conv, a_limit=a_lim, a_saddle=a_sad, rate=rate, rate_bound=rbound
    )


@dataclass(frozen=True)
class AlignedRun:
    """Matrix gradient descent from a spectral initialization, read in the aligned frames.

    ``modes[t, l, i] = (O_l^T W_l(t) O_{l-1})_{ii}``; ``alignment[t]`` the largest Frobenius norm
    of what is left of any layer after removing its aligned part (and ``(1 - eta lam)^t Theta``
    from ``W_1``); ``on``, ``off``, ``imbalance`` the on-subspace error, ``||W_{L:1} P_perp||_F``
    and ``max_j ||D_j||_F`` at every step."""

    modes: np.ndarray
    alignment: np.ndarray
    on: np.ndarray
    off: np.ndarray
    imbalance: np.ndarray
    weights: list


def aligned_gd(
    problem: InverseProblem,
    data: TrainingData,
    weights,
    frames,
    Theta,
    *,
    lam: float,
    eta: float,
    steps: int,
) -> AlignedRun:
    """Run plain matrix gradient descent (``dlinv.gradients``, no use of the alignment) from
    ``weights`` and measure at every step how far the iterates are from the aligned form."""
    Ws = [np.array(W, dtype=float) for W in weights]
    L = len(Ws)
    U, R = problem.U, problem.R
    AR = problem.A @ R
    Syy, Sxy = data.Syy, data.Sxy
    Pperp = np.eye(problem.m) - U @ U.T
    modes = np.empty((steps + 1, L, problem.s))
    align, on, off, imb = (np.empty(steps + 1) for _ in range(4))
    for t in range(steps + 1):
        dev = 0.0
        for l in range(L):
            a = np.einsum("ij,ik,kj->j", frames[l + 1], Ws[l], frames[l])  # diag(O_l^T W_l O_{l-1})
            modes[t, l] = a
            rest = Ws[l] - frames[l + 1] @ (a[:, None] * frames[l].T)
            if l == 0:
                rest = rest - (1.0 - eta * lam) ** t * Theta
            dev = max(dev, float(np.linalg.norm(rest)))
        align[t] = dev
        fwd = [np.eye(problem.m)]  # fwd[j] = W_{j:1}
        for W in Ws:
            fwd.append(W @ fwd[-1])
        E = fwd[-1]
        on[t] = float(np.linalg.norm(E @ AR - R))
        off[t] = float(np.linalg.norm(E @ Pperp))
        imb[t] = max(
            (
                float(np.linalg.norm(Ws[j + 1].T @ Ws[j + 1] - Ws[j] @ Ws[j].T))
                for j in range(L - 1)
            ),
            default=0.0,
        )
        if t < steps:
            G = E @ Syy - Sxy
            back = G  # W_{L:j+1}^T G, from j = L down
            new = [None] * L
            for j in range(L - 1, -1, -1):
                new[j] = Ws[j] - eta * (back @ fwd[j].T + lam * Ws[j])
                back = Ws[j].T @ back
            Ws = new
    return AlignedRun(modes=modes, alignment=align, on=on, off=off, imbalance=imb, weights=Ws)


def check_aligned_modes(
    modes,
    a0,
    sigma,
    lam: float,
    depth: int,
    eta: float,
    *,
    limit_tol: float = 1e-8,
    rate_tol: float = 0.02,
) -> dict:
    """The lab's check of Theorem ``thm-ch5-aligned``, items 2-3, on measured mode trajectories
    ``modes`` (array ``(T + 1, s)`` of ``a_i(t)``). Raises ``AssertionError`` (naming the item) if

    - a converging mode ends farther than ``limit_tol`` (relative to ``max(a_+, sigma^{-1/L})``)
      from its limit ``a_+``; a collapsing mode does not end below ``1e-3`` of that scale, or its
      late rate differs from the predicted one (``eta lam`` for ``L >= 3``) by more than
      ``rate_tol`` relatively;
    - for a converging mode, ``|a_i(t) - a_+| > (1 - rate_bound)^t |a_i(0) - a_+|`` at some step
      (the guaranteed rate of item 3), or the measured late rate (slope of ``log|a_i - a_+|``
      on the second quarter of the steps where the error exceeds 1e-11) differs from
      ``alpha_i`` by more than ``rate_tol`` relatively.

    Returns the prediction and the measured late rates.
    """
    modes = np.asarray(modes, dtype=float)
    pred = aligned_prediction(a0, sigma, lam, depth, eta)
    sigma = np.asarray(sigma, dtype=float)
    t = np.arange(modes.shape[0])
    measured = np.full(sigma.size, np.nan)
    for i in range(sigma.size):
        scale = max(pred.a_limit[i], sigma[i] ** (-1.0 / depth))
        if not pred.converges[i]:
            assert modes[-1, i] <= 1e-3 * scale, (
                f"mode {i + 1}: final a = {modes[-1, i]:.3g}, but the theorem predicts collapse to 0 "
                f"(item 2 of the aligned theorem)"
            )
            n = modes.shape[0]
            r = log_rate(t, np.abs(modes[:, i]), n // 2, n - 1)
            measured[i] = 1.0 - np.exp(-r)
            assert abs(measured[i] / pred.rate[i] - 1.0) <= rate_tol, (
                f"mode {i + 1}: collapses at {measured[i]:.4g} per step, predicted {pred.rate[i]:.4g} "
                f"(item 2 of the aligned theorem)"
            )
            continue
        err_end = abs(modes[-1, i] - pred.a_limit[i]) / scale
        assert err_end <= limit_tol, (
            f"mode {i + 1}: final a = {modes[-1, i]:.6g}, predicted limit {pred.a_limit[i]:.6g} "
            f"(item 2 of the aligned theorem)"
        )
        e = np.abs(modes[:, i] - pred.a_limit[i])
        bound = (1.0 - pred.rate_bound[i]) ** t * e[0]
        bad = np.nonzero(e > bound * (1 + 1e-9) + 1e-14)[0]
        assert bad.size == 0, (
            f"mode {i + 1}: |a(t) - a_+| above the guaranteed (1 - {pred.rate_bound[i]:.4g})^t bound "
            f"at t = {bad[0]} (item 3 of the aligned theorem)"
        )
        big = np.nonzero(e > 1e-11 * scale)[0]
        if big.size >= 8:
            lo, hi = big[len(big) // 2], big[-1]
            if hi - lo >= 4:
                r = log_rate(t, e, lo, hi)
                measured[i] = 1.0 - np.exp(-r)
                assert abs(measured[i] / pred.rate[i] - 1.0) <= rate_tol, (
                    f"mode {i + 1}: measured late rate {measured[i]:.5g} per step, predicted "
                    f"alpha = {pred.rate[i]:.5g} (item 3 of the aligned theorem)"
                )
    return {"prediction": pred, "measured_rate": measured}


def check_aligned_offsubspace(
    off, imbalance, run_modes, Theta, frames, eta: float, lam: float, *, rtol: float = 1e-8
) -> float:
    """Items 4-5 of Theorem ``thm-ch5-aligned`` on a measured run: the imbalance equals
    ``(1 - eta lam)^{2t} ||Theta Theta^T||_F`` and ``||W_{L:1}(t) P_perp||_F`` equals
    ``(1 - eta lam)^t ||diag(a(t)^{L-1}) O_1^T Theta||_F`` (``run_modes[t, l, i]``, balanced modes,
    read from the last layer). Raises ``AssertionError``; returns the largest relative error."""
    off = np.asarray(off, dtype=float)
    t = np.arange(off.size)
    q = (1.0 - eta * lam) ** t
    L = run_modes.shape[1]
    aL = run_modes[:, -1, :]
    core = frames[1].T @ Theta
    pred_off = q * np.array([np.linalg.norm(a[:, None] ** (L - 1) * core) for a in aL])
    pred_imb = q**2 * np.linalg.norm(Theta @ Theta.T)
    # relative error, with a floor at rounding level of the initial size (late values are tiny)
    err_off = float(np.max(np.abs(off - pred_off) / (pred_off + 1e-10 * pred_off.max())))
    err_imb = float(
        np.max(np.abs(np.asarray(imbalance) - pred_imb) / (pred_imb + 1e-10 * pred_imb[0]))
    )
    assert err_off <= rtol, f"off-subspace norm differs from item 5 by {err_off:.1e} (relative)"
    assert err_imb <= rtol, f"imbalance differs from item 4 by {err_imb:.1e} (relative)"
    return max(err_off, err_imb)


def check_phase3_run(
    t,
    off,
    suffix,
    first0: float,
    *,
    eta: float,
    lam: float,
    eps: float,
    T3_measured: int | None,
    rate_tol: float = 0.05,
) -> dict:
    """The lab's check of Theorem ``thm-phase3`` on a recorded run (steps ``t``, off-subspace norm
    ``off``, ``suffix = ||W_{L:2}(t)||_2``, ``first0 = ||W_1(0) P_perp||_F``). Raises
    ``AssertionError`` if

    - ``off(t) > ||W_{L:2}(t)||_2 (1 - eta lam)^t first0`` at a recorded step (eq. ``eq-phase3-bound``);
    - the late decay rate of ``off`` (second half of the run) differs from ``eta lam`` by more
      than ``rate_tol`` relatively (the rate of item 1 of the theorem);
    - the measured time ``T3_measured`` to reach ``eps`` exceeds the predicted time with
      ``B = max_t ||W_{L:2}(t)||_2`` (eq. ``eq-phase3-time``).

    Returns the predicted time, the tightest ratio off/bound and the late rate."""
    t = np.asarray(t, dtype=float)
    off = np.asarray(off, dtype=float)
    suffix = np.asarray(suffix, dtype=float)
    bound = suffix * (1.0 - eta * lam) ** t * first0
    worst = float(np.max(off / bound))
    assert worst <= 1 + 1e-12, f"off-subspace norm above the phase-3 bound (ratio {worst:.3f})"
    late = log_rate(t, off, t[-1] / 2, t[-1])
    assert abs(late / (eta * lam) - 1) <= rate_tol, (
        f"late decay rate {late:.3g} per step, phase-3 rate eta lambda = {eta * lam:.3g}"
    )
    B = float(np.max(suffix))
    T3_pred = float(np.log(max(B * first0 / eps, 1.0)) / (eta * lam))
    assert T3_measured is not None and T3_measured <= T3_pred, (
        f"measured T3 = {T3_measured} after the predicted {T3_pred:.0f}"
    )
    return {"T3_pred": T3_pred, "worst_ratio": worst, "late_rate": late}
