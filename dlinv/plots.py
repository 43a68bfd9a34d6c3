"""The book's recurring figures, in one style: measurement solid, theory dashed, same colour.

Every function draws on a given matplotlib ``Axes`` (or makes one) and returns it, so the
notebooks can compose panels. Nothing here computes mathematics: it calls :mod:`dlinv.theory`
and plots what :mod:`dlinv.train` and :mod:`dlinv.metrics` measured.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import theory
from .metrics import NoiseSweep
from .problem import InverseProblem
from .train import TrainResult

#: one colour per quantity or method, used by every figure of the book
COLORS = {
    "on_subspace": "#1f77b4",
    "off_subspace": "#d62728",
    "off_subspace_first": "#ff7f0e",
    "loss": "#2ca02c",
    "fit": "#17becf",
    "imbalance": "#9467bd",
    "oracle_distance": "#8c564b",
    "suffix_norm": "#7f7f7f",
    "oracle": "#000000",
    "pinv": "#7f7f7f",
    "no weight decay": "#d62728",
}
#: colours for maps without a fixed colour (e.g. several weight decays), in order of use
EXTRA_COLORS = [
    "#2ca02c",
    "#1f77b4",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#e377c2",
    "#bcbd22",
    "#8c564b",
]
#: axis/legend labels of the recorded metrics (matplotlib mathtext)
LABELS = {
    "loss": "loss $\\mathcal{L}_\\lambda$",
    "fit": "data fit $\\frac{1}{2N}\\|W_{L:1}Y-X\\|_F^2$",
    "on_subspace": "on-subspace error $\\|W_{L:1}AR-R\\|_F$",
    "off_subspace": "off-subspace norm $\\|W_{L:1}P^\\perp\\|_F$",
    "off_subspace_first": "first layer $\\|W_1P^\\perp\\|_F$",
    "imbalance": "imbalance $\\max_j\\|D_j\\|_F$",
    "oracle_distance": "distance to oracle $\\|W_{L:1}-W^\\star\\|_F$",
    "suffix_norm": "$\\|W_{L:2}\\|_2$",
}
FLOOR = 1e-16  # values below this are drawn at the floor of a log axis


#: width of the book's text column in inches at the figures' 100 dpi (about 720 px at 1280 px
#: viewport): a figure no wider than this is shown at its own size, so 11 pt stays 11 pt
PAGE_WIDTH = 7.2
#: at most this many panels side by side (more would shrink fonts below 10 pt on the page)
MAX_COLS = 2
#: the book's matplotlib style, applied when this module is imported (fonts >= 10 pt)
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.framealpha": 0.9,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
}


def apply_style() -> None:
    """Set the book's figure style (:data:`STYLE`) in matplotlib's rcParams."""
    plt.rcParams.update(STYLE)


apply_style()


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 6.4, height: float = 4.0):
    """A figure with a grid of axes in the book's size, constrained layout.

    ``width`` and ``height`` are inches per panel; if the row is wider than the text column
    (:data:`PAGE_WIDTH`) the whole figure is scaled down to it, keeping each panel's aspect, so
    that fonts keep their size on the page. At most :data:`MAX_COLS` panels per row.

    Returns ``(fig, ax)`` with a single ``Axes`` for one panel, otherwise a 2-D array indexed
    ``ax[row, col]`` (also for one row: ``fig, ax = new_figure(2); ax[0, 1]``).
    """
    if not 1 <= ncols <= MAX_COLS:
        raise ValueError(
            f"ncols={ncols}: at most {MAX_COLS} panels per row keep the fonts "
            f"readable at page width; use more rows (nrows) instead"
        )
    total_w, total_h = width * ncols, height * nrows
    scale = min(1.0, PAGE_WIDTH / total_w)
    apply_style()  # notebooks may have changed rcParams since import
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(total_w * scale, total_h * scale),
        layout="constrained",
        squeeze=False,
    )
    return fig, (axes[0, 0] if nrows == ncols == 1 else axes)


def plot_training(
    result: TrainResult,
    problem: InverseProblem,
    *,
    ax=None,
    metrics=("on_subspace", "off_subspace", "off_subspace_first", "loss"),
    theory_curves=True,
):
    """Training curves on a log scale, each with its theoretical prediction dashed:

    - ``off_subspace_first``: exactly ``(1 - eta lam)^t ||W_1(0) P_perp||_F``
      (Lemma ``lem-frozen``);
    - ``imbalance``: the leading factor ``(1 - eta lam)^{2t}`` (Lemma ``lem-imbalance``);
    - ``on_subspace`` (``lam > 0``): the closed-form limit ``||W_lam A R - R||_F``
      (eq. ``eq-limit-bias``, exact for whitened codes);
    - ``off_subspace``: the bound ``B (1 - eta lam)^t ||W_1(0) P_perp||_F`` (Theorem
      ``thm-phase3``) if ``suffix_norm`` was recorded (``B`` = its maximum), and the Lemma
      ``lem-init-offsubspace`` mean ``((d/m)(m - s))^{1/2}`` at ``t = 0``.
    """
    if ax is None:
        _, ax = new_figure()
    h = result.history
    t = h.step
    eta, lam, L = result.eta, result.lam, result.depth
    for name in metrics:
        if name not in h:
            continue
        y = np.maximum(h[name], FLOOR)
        c = COLORS[name]
        ax.plot(t, y, "-", color=c, lw=2, label=LABELS[name])
        if not theory_curves:
            continue
        if name == "off_subspace_first" and lam > 0:
            ax.plot(
                t,
                np.maximum(h[name][0] * theory.frozen_factor(eta, lam, t), FLOOR),
                "--",
                color=c,
                lw=1.5,
                label="Lemma A: $(1-\\eta\\lambda)^t\\,\\|W_1(0)P^\\perp\\|_F$",
            )
        elif name == "imbalance" and lam > 0 and h[name][0] > 0:
            ax.plot(
                t,
                h[name][0] * theory.imbalance_factor(eta, lam, t),
                "--",
                color=c,
                lw=1.5,
                label="Lemma C: $(1-\\eta\\lambda)^{2t}$ (leading term)",
            )
        elif name == "on_subspace" and lam > 0:
            bias = theory.on_subspace_bias(problem, lam, L, branch="nonzero")
            ax.axhline(
                max(bias, FLOOR), color=c, ls="--", lw=1.5, label="closed-form limit (Ch. 4)"
            )
        elif name == "off_subspace":
            mean0 = np.sqrt(theory.expected_initial_offsubspace_sq(problem.d, problem.m, problem.s))
            ax.plot(
                [0],
                [mean0],
                marker="D",
                ls="none",
                color=c,
                mfc="none",
                ms=8,
                label="Lemma B: $\\sqrt{(d/m)(m-s)}$ at $t=0$",
            )
            if "suffix_norm" in h and "off_subspace_first" in h and lam > 0:
                bound = theory.phase3_bound(
                    eta, lam, t, float(np.max(h["suffix_norm"])), float(h["off_subspace_first"][0])
                )
                ax.plot(
                    t,
                    bound,
                    "--",
                    color=c,
                    lw=1.5,
                    label="bound $B(1-\\eta\\lambda)^t\\|W_1(0)P^\\perp\\|_F$",
                )
    ax.set_yscale("log")
    ax.set_xlabel("gradient descent step $t$")
    ax.set_ylabel("value (log scale)")
    ax.set_title(f"L = {L}, $\\eta$ = {eta:.3g}, $\\lambda$ = {lam:.3g}")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return ax


def plot_noise_sweep(sweep: NoiseSweep, *, ax=None, colors: dict | None = None):
    """Relative test error against noise level: measured (markers) and the prediction of
    eq. ``eq-error-decomposition`` (dashed line, visible through the markers where they agree),
    one colour per map."""
    if ax is None:
        _, ax = new_figure()
    colors = {**COLORS, **(colors or {})}
    spare = iter([c for c in EXTRA_COLORS if c not in colors.values()] + EXTRA_COLORS)
    for name in sweep.measured:
        c = colors[name] if name in colors else next(spare)
        ax.plot(sweep.noise, sweep.predicted[name], "--", color=c, lw=1.5)
        ax.plot(sweep.noise, sweep.measured[name], "o", color=c, ms=6, label=name)
    ax.plot([], [], "k--", lw=1.5, label="dashed: prediction (error decomposition)")
    ax.set_xlabel("noise level $\\sigma$ (std. of each measurement's noise)")
    ax.set_ylabel("relative test error $\\|Wy-x\\|/\\|x\\|$ (RMS)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return ax
