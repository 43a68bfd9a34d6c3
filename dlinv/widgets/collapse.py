"""The collapse explorer (Chapter 4): the scalar problem of one direction and its thresholds."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import _validate as V
from .. import collapse, plots, theory
from ._base import Control, Explorer
from ._figures import _row_axes


# ---- Chapter 4: the scalar problem and collapse ---------------------------------------------------------
class CollapseExplorer(Explorer):
    """The scalar problem ``f(w) = (1/2)(sigma w - 1)^2 + (lam L/2) w^{2/L}`` of one singular
    direction (Chapter 4): its landscape, its stationary points, and where ``tau = lam sigma^{-2/L}``
    sits against the local threshold ``c_L`` and the global threshold ``c*_L``."""

    CONTROLS: ClassVar[dict] = {
        "depth": Control("depth L", 5, kind="int", lo=1, hi=8),
        "lam": Control(
            "weight decay λ",
            0.25,
            options=(
                0.0,
                0.01,
                0.03,
                0.05,
                0.1,
                0.15,
                0.2,
                0.25,
                0.3,
                0.35,
                0.4,
                0.5,
                0.7,
                1.0,
                1.5,
            ),
        ),
        "sigma": Control("singular value σ", 1.0, kind="float", lo=0.25, hi=2.0, step=0.05),
    }
    BUSY = "computing..."
    FIGSIZE = (10.5, 4.0)
    ROW_HEIGHT = 3.3
    worst: ClassVar[dict] = {"depth": 8, "lam": 1.5, "sigma": 0.25}

    def compute(self, *, depth, lam, sigma) -> dict:
        L = V.positive_int(depth, "depth")
        lam = V.nonneg_float(lam, "lam")
        sigma = V.nonneg_float(sigma, "sigma", positive=True)
        w = np.linspace(0.0, 1.6 / sigma, 800)
        f = theory.scalar_objective(w, sigma, lam, L)
        w_glob = float(theory.spectral_limit(sigma, lam, L, branch="global"))
        w_loc = float(theory.spectral_limit(sigma, lam, L, branch="nonzero"))
        # w_minus: the smaller nonzero stationary point, the edge of the basin of 0 (L >= 3)
        wm = (
            float(collapse.stationary_points(sigma, lam, L)[0])
            if L >= 3 and lam > 0
            else float("nan")
        )
        mu = lam * sigma ** (-2.0 / L)
        cL, cs = theory.collapse_threshold(L), theory.global_collapse_threshold(L)
        mu_max = max(1.3 * cL if np.isfinite(cL) else 3.0, 1.1 * mu, 0.05)
        mus = np.linspace(mu_max / 600, mu_max, 600)
        sig_eq = mus ** (
            -L / 2.0
        )  # lam = 1, sigma = mu^(-L/2) give lam sigma^(-2/L) = mu; u = sigma w
        u_plus = sig_eq * theory.spectral_limit(sig_eq, 1.0, L, branch="nonzero")
        u_glob = sig_eq * theory.spectral_limit(sig_eq, 1.0, L, branch="global")
        u_minus = (
            sig_eq * collapse.stationary_points(sig_eq, 1.0, L)[0]
            if L >= 3
            else np.full_like(mus, np.nan)
        )
        return {
            "settings": {"depth": L, "lam": lam, "sigma": sigma},
            "w": w,
            "f": f,
            "w_glob": w_glob,
            "w_loc": w_loc,
            "w_minus": wm,
            "mu": mu,
            "cL": cL,
            "cs": cs,
            "mus": mus,
            "u_plus": u_plus,
            "u_glob": u_glob,
            "u_minus": u_minus,
            "ok": True,
        }

    def _axes(self, fig, spec=None):
        if spec is None:
            return [fig.add_axes((0.065, 0.13, 0.40, 0.76)), fig.add_axes((0.56, 0.13, 0.42, 0.76))]
        return _row_axes(fig, spec, (1, 1), wspace=0.25)

    def draw(self, data, axes, compact=False):
        st = data["settings"]
        L, lam, sigma = st["depth"], st["lam"], st["sigma"]
        ax, ax2 = axes
        col = plots.EXTRA_COLORS[3]
        ax.plot(data["w"], data["f"], "-", color=col, lw=2, label="$f(w)$")
        f0 = float(theory.scalar_objective(0.0, sigma, lam, L))
        ax.plot(
            [0],
            [f0],
            "o",
            color="k",
            ms=7,
            mfc="k" if data["w_glob"] == 0 else "none",
            label="$w = 0$" + (" (global min.)" if data["w_glob"] == 0 else ""),
        )
        if data["w_loc"] > 0:
            fl = float(theory.scalar_objective(data["w_loc"], sigma, lam, L))
            glob = data["w_glob"] > 0
            ax.plot(
                [data["w_loc"]],
                [fl],
                "s",
                color=col,
                ms=9,
                mfc=col if glob else "none",
                mew=1.6,
                label="$w_+$: nonzero local min." + (" (global)" if glob else " (not global)"),
            )
        if np.isfinite(data["w_minus"]):
            fm = float(theory.scalar_objective(data["w_minus"], sigma, lam, L))
            ax.plot(
                [data["w_minus"]],
                [fm],
                "v",
                color="0.3",
                ms=8,
                label="$w_-$: local max. (basin boundary)",
            )
        ax.axvline(1.0 / sigma, color="k", ls=":", lw=1.2, label="oracle $1/\\sigma$")
        fmax = float(np.max(data["f"]))
        ax.set_ylim(-0.02 * fmax, 1.05 * fmax)
        ax.set_xlabel("singular value $w$ of the map in this direction")
        ax.set_ylabel("$f(w)=\\frac{1}{2}(\\sigma w-1)^2+\\frac{\\lambda L}{2}w^{2/L}$")
        ax.set_title(f"L = {L}, $\\lambda$ = {lam:.3g}, $\\sigma$ = {sigma:.2f}", fontsize=10)
        ax.grid(True, alpha=0.3)
        if not compact:
            ax.legend(fontsize=7.5, loc="upper right")
        ax2.plot(
            data["mus"], data["u_glob"], "-", color="0.6", lw=5, alpha=0.5, label="global minimizer"
        )
        ax2.plot(
            data["mus"],
            data["u_plus"],
            "--",
            color=col,
            lw=1.8,
            label="$u_+ = \\sigma w_+$ (nonzero branch)",
        )
        if L >= 3:
            ax2.plot(
                data["mus"],
                data["u_minus"],
                ":",
                color=col,
                lw=1.5,
                label="$u_- = \\sigma w_-$ (basin boundary)",
            )
        if np.isfinite(data["cL"]):
            ax2.axvline(
                data["cL"],
                color="0.3",
                ls="--",
                lw=1,
                label=f"local threshold $c_L$ = {data['cL']:.4f}",
            )
            if L >= 3:
                ax2.axvline(
                    data["cs"],
                    color="0.3",
                    ls="-.",
                    lw=1,
                    label=f"global threshold $c^\\star_L$ = {data['cs']:.4f}",
                )
        ax2.axvline(
            data["mu"],
            color="#d62728",
            lw=2,
            alpha=0.8,
            label=f"this setting: $\\tau$ = {data['mu']:.3f}",
        )
        ax2.plot([data["mu"]], [sigma * data["w_loc"]], "o", color="#d62728", ms=7)
        ax2.set_xlim(0, data["mus"][-1])
        ax2.set_ylim(-0.03, 1.05)
        ax2.set_xlabel("$\\tau = \\lambda\\sigma^{-2/L}$")
        ax2.set_ylabel("$u = \\sigma w$ (1 = the oracle)")
        ax2.set_title("stationary points against $\\tau$", fontsize=10)
        ax2.grid(True, alpha=0.3)
        if not compact:
            ax2.legend(fontsize=7, loc="lower left")

    def readout(self, data) -> str:
        st = data["settings"]
        L, lam, sigma, mu = st["depth"], st["lam"], st["sigma"], data["mu"]
        cL, cs = data["cL"], data["cs"]
        head = f"L = {L}, σ = {sigma:.2f}, λ = {lam:.3g}: τ = λσ^(-2/L) = {mu:.4f}"
        f0 = float(theory.scalar_objective(0.0, sigma, lam, L))
        if lam == 0:
            return (
                head + " | no weight decay: the minimizer is the oracle value w = 1/σ = "
                f"{1 / sigma:.4g}"
            )
        if L == 1:
            return (
                head
                + f" | L = 1 (ridge): one minimizer w = σ/(σ²+λ) = {data['w_loc']:.4g} for every λ; no collapse"
            )
        if L == 2:
            if data["w_loc"] > 0:
                return (
                    head
                    + f" | L = 2: soft threshold, w = (σ−λ)/σ² = {data['w_loc']:.4g}; it reaches 0 at λ = σ"
                )
            return head + " | L = 2: λ ≥ σ, the soft threshold has set this direction to 0"
        txt = f" | thresholds c*_{L} = {cs:.4f} (global), c_{L} = {cL:.4f} (local)"
        if data["w_loc"] == 0:
            return (
                head
                + txt
                + " | τ > c_L: no nonzero stationary point is left; every run collapses to w = 0"
            )
        fl = float(theory.scalar_objective(data["w_loc"], sigma, lam, L))
        if data["w_glob"] > 0:
            return (
                head
                + txt
                + (
                    f" | τ < c*_L: the nonzero minimizer w+ = {data['w_loc']:.4g} is global "
                    f"(f = {fl:.4f} < f(0) = {f0:.4f}); gradient descent started above "
                    f"w- = {data['w_minus']:.3g} converges to it"
                )
            )
        return (
            head
            + txt
            + (
                f" | c*_L < τ ≤ c_L: w+ = {data['w_loc']:.4g} survives as a local minimizer but is "
                f"not global (f = {fl:.4f} > f(0) = {f0:.4f}): metastable; gradient descent started "
                f"above w- = {data['w_minus']:.3g} keeps it"
            )
        )
