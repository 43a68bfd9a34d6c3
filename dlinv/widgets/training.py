"""The training explorer (Chapter 9): width, depth, weight decay, step size, noise, steps, seed."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .. import _validate as V
from .. import metrics, plots, theory
from ..problem import InverseProblem, TrainingData
from ..train import History, TrainResult
from ._base import Control, Explorer, _Invalid, _problem_or_default
from ._cache import RunCache, step_flops
from ._figures import _fmt, _row_axes

#: upper bound on the estimated work (floating-point operations) of one training update
WORK_BUDGET = 2.5e10

# ---- the training explorer -----------------------------------------------------------------------------
WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 800)
LAMS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)
ETAS = ("auto", 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)
STEPS = (100, 200, 500, 1000, 2000, 5000, 10000)
NOISE_LEVELS = np.linspace(0.0, 1.0, 11)


def fit_time(history: History, limit: float, tol: float = 0.01):
    """First recorded step at which the on-subspace error is within ``tol`` of ``limit`` (the end of
    phase 1 as the explorer reports it), or None."""
    ok = np.flatnonzero(history["on_subspace"] <= limit + tol)
    return int(history.step[ok[0]]) if ok.size else None


class TrainingExplorer(Explorer):
    """Train a deep linear network and compare it with the theory (see the module docstring).

    ``problem``/``data`` default to :func:`default_problem` (d=60, m=30, s=3, N=200, whitened).
    """

    CONTROLS: ClassVar[dict] = {
        "width": Control("width w", 64, options=WIDTHS),
        "depth": Control("depth L", 3, kind="int", lo=1, hi=8),
        "lam": Control("weight decay λ", 3e-2, options=LAMS),
        "eta": Control("step size η", "auto", kind="dropdown", options=ETAS),
        "noise": Control("test noise σ", 0.1, kind="float", lo=0.0, hi=1.0, step=0.05),
        "steps": Control("GD steps", 2000, options=STEPS),
        "seed": Control("init seed", 0, kind="int", lo=0, hi=9),
    }
    BUSY = "training..."
    FIGSIZE = (10.5, 7.2)
    ROW_HEIGHT = 3.6
    worst: ClassVar[dict] = {
        "width": 800,
        "depth": 8,
        "steps": 10000,
        "lam": 3e-1,
        "eta": "auto",
        "noise": 1.0,
    }

    #: metrics recorded (plus ``suffix_norm`` for the phase-3 bound when it is cheap)
    RECORD = ("loss", "on_subspace", "off_subspace", "off_subspace_first")

    def __init__(
        self,
        problem: InverseProblem | None = None,
        data: TrainingData | None = None,
        *,
        work_budget: float = WORK_BUDGET,
        test_seed: int = 12345,
    ):
        super().__init__()
        self.problem, self.data = _problem_or_default(problem, data)
        self.work_budget = float(work_budget)
        self.test_seed = test_seed
        self.cache = RunCache(self.problem, self.data, grid=STEPS)

    # -- work model ---------------------------------------------------------------------------------
    def metrics_for(self, width, depth: int) -> tuple:
        """What is recorded: ``suffix_norm`` (for the phase-3 bound) only where its cost over a full
        10000-step run stays below a tenth of the work budget."""
        if depth == 1:
            return ("loss", "on_subspace", "off_subspace")
        d = self.problem.d
        suffix = 2.0 * d * width * width * (depth - 2) + 4.0 * d * d * width
        records = sum(
            (end - t0) // self.cache.record_every(end) for t0, end in zip((0,) + STEPS[:-1], STEPS)
        )
        return self.RECORD + (
            ("suffix_norm",) if records * suffix <= 0.1 * self.work_budget else ()
        )

    def step_cap(self, width, depth: int) -> int:
        """Largest number of steps whose estimated work fits the budget."""
        return max(
            1, int(self.work_budget // step_flops(self.problem.d, self.problem.m, width, depth))
        )

    def run(self, *, width=64, depth=3, lam=3e-2, eta="auto", steps=2000, seed=0) -> TrainResult:
        """The (cached, warm-started) run at these settings, after the work cap."""
        steps = min(int(steps), self.step_cap(width, depth))
        return self.cache.run(
            width=width,
            depth=depth,
            lam=lam,
            eta=eta,
            steps=steps,
            seed=seed,
            metrics=self.metrics_for(width, depth),
        )

    # -- update -----------------------------------------------------------------------------------------
    def compute(self, *, width, depth, lam, eta, noise, steps, seed) -> dict:
        P = self.problem
        try:
            V.positive_int(width, "width")
            V.positive_int(depth, "depth")
            cap = self.step_cap(width, depth)
            res = self.run(width=width, depth=depth, lam=lam, eta=eta, steps=steps, seed=seed)
        except FloatingPointError as exc:
            raise _Invalid(
                f"{exc}. A step size is stable only below about 2/curvature, and the curvature "
                "grows with width and depth (Chapter 5): choose a smaller η or 'auto'."
            ) from None
        except ValueError as exc:
            raise _Invalid(f"{exc}.") from None
        E = res.end_to_end
        sig = P.singular_values
        limit_w = theory.spectral_limit(sig, lam, depth, branch="nonzero")
        limit_bias = theory.on_subspace_bias(P, lam, depth, branch="nonzero")
        trained_name = "trained network"
        sweep = metrics.noise_sweep(
            {trained_name: E, "oracle": P.oracle, "pseudo-inverse": P.pinv},
            P,
            NOISE_LEVELS,
            n=400,
            seed=self.test_seed,
        )
        errors = {
            name: metrics.predicted_relative_error(W, P, noise)
            for name, W in ((trained_name, E), ("oracle", P.oracle), ("pseudo-inverse", P.pinv))
        }
        return {
            "settings": {
                "width": width,
                "depth": depth,
                "lam": lam,
                "eta": eta,
                "noise": noise,
                "steps": steps,
                "seed": seed,
            },
            "result": res,
            "E": E,
            "cap": cap,
            "capped": res.steps < steps,
            "limit_w": limit_w,
            "limit_bias": limit_bias,
            "sweep": sweep,
            "errors": errors,
            "singular_values": np.linalg.svd(E, compute_uv=False),
            "fit_time": fit_time(res.history, limit_bias),
            "ok": True,
        }

    def _axes(self, fig, spec=None):
        if spec is None:
            top = fig.add_axes((0.065, 0.57, 0.52, 0.37))
            top.dlinv_legend_outside = True  # room for plot_training's legend on the right
            left = fig.add_axes((0.065, 0.075, 0.39, 0.37))
            right = fig.add_axes((0.555, 0.075, 0.42, 0.37))
            return [top, left, right]
        return _row_axes(fig, spec, (1.25, 1, 1), wspace=0.28)

    def draw(self, data, axes, compact=False):
        P, res = self.problem, data["result"]
        st = data["settings"]
        ax_t, ax_s, ax_n = axes
        names = (
            ("on_subspace", "off_subspace", "off_subspace_first", "loss")
            if res.depth > 1
            else ("on_subspace", "off_subspace", "loss")
        )
        plots.plot_training(res, P, ax=ax_t, metrics=names)
        ax_t.set_title(
            ax_t.get_title() + f", w = {st['width'] if st['depth'] > 1 else '(none)'}, "
            f"{res.steps} steps",
            fontsize=10,
        )
        if data["fit_time"] is not None:
            ax_t.axvline(
                data["fit_time"], color="0.4", ls=":", lw=1.2, label="end of phase 1 (fit)"
            )
        if compact:
            ax_t.get_legend().remove()
        elif getattr(ax_t, "dlinv_legend_outside", False):
            ax_t.legend(
                fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.02), borderaxespad=0.0
            )
        else:
            ax_t.legend(fontsize=6.5, loc="lower left")

        # singular values of the end-to-end map
        s, m = P.s, P.m
        sv = data["singular_values"]
        idx = np.arange(1, sv.size + 1)
        floor = 1e-6
        c = plots.COLORS["on_subspace"]
        ax_s.semilogy(idx, np.maximum(sv, floor), "o", color=c, ms=5, label="trained $W_{L:1}$")
        ax_s.plot(
            idx[:s],
            np.sort(1.0 / P.singular_values)[::-1],
            "_",
            color="k",
            ms=16,
            mew=2.2,
            label="oracle $1/\\sigma_i$",
        )
        ax_s.plot(
            idx[:s],
            np.maximum(np.sort(data["limit_w"])[::-1], floor),
            "s",
            color=c,
            mfc="none",
            ms=10,
            mew=1.4,
            ls="none",
            label="closed-form limit $w_i$ (Ch. 4)",
        )
        ax_s.axvspan(0.5, s + 0.5, color="#1f77b4", alpha=0.07, lw=0)
        ax_s.set_xlim(0.3, m + 0.7)
        ax_s.set_ylim(floor / 2, 30)
        ax_s.set_xlabel(f"index $i$ (first {s}: the signal directions $A\\mathcal{{S}}$)")
        ax_s.set_ylabel("singular value of the map")
        ax_s.set_title("singular values of the end-to-end map", fontsize=10)
        ax_s.grid(True, which="major", alpha=0.3)
        if not compact:
            ax_s.legend(fontsize=7.5, loc="upper right")

        # test error against noise
        plots.plot_noise_sweep(
            data["sweep"],
            ax=ax_n,
            colors={"trained network": "#2ca02c", "pseudo-inverse": plots.COLORS["pinv"]},
        )
        ax_n.axvline(
            st["noise"],
            color="0.4",
            ls=":",
            lw=1.2,
            label=f"readout at $\\sigma$ = {st['noise']:.2f}",
        )
        top = max(
            np.max(data["sweep"].measured["trained network"]),
            np.max(data["sweep"].measured["oracle"]),
        )
        ax_n.set_ylim(0, max(1.15 * top, 0.5))
        ax_n.set_title("test error under noise", fontsize=10)
        if compact:
            ax_n.get_legend().remove()
        else:
            ax_n.legend(fontsize=7, loc="upper left")

    def readout(self, data) -> str:
        st, res = data["settings"], data["result"]
        P = self.problem
        h = res.history
        parts = []
        eta_txt = f"η = {res.eta:.3g}" + (
            " (auto: 1/smoothness at initialization)" if res.eta_note else ""
        )
        parts.append(
            f"w = {st['width']}, L = {st['depth']}, λ = {_fmt(st['lam'])}, {eta_txt}, {res.steps} steps"
        )
        ft = data["fit_time"]
        parts.append(
            "phase 1: on-subspace error within 0.01 of its limit after "
            + (f"≈ {ft} steps" if ft is not None else f"more than {res.steps} steps")
        )
        parts.append(
            f"on-subspace error {h['on_subspace'][-1]:.3g} (closed-form limit {data['limit_bias']:.3g})"
        )
        parts.append(f"off-subspace norm {h['off_subspace'][0]:.3g} → {h['off_subspace'][-1]:.3g}")
        e = data["errors"]
        parts.append(
            f"test error at σ = {st['noise']:.2f}: trained {e['trained network']:.3g}, "
            f"oracle {e['oracle']:.3g}, pseudo-inverse {e['pseudo-inverse']:.3g}"
        )
        notes = []
        if data["capped"]:
            notes.append(
                f"capped at {res.steps} of {st['steps']} steps: the explorer limits the work of one "
                f"update (steps × cost of a step at this width and depth); run dlinv.train in a cell "
                f"for the full run"
            )
        if st["depth"] == 1:
            notes.append("at depth 1 the width plays no role (W_1 is d × m)")
        elif st["width"] < P.s:
            notes.append(
                f"width {st['width']} < s = {P.s}: W_L:1 has rank ≤ {st['width']}, so "
                f"‖W AR − R‖_F ≥ √(s − w) = {math.sqrt(P.s - st['width']):.3g} for every weight "
                f"(Eckart–Young); no network this narrow reaches the oracle"
            )
        dead = int(np.sum(data["limit_w"] == 0))
        if dead:
            notes.append(
                f"λ is above the collapse threshold c_L σ_i^(2/L) of {dead} direction(s): the "
                f"closed-form limit drops them (Chapter 4)"
            )
        return " | ".join(parts) + ("" if not notes else " | NOTE: " + "; ".join(notes))
