"""The single-layer explorer (Chapter 2): gradient descent on one layer, its frozen component."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .. import _validate as V
from .. import metrics, plots, single_layer, theory
from ..network import init_weights
from ..problem import InverseProblem, TrainingData, make_training_data, random_problem
from ..train import train as _train
from ._base import Control, Explorer, _problem_or_default
from ._figures import _row_axes


# ---- Chapter 2: one layer and its frozen component ------------------------------------------------------
class SingleLayerExplorer(Explorer):
    """Gradient descent on one linear layer (Chapter 2): measured with :func:`dlinv.train`, exact
    trajectory from :func:`dlinv.single_layer.trajectory_metrics`, the frozen component
    ``W(t) P_perp = (1 - eta lam)^t W(0) P_perp`` and the per-direction contraction factors
    ``1 - eta (mu_i + lam)``. The step size is a fraction of the stability limit
    ``2 / (lambda_max(Syy) + lam)`` (eq. ``eq-step-limit``)."""

    CONTROLS: ClassVar[dict] = {
        "lam": Control(
            "weight decay λ", 0.02, options=(0.0, 1e-3, 3e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.3, 1.0)
        ),
        "eta_frac": Control("η / η_max", 0.5, options=(0.05, 0.1, 0.2, 0.5, 0.9, 0.98, 1.02, 1.1)),
        "init": Control("initialization", "random", kind="toggle", options=("zero", "random")),
        "steps": Control("GD steps", 2000, options=(100, 300, 1000, 2000, 5000, 10000)),
    }
    BUSY = "computing..."
    FIGSIZE = (10.5, 4.2)
    ROW_HEIGHT = 3.4
    worst: ClassVar[dict] = {"steps": 10000, "eta_frac": 0.98}
    CAP = 1e8  # trajectories above this are not drawn (a diverging run)

    def __init__(
        self,
        problem: InverseProblem | None = None,
        data: TrainingData | None = None,
        W0=None,
        *,
        seed: int = 3,
    ):
        super().__init__()
        if problem is None and data is None:
            problem = random_problem(40, 20, 3, seed=0)
            data = make_training_data(problem, 200, seed=1, whiten=True)
        self.problem, self.data = _problem_or_default(problem, data)
        if W0 is None:
            W0 = init_weights(self.problem.d, self.problem.m, depth=1, seed=seed)[0]
        if isinstance(W0, (list, tuple)):
            W0 = W0[0]
        self.W0 = V.matrix(W0, "W0", shape=(self.problem.d, self.problem.m))

    def compute(self, *, lam, eta_frac, init, steps) -> dict:
        P, D = self.problem, self.data
        eta_max = theory.max_stable_step_single_layer(D, lam)
        eta = float(eta_frac) * eta_max
        W0 = self.W0 if init == "random" else np.zeros_like(self.W0)
        t = np.unique(np.linspace(0, steps, 201).astype(int))
        mu, factors = single_layer.contraction_factors(D, lam, eta)
        rho = theory.single_layer_contraction(D, lam, eta)
        if rho > 1:  # a diverging run: the exact trajectory is drawn until it exceeds CAP
            t = t[t <= math.log(self.CAP) / math.log(rho)]
        exact = single_layer.trajectory_metrics(P, D, W0, lam, eta, t)
        frozen0 = metrics.off_subspace_norm(W0, P)
        data = {
            "settings": {"lam": lam, "eta_frac": eta_frac, "init": init, "steps": steps},
            "eta": eta,
            "eta_max": eta_max,
            "t": t,
            "exact": exact,
            "mu": mu,
            "factors": factors,
            "rho": rho,
            "frozen0": frozen0,
            "bias": single_layer.ridge_bias(P, D, lam),
            "ok": True,
            "error": None,
        }
        try:
            res = _train(
                P,
                D,
                lam=lam,
                eta=eta,
                steps=steps,
                init=(W0,),
                record_every=max(1, steps // 200),
                metrics=("on_subspace", "off_subspace"),
            )
            data["result"] = res
        except (FloatingPointError, ValueError) as exc:
            data["result"] = None
            data["ok"] = False
            data["error"] = str(exc)
        return data

    def _axes(self, fig, spec=None):
        if spec is None:
            return [fig.add_axes((0.065, 0.13, 0.45, 0.76)), fig.add_axes((0.63, 0.13, 0.35, 0.76))]
        return _row_axes(fig, spec, (1.3, 1), wspace=0.25)

    def draw(self, data, axes, compact=False):
        ax, ax2 = axes
        st = data["settings"]
        t, ex, res = data["t"], data["exact"], data["result"]
        floor = plots.FLOOR
        for name, col, lab in (
            ("on_subspace", plots.COLORS["on_subspace"], "on-subspace $\\|WAR-R\\|_F$"),
            ("off_subspace", plots.COLORS["off_subspace"], "off-subspace $\\|WP^\\perp\\|_F$"),
        ):
            if res is not None:
                h = res.history
                ax.plot(
                    h.step,
                    np.maximum(h[name], floor),
                    "-",
                    color=col,
                    lw=3,
                    alpha=0.6,
                    label=lab + " (measured)",
                )
            y = np.where(np.isfinite(ex[name]) & (ex[name] < self.CAP), ex[name], np.nan)
            ax.plot(
                t,
                np.maximum(y, floor),
                "--",
                color=col,
                lw=1.3,
                label="exact trajectory" if name == "on_subspace" else None,
            )
        if data["frozen0"] > 0:
            fz = data["frozen0"] * theory.frozen_factor(data["eta"], st["lam"], t)
            ax.plot(
                t,
                np.maximum(fz, floor),
                ":",
                color="k",
                lw=1.3,
                label="$(1-\\eta\\lambda)^t\\|W(0)P^\\perp\\|_F$",
            )
        if st["lam"] > 0:
            ax.axhline(data["bias"], color="0.5", ls="-.", lw=1.2, label="ridge bias")
        ax.set_yscale("log")
        ax.set_ylim(1e-17, 1e4)
        ax.set_xlabel("gradient descent step $t$")
        ax.set_ylabel("Frobenius norm (log scale)")
        ax.set_title(
            f"$\\lambda$ = {st['lam']:.3g}, $\\eta$ = {st['eta_frac']:.3g}$\\,\\eta_{{\\max}}$ = "
            f"{data['eta']:.3g}, {st['init']} init",
            fontsize=10,
        )
        ax.grid(True, alpha=0.3)
        if not compact:
            ax.legend(fontsize=7, loc="lower left")
        mu, fac = data["mu"], np.abs(data["factors"])
        signal = mu > 0
        ax2.plot(
            mu[signal],
            fac[signal],
            "o",
            color=plots.COLORS["on_subspace"],
            ms=8,
            label="directions of $A\\mathcal{S}$ ($\\mu_i = \\sigma_i^2$)",
        )
        ax2.plot(
            mu[~signal],
            fac[~signal],
            "s",
            color=plots.COLORS["off_subspace"],
            ms=8,
            mfc="none",
            mew=1.6,
            label=f"$(A\\mathcal{{S}})^\\perp$ ($\\mu = 0$, {int(np.sum(~signal))} directions)",
        )
        ax2.axhline(1.0, color="k", lw=1.2, label="stability limit $|1-\\eta(\\mu+\\lambda)| = 1$")
        ax2.axhline(data["rho"], color="0.4", ls="--", lw=1.2, label=f"$\\rho$ = {data['rho']:.4f}")
        ax2.set_ylim(0, max(1.25, 1.1 * float(np.max(fac))))
        ax2.set_xlabel("eigenvalue $\\mu_i$ of $S_{yy}$")
        ax2.set_ylabel("factor per step $|1-\\eta(\\mu_i+\\lambda)|$")
        ax2.set_title("contraction factors", fontsize=10)
        ax2.grid(True, alpha=0.3)
        if not compact:
            ax2.legend(fontsize=7, loc="lower right")

    def readout(self, data) -> str:
        st = data["settings"]
        lam, eta, rho = st["lam"], data["eta"], data["rho"]
        head = (
            f"λ = {lam:.3g}, η = {st['eta_frac']:.3g} η_max = {eta:.4g} (η_max = 2/(λ_max(Syy)+λ) = "
            f"{data['eta_max']:.4g}), {st['init']} init, {st['steps']} steps"
        )
        off_factor = abs(1 - eta * lam)
        slow = (
            "the off-subspace factor 1 − ηλ" if np.isclose(rho, off_factor) else "a direction of AS"
        )
        parts = [head, f"ρ = max_i |1 − η(μ_i + λ)| = {rho:.4f} (slowest: {slow})"]
        if data["error"] is not None:
            fac = float(np.max(np.abs(data["factors"])))
            return " | ".join(
                parts
                + [
                    (
                        f"η is above the stability limit: the top direction is multiplied by "
                        f"{fac:.3g} > 1 every step, so gradient descent diverges ({data['error']}). "
                        f"Choose η/η_max < 1"
                    )
                ]
            )
        h = data["result"].history
        pred = data["frozen0"] * float(theory.frozen_factor(eta, lam, st["steps"]))
        parts.append(
            f"‖W(t)P⊥‖_F: {data['frozen0']:.3g} → {h['off_subspace'][-1]:.3g} "
            f"(frozen-component law (1−ηλ)^t: {pred:.3g})"
        )
        parts.append(
            f"on-subspace error {h['on_subspace'][-1]:.3g} (ridge bias {data['bias']:.3g})"
        )
        return " | ".join(parts)
