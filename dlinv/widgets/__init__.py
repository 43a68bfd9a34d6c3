"""Interactive explorers: move the knobs of the paper and watch the theory move with them (Chapter 9).

Two kinds, both built on dlinv's own functions (nothing here re-derives a formula):

*Live explorers* (ipywidgets; they need a running kernel: Binder, Colab or a local JupyterLab),
one per module of this package:

- :class:`TrainingExplorer` (``dlinv.widgets.training``): width, depth, weight decay, step size
  (with ``"auto"``), test noise, number of steps and seed of a deep linear network trained by
  :func:`dlinv.train`; panels: the training curves with their theory
  (:func:`dlinv.plots.plot_training`), the singular values of the end-to-end map against the oracle
  ``1/sigma_i`` and the closed-form limit (:func:`dlinv.theory.spectral_limit`, nonzero branch),
  and the test error against noise with the oracle and the pseudo-inverse
  (:func:`dlinv.metrics.noise_sweep`). Chapters 3 to 7.
- :class:`TradeoffExplorer` (``dlinv.widgets.tradeoff``): test error against the weight decay at a
  fixed training budget, with the closed-form limit (infinite budget) and the error decomposition
  of :mod:`dlinv.metrics` (Chapter 7).
- :class:`CollapseExplorer` (``dlinv.widgets.collapse``): the scalar penalty of Chapter 4 and its
  collapse thresholds (:func:`dlinv.theory.scalar_objective`, :func:`~dlinv.theory.spectral_limit`,
  :func:`~dlinv.theory.collapse_threshold`, :func:`~dlinv.theory.global_collapse_threshold`,
  :func:`dlinv.collapse.stationary_points`).
- :class:`SingleLayerExplorer` (``dlinv.widgets.single_layer``): gradient descent on one layer and
  its frozen off-subspace component (Chapter 2, :mod:`dlinv.single_layer`).

The machinery they share is in ``dlinv.widgets._base`` (controls, the :class:`Explorer` base
class), ``dlinv.widgets._cache`` (:class:`RunCache`) and ``dlinv.widgets._figures`` (the figure
code).

*Static explorers* (``dlinv.widgets.static``; they respond in the browser alone, with no kernel):
the training, trade-off and collapse explorers precomputed on a grid of slider settings by the live
explorers' own ``compute`` and drawn with Vega-Lite (``static.static_training_explorer``,
``static.static_tradeoff_explorer``, ``static.static_collapse_explorer``; ``static.show(kind)``
precomputes and displays one in a notebook).

Every live explorer has the same interface::

    ex = TrainingExplorer()
    ex.widget()                    # sliders + status + one-line readout + figure (needs a live kernel)
    frame = ex.update(width=128)   # the same update without widgets: Frame(png, readout, ok, seconds, data)
    ex.animate("lam", [0, 1e-3, 3e-2])       # a to_jshtml player (IPython HTML)
    ex.small_multiples([{"lam": 0}, {...}])  # one row of panels per setting

Invalid combinations (a step size that diverges, ``eta * lam >= 1``, ...) never raise from
:meth:`Explorer.update`: the readout explains what went wrong and ``frame.ok`` is False.

Speed, by design (Chapter 9, "How the explorer stays fast"): a small default problem (d = 60,
m = 30, s = 3, N = 200 whitened samples); runs are cached by their settings (an LRU cache bounded
in bytes) and *warm-started*: a longer run continues from the checkpoint of a shorter one, and
every visited step count is a checkpoint, so going back is free; only what is plotted is recorded;
the work of one update (steps x the flops of one step) is capped, and the readout says when the
cap cut a run short; one persistent figure per explorer is redrawn (no layout engine); and BLAS
runs single-threaded during an update (threadpoolctl, if installed), which on a shared 2-core
machine is several times faster than two competing threads (``python -m dlinv.bench_widgets``).
"""

from __future__ import annotations

from ._base import (
    DEFAULT_DIMS,
    LIVE_KIND_NOTE,
    LIVE_NOTE,
    Control,
    Explorer,
    Frame,
    blas_single_thread,
    default_problem,
)
from ._base import _Invalid as _Invalid
from ._base import _problem_or_default as _problem_or_default
from ._base import _threadpool_limits as _threadpool_limits
from ._cache import CACHE_BYTES, RunCache, step_flops
from ._figures import DPI
from ._figures import _fmt as _fmt
from .collapse import CollapseExplorer
from .single_layer import SingleLayerExplorer
from .tradeoff import BUDGETS, TRADEOFF_LAMS, TradeoffExplorer
from .training import (
    ETAS,
    LAMS,
    NOISE_LEVELS,
    STEPS,
    WIDTHS,
    WORK_BUDGET,
    TrainingExplorer,
    fit_time,
)

__all__ = [
    "BUDGETS",
    "CACHE_BYTES",
    "DEFAULT_DIMS",
    "DPI",
    "ETAS",
    "LAMS",
    "LIVE_KIND_NOTE",
    "LIVE_NOTE",
    "NOISE_LEVELS",
    "STEPS",
    "TRADEOFF_LAMS",
    "WIDTHS",
    "WORK_BUDGET",
    "CollapseExplorer",
    "Control",
    "Explorer",
    "Frame",
    "RunCache",
    "SingleLayerExplorer",
    "TradeoffExplorer",
    "TrainingExplorer",
    "blas_single_thread",
    "default_problem",
    "fit_time",
    "step_flops",
]

# The API page documents the package as one module (``automodule:: dlinv.widgets``): the public
# classes and functions say they live here, so that ``dlinv.widgets.TrainingExplorer`` resolves.
for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and callable(_obj):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):  # pragma: no cover - builtins
            pass
del _name, _obj
