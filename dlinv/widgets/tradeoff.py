"""The weight-decay trade-off explorer (Chapters 7 and 9): test error against lambda at a budget."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .. import _validate as V
from .. import metrics, plots, theory
from ..network import init_weights
from ..train import suggest_step_size
from ._base import Control, Explorer, _Invalid, _problem_or_default
from ._cache import RunCache
from ._figures import _fmt, _row_axes

# ---- the lambda trade-off ---------------------------------------------------------------------------------
TRADEOFF_LAMS = (0.0, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)
BUDGETS = (100, 300, 1000, 3000)


class TradeoffExplorer(Explorer):
    """Test error against weight decay after a fixed number of steps (the budget), for the grid
    :data:`TRADEOFF_LAMS`, with the closed-form limit ``W_lambda`` (infinite budget) and the three
    terms of the error decomposition (Chapter 7). One step size for every ``lambda``: the auto rule
    (:func:`dlinv.train.suggest_step_size`) at ``lambda = 0``."""

    CONTROLS: ClassVar[dict] = {
        "steps": Control("budget T (steps)", 1000, options=BUDGETS),
        "noise": Control("test noise σ", 0.1, kind="float", lo=0.0, hi=0.5, step=0.02),
        "depth": Control("depth L", 3, kind="int", lo=1, hi=6),
        "seed": Control("init seed", 0, kind="int", lo=0, hi=9),
    }
    BUSY = "training 7 networks..."
    FIGSIZE = (10.5, 4.2)
    ROW_HEIGHT = 3.4
    worst: ClassVar[dict] = {"steps": 3000, "depth": 6, "noise": 0.5}

    def __init__(self, problem=None, data=None, *, width: int = 32, lams=TRADEOFF_LAMS):
        super().__init__()
        self.problem, self.data = _problem_or_default(problem, data)
        self.width = V.positive_int(width, "width")
        self.lams = tuple(float(x) for x in lams)
        self.cache = RunCache(self.problem, self.data, grid=BUDGETS)
        self._eta = {}
        self._limits = {}

    def _limit_error(self, depth: int, fine, noise: float) -> np.ndarray:
        """Predicted relative error of the closed-form limits ``W_lambda`` on ``fine``: the terms of
        the error decomposition at noise 1 are computed once per depth (its noise terms scale as
        ``sigma^2``), as :func:`dlinv.metrics.predicted_relative_error` would give them."""
        key = (depth, tuple(fine))
        if key not in self._limits:
            P = self.problem
            dec = [
                metrics.error_decomposition(
                    theory.regularized_limit(P, lam, depth, "nonzero"), P, 1.0
                )
                for lam in fine
            ]
            self._limits[key] = (
                np.array([x["bias"] for x in dec]),
                np.array([x["on_noise"] + x["off_noise"] for x in dec]),
            )
        bias, noise_terms = self._limits[key]
        return np.sqrt((bias + noise**2 * noise_terms) / self.problem.s)

    def eta_for(self, depth: int, seed: int) -> float:
        key = (depth, seed)
        if key not in self._eta:
            W0 = init_weights(
                self.problem.d, self.problem.m, width=self.width, depth=depth, seed=seed
            )
            self._eta[key] = suggest_step_size(W0, self.data, 0.0)
        return self._eta[key]

    def compute(self, *, steps, noise, depth, seed) -> dict:
        P = self.problem
        try:
            eta = self.eta_for(depth, seed)
            maps = {
                lam: self.cache.run(
                    width=self.width,
                    depth=depth,
                    lam=lam,
                    eta=eta,
                    steps=int(steps),
                    seed=seed,
                    metrics=(),
                ).end_to_end
                for lam in self.lams
            }
        except (FloatingPointError, ValueError) as exc:
            raise _Invalid(f"{exc}.") from None
        dec = {lam: metrics.error_decomposition(E, P, noise) for lam, E in maps.items()}
        err = np.array([math.sqrt(dec[lam]["total"] / P.s) for lam in self.lams])
        fine = np.geomspace(min(x for x in self.lams if x > 0), max(self.lams), 60)
        limit = self._limit_error(depth, fine, noise)
        best = int(np.argmin(err))
        return {
            "settings": {"steps": steps, "noise": noise, "depth": depth, "seed": seed},
            "eta": eta,
            "dec": dec,
            "err": err,
            "fine": fine,
            "limit": limit,
            "best": best,
            "oracle": metrics.predicted_relative_error(P.oracle, P, noise),
            "pinv": metrics.predicted_relative_error(P.pinv, P, noise),
            "ok": True,
        }

    def _x(self, lams):
        """Positions on the log axis: lambda = 0 is drawn one grid step left of the smallest lambda."""
        pos = [x for x in self.lams if x > 0]
        zero = pos[0] / (pos[1] / pos[0]) if len(pos) > 1 else pos[0] / 3
        return np.array([zero if x == 0 else x for x in lams]), zero

    def _axes(self, fig, spec=None):
        if spec is None:
            return [
                fig.add_axes((0.065, 0.13, 0.40, 0.74)),
                fig.add_axes((0.575, 0.13, 0.40, 0.74)),
            ]
        return _row_axes(fig, spec, (1, 1), wspace=0.25)

    def draw(self, data, axes, compact=False):
        st = data["settings"]
        ax, ax2 = axes
        x, _zero = self._x(self.lams)
        c = "#2ca02c"
        ax.plot(
            x, data["err"], "o-", color=c, lw=2, ms=6, label=f"trained for T = {st['steps']} steps"
        )
        ax.plot(
            data["fine"],
            data["limit"],
            "--",
            color=c,
            lw=1.5,
            label="closed-form limit $W_\\lambda$ ($T\\to\\infty$)",
        )
        ax.axhline(data["oracle"], color="k", ls=":", lw=1.3, label="oracle $W^\\star$")
        ax.plot(
            x[data["best"]],
            data["err"][data["best"]],
            "*",
            color="#d62728",
            ms=15,
            zorder=5,
            label="best λ on the grid",
        )
        ax.set_xscale("log")
        ticks = list(x)
        ax.set_xticks(
            ticks,
            ["0"] + [_fmt(v) for v in self.lams[1:]]
            if self.lams[0] == 0
            else [_fmt(v) for v in self.lams],
        )
        ax.minorticks_off()
        ax.set_ylim(0, max(1.1 * float(np.max(data["err"])), 1.3 * data["oracle"], 0.05))
        ax.set_xlabel("weight decay $\\lambda$ (log scale; 0 at the left)")
        ax.set_ylabel("relative test error (RMS)")
        ax.set_title(
            f"L = {st['depth']}, w = {self.width}, $\\eta$ = {data['eta']:.3g}, "
            f"$\\sigma$ = {st['noise']:.2f}",
            fontsize=10,
        )
        ax.grid(True, alpha=0.3)
        if not compact:
            ax.legend(fontsize=7.5, loc="upper right")
        P = self.problem
        for key, col, lab in (
            ("bias", plots.COLORS["on_subspace"], "bias on $\\mathcal{S}$"),
            ("on_noise", plots.COLORS["off_subspace_first"], "noise inside $A\\mathcal{S}$"),
            ("off_noise", plots.COLORS["off_subspace"], "noise off $A\\mathcal{S}$"),
        ):
            y = np.array([data["dec"][lam][key] / P.s for lam in self.lams])
            ax2.plot(x, np.maximum(y, 1e-12), "o-", color=col, lw=1.8, ms=5, label=lab)
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xticks(
            ticks,
            ["0"] + [_fmt(v) for v in self.lams[1:]]
            if self.lams[0] == 0
            else [_fmt(v) for v in self.lams],
        )
        ax2.minorticks_off()
        ax2.set_ylim(1e-8, 10)
        ax2.set_xlabel("weight decay $\\lambda$ (log scale; 0 at the left)")
        ax2.set_ylabel("term of the squared error / $s$")
        ax2.set_title("error decomposition of the trained maps", fontsize=10)
        ax2.grid(True, alpha=0.3)
        if not compact:
            ax2.legend(fontsize=7.5, loc="lower left")

    def readout(self, data) -> str:
        st = data["settings"]
        b = data["best"]
        lam_b = self.lams[b]
        i0 = self.lams.index(0.0) if 0.0 in self.lams else None
        parts = [
            (
                f"budget T = {st['steps']} steps, L = {st['depth']}, w = {self.width}, η = {data['eta']:.3g} "
                f"(auto at λ = 0, the same for every λ), σ = {st['noise']:.2f}"
            ),
            (
                f"best λ on the grid: {_fmt(lam_b)} (test error {data['err'][b]:.3g}, ηλT = "
                f"{data['eta'] * lam_b * st['steps']:.3g})"
            ),
        ]
        if i0 is not None:
            parts.append(f"λ = 0: {data['err'][i0]:.3g}")
        parts.append(f"oracle {data['oracle']:.3g}, pseudo-inverse {data['pinv']:.3g}")
        return " | ".join(parts)
