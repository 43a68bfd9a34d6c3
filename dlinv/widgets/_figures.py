"""The figure code the live explorers share: an unmanaged Agg figure, PNG encoding, rows of
panels, and the compact rendering of a knob value used in titles and readouts."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: matplotlib resolution of the explorers' figures
DPI = 80
#: the one line that tells a reader of the static page where the sliders run


def _new_figure(width: float, height: float) -> Figure:
    """A figure that pyplot does not manage (never auto-displayed by the inline backend)."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _fmt(x: float) -> str:
    """Compact rendering of a knob value (0.0003 -> 3e-04, 0.03 -> 0.03, 200 -> 200)."""
    if x == 0:
        return "0"
    if isinstance(x, (int, np.integer)) or float(x).is_integer() and abs(x) >= 1:
        return str(int(x))
    return f"{x:.0e}" if abs(x) < 1e-3 else f"{x:.3g}"


def _row_axes(fig, spec, fractions, wspace=0.3):
    """Axes side by side in ``spec`` (or the whole figure) with relative widths ``fractions``."""
    if spec is None:
        gs = fig.add_gridspec(1, len(fractions), width_ratios=fractions, wspace=wspace)
    else:
        gs = spec.subgridspec(1, len(fractions), width_ratios=fractions, wspace=wspace)
    return [fig.add_subplot(gs[0, i]) for i in range(len(fractions))]
