"""Interactive explorers: move the knobs of the paper and watch the theory move with them (Chapter 9).

Four explorers, each composed from dlinv's own functions (nothing here re-derives a formula):

- :class:`TrainingExplorer`: width, depth, weight decay, step size (with ``"auto"``), test noise,
  number of steps and seed of a deep linear network trained by :func:`dlinv.train`; panels: the
  training curves with their theory (:func:`dlinv.plots.plot_training`), the singular values of the
  end-to-end map against the oracle ``1/sigma_i`` and the closed-form limit
  (:func:`dlinv.theory.spectral_limit`, nonzero branch), and the test error against noise with the
  oracle and the pseudo-inverse (:func:`dlinv.metrics.noise_sweep`). Chapters 3 to 7.
- :class:`TradeoffExplorer`: test error against the weight decay at a fixed training budget, with the
  closed-form limit (infinite budget) and the error decomposition of :mod:`dlinv.metrics` (Chapter 7).
- :class:`CollapseExplorer`: the scalar penalty of Chapter 4 and its collapse thresholds
  (:func:`dlinv.theory.scalar_objective`, :func:`~dlinv.theory.spectral_limit`,
  :func:`~dlinv.theory.collapse_threshold`, :func:`~dlinv.theory.global_collapse_threshold`,
  :func:`dlinv.collapse.stationary_points`).
- :class:`SingleLayerExplorer`: gradient descent on one layer and its frozen off-subspace component
  (Chapter 2, :mod:`dlinv.single_layer`).

Every explorer has the same interface::

    ex = TrainingExplorer()
    ex.widget()                    # sliders + status + one-line readout + figure (needs a live kernel)
    frame = ex.update(width=128)   # the same update without widgets: Frame(png, readout, ok, seconds, data)
    ex.animate("lam", [0, 1e-3, 3e-2])       # static fallback: a to_jshtml player (IPython HTML)
    ex.small_multiples([{"lam": 0}, {...}])  # static fallback: one row of panels per setting

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

import contextlib
import html
import io
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import _validate as V
from . import collapse, metrics, plots, single_layer, theory
from .network import init_weights, layer_shapes
from .problem import InverseProblem, TrainingData, check_problem_data, make_training_data, random_problem
from .train import History, TrainResult, suggest_step_size
from .train import train as _train

try:  # optional: limits BLAS threads during an update (see the module docstring)
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    _threadpool_limits = None

#: the explorer's default problem: d, m, s, N (whitened codes, so the closed forms hold exactly)
DEFAULT_DIMS = (60, 30, 3, 200)
#: upper bound on the estimated work (floating-point operations) of one training update
WORK_BUDGET = 2.5e10
#: byte budget of the cache of runs (checkpointed weights)
CACHE_BYTES = 300e6
#: matplotlib resolution of the explorers' figures
DPI = 80
#: the one line that tells a reader of the static page where the sliders run
LIVE_NOTE = ("This page is static, so the sliders above do not respond here. The live version runs on "
             "Binder or Colab (rocket button at the top of the page) or locally (see the README); "
             "the figure below shows the same lesson for a few precomputed settings.")


@contextlib.contextmanager
def blas_single_thread():
    """Run BLAS on one thread inside the block (no-op without threadpoolctl)."""
    if _threadpool_limits is None:
        yield
        return
    with _threadpool_limits(limits=1, user_api="blas"):
        yield


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


# ---- controls ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Control:
    """One knob: a slider (``options`` for a discrete selection slider, else ``lo``/``hi``/``step``),
    a dropdown or toggle buttons."""

    description: str
    default: object
    kind: str = "select"          # select | dropdown | toggle | int | float
    options: tuple = ()           # for select / dropdown / toggle: values (labels from _fmt)
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0

    def extremes(self) -> list:
        """The two ends of the range (the first and last option)."""
        if self.kind in ("select", "dropdown", "toggle"):
            return [self.options[0], self.options[-1]]
        return [type(self.default)(self.lo), type(self.default)(self.hi)]

    def make(self):
        import ipywidgets as W

        style = {"description_width": "8.5em"}
        layout = W.Layout(width="98%", min_width="19em")
        labels = [(o if isinstance(o, str) else _fmt(o), o) for o in self.options]
        if self.kind == "select":
            return W.SelectionSlider(options=labels, value=self.default, description=self.description,
                                     continuous_update=False, style=style, layout=layout)
        if self.kind == "dropdown":
            return W.Dropdown(options=labels, value=self.default, description=self.description,
                              style=style, layout=layout)
        if self.kind == "toggle":
            return W.ToggleButtons(options=labels, value=self.default, description=self.description,
                                   style={**style, "button_width": "6em"})
        if self.kind == "int":
            return W.IntSlider(value=self.default, min=int(self.lo), max=int(self.hi), step=int(self.step),
                               description=self.description, continuous_update=False, style=style,
                               layout=layout)
        if self.kind == "float":
            return W.FloatSlider(value=self.default, min=self.lo, max=self.hi, step=self.step,
                                 description=self.description, continuous_update=False, style=style,
                                 layout=layout, readout_format=".2f")
        raise ValueError(f"unknown control kind {self.kind!r}")


@dataclass
class Frame:
    """What one update produced: the figure as PNG bytes (None if nothing could be drawn), the
    one-line readout, whether the settings were valid, the wall time and the computed data."""

    png: bytes | None
    readout: str
    ok: bool
    seconds: float
    data: dict = field(default_factory=dict)


# ---- the base class ----------------------------------------------------------------------------------
class Explorer:
    """Common machinery: controls, update (compute, draw, PNG), widget, static fallbacks.

    Subclasses define ``CONTROLS`` (name -> :class:`Control`), ``BUSY`` (the status text while an
    update runs), ``FIGSIZE``, and the methods ``compute(**settings) -> dict`` (raises
    ``_Invalid`` with an explanation for invalid settings), ``_axes(fig, spec=None)`` (the panels,
    in a whole figure or in one row of a small-multiples grid), ``draw(data, axes, compact)`` and
    ``readout(data)``.
    """

    CONTROLS: dict = {}
    BUSY = "computing..."
    FIGSIZE = (10.0, 4.0)
    ROW_HEIGHT = 3.4

    def __init__(self):
        self._fig = None
        self._axes_live = None

    # -- settings ---------------------------------------------------------------------------------
    @property
    def defaults(self) -> dict:
        return {k: c.default for k, c in self.CONTROLS.items()}

    def settings(self, **overrides) -> dict:
        unknown = set(overrides) - set(self.CONTROLS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; this explorer has {list(self.CONTROLS)}")
        return {**self.defaults, **overrides}

    def corners(self) -> list[dict]:
        """Settings that put every knob at both ends of its range: the defaults, all knobs at their
        low end, all at their high end, the two alternating mixtures (knob 1 low, knob 2 high, ...
        and the reverse), and :attr:`worst` (duplicates removed)."""
        names = list(self.CONTROLS)
        ends = [self.CONTROLS[n].extremes() for n in names]
        out = [self.defaults]
        for pick in ([0] * len(names), [1] * len(names), [i % 2 for i in range(len(names))],
                     [1 - i % 2 for i in range(len(names))]):
            out.append(self.settings(**{n: e[p] for n, e, p in zip(names, ends, pick)}))
        out.append(self.settings(**self.worst))
        unique = []
        for c in out:
            if c not in unique:
                unique.append(c)
        return unique

    #: the most expensive settings (overridden by subclasses)
    worst: dict = {}

    # -- one update ---------------------------------------------------------------------------------
    def update(self, **overrides) -> Frame:
        """Compute, draw and render the explorer at the given settings (defaults for the rest).

        Never raises for invalid settings: the readout explains them and ``ok`` is False.
        """
        t0 = time.perf_counter()
        s = self.settings(**overrides)
        try:
            with blas_single_thread():
                data = self.compute(**s)
        except _Invalid as exc:
            return Frame(png=exc.png, readout=str(exc), ok=False, seconds=time.perf_counter() - t0,
                         data=exc.data)
        if self._fig is None:
            self._fig = _new_figure(*self.FIGSIZE)
            self._axes_live = self._axes(self._fig)
        for ax in self._axes_live:
            ax.clear()
        self.draw(data, self._axes_live, compact=False)
        png = _png(self._fig)
        text = self.readout(data)
        seconds = time.perf_counter() - t0
        return Frame(png=png, readout=text, ok=data.get("ok", True), seconds=seconds, data=data)

    def measure(self, **overrides) -> Frame:
        """The numbers of :meth:`update` without the picture (``png`` is None): for experiments
        that only need the readout and ``frame.data``."""
        t0 = time.perf_counter()
        s = self.settings(**overrides)
        try:
            with blas_single_thread():
                data = self.compute(**s)
        except _Invalid as exc:
            return Frame(png=None, readout=str(exc), ok=False, seconds=time.perf_counter() - t0, data=exc.data)
        return Frame(png=None, readout=self.readout(data), ok=data.get("ok", True),
                     seconds=time.perf_counter() - t0, data=data)

    # -- the widget -------------------------------------------------------------------------------------
    def widget(self):
        """Sliders, a status line, the one-line readout and the figure, wired with
        ``ipywidgets.interactive_output`` (every slider has ``continuous_update=False``)."""
        import ipywidgets as W

        controls = {k: c.make() for k, c in self.CONTROLS.items()}
        status = W.HTML(value="")
        readout = W.HTML(value="", layout=W.Layout(width="100%"))
        image = W.Image(format="png", layout=W.Layout(width="100%", max_width=f"{int(self.FIGSIZE[0] * DPI)}px"))

        def on_change(**settings):
            status.value = f"<i>{html.escape(self.BUSY)}</i>"
            try:
                frame = self.update(**settings)
            except Exception as exc:  # noqa: BLE001 - an explorer never shows a traceback
                image.layout.display = "none"
                readout.value = ("<b>Something went wrong</b> (please report it): "
                                 f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}")
                status.value = ""
                return
            if frame.png is None:
                image.layout.display = "none"
            else:
                image.value = frame.png
                image.layout.display = None
            prefix = "" if frame.ok else "<b>&#9888; Invalid combination.</b> "
            readout.value = f"<span class='dlinv-readout'>{prefix}{html.escape(frame.readout)}</span>"
            status.value = f"<span style='color:#666'>updated in {frame.seconds:.2f} s</span>"

        out = W.interactive_output(on_change, controls)
        boxes = list(controls.values())
        grid = W.GridBox(boxes, layout=W.Layout(grid_template_columns="repeat(auto-fill, minmax(20em, 1fr))",
                                                 width="100%"))
        box = W.VBox([grid, status, readout, image, out])
        box.add_class("dlinv-explorer")
        return box

    # -- static fallbacks ---------------------------------------------------------------------------------
    def small_multiples(self, settings_list, labels=None):
        """One row of panels per setting (same panels as the live explorer); returns the figure.

        Rows whose settings are invalid show the explanation instead of panels."""
        import matplotlib.pyplot as plt

        n = len(settings_list)
        height = self.ROW_HEIGHT * n
        fig = plt.figure(figsize=(self.FIGSIZE[0], height), dpi=DPI)
        gs = fig.add_gridspec(n, 1, hspace=0.6, left=0.07, right=0.98, top=1 - 0.5 / height, bottom=0.55 / height)
        for i, overrides in enumerate(settings_list):
            s = self.settings(**overrides)
            label = labels[i] if labels else ", ".join(f"{k} = {_fmt(v) if not isinstance(v, str) else v}"
                                                       for k, v in overrides.items())
            axes = self._axes(fig, gs[i])
            try:
                with blas_single_thread():
                    data = self.compute(**s)
            except _Invalid as exc:
                for ax in axes:
                    ax.set_axis_off()
                axes[0].text(0, 0.5, f"{label}: {exc}", wrap=True, fontsize=9, transform=axes[0].transAxes)
                continue
            self.draw(data, axes, compact=i > 0)
            axes[0].annotate(label, xy=(0, 1), xycoords="axes fraction", xytext=(0, 18),
                             textcoords="offset points", fontsize=10, fontweight="bold", ha="left")
        return fig

    def animate(self, knob: str, values, *, fps: float = 1.5, **fixed):
        """A ``FuncAnimation`` over precomputed values of one knob, drawn exactly like the live
        explorer, as an ``IPython.display.HTML`` player (``to_jshtml``)."""
        from IPython.display import HTML
        from matplotlib import animation

        frames = []
        with blas_single_thread():
            for v in values:
                s = self.settings(**{**fixed, knob: v})
                try:
                    frames.append(self.compute(**s))
                except _Invalid as exc:
                    frames.append({"invalid": str(exc)})
        fig = _new_figure(*self.FIGSIZE)
        axes = self._axes(fig)
        desc = self.CONTROLS[knob].description
        title = fig.text(0.005, 0.995, "", ha="left", va="top", fontsize=11, fontweight="bold", color="#a00")
        message = fig.text(0.05, 0.5, "", wrap=True)

        def draw(i):
            for ax in axes:
                ax.clear()
            if "invalid" in frames[i]:
                for ax in axes:
                    ax.set_axis_off()
                message.set_text(frames[i]["invalid"])
            else:
                for ax in axes:
                    ax.set_axis_on()
                message.set_text("")
                self.draw(frames[i], axes, compact=False)
            v = values[i]
            title.set_text(f"{desc} = {v if isinstance(v, str) else _fmt(v)}")
            return []

        anim = animation.FuncAnimation(fig, draw, frames=len(frames), interval=1000 / fps, blit=False)
        out = HTML(anim.to_jshtml(fps=fps, default_mode="once"))
        return out

    # -- to override ------------------------------------------------------------------------------------
    def compute(self, **settings) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _axes(self, fig, spec=None) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, data: dict, axes: list, compact: bool) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def readout(self, data: dict) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class _Invalid(Exception):
    """Settings that cannot be run: the message is the explanation shown in the readout."""

    def __init__(self, message: str, png: bytes | None = None, data: dict | None = None):
        super().__init__(message)
        self.png = png
        self.data = data or {}


def _row_axes(fig, spec, fractions, wspace=0.3):
    """Axes side by side in ``spec`` (or the whole figure) with relative widths ``fractions``."""
    if spec is None:
        gs = fig.add_gridspec(1, len(fractions), width_ratios=fractions, wspace=wspace)
    else:
        gs = spec.subgridspec(1, len(fractions), width_ratios=fractions, wspace=wspace)
    return [fig.add_subplot(gs[0, i]) for i in range(len(fractions))]


# ---- the cache of training runs ------------------------------------------------------------------------
@dataclass
class _Entry:
    W0: tuple
    eta: float | None = None
    note: str = ""
    history: History | None = None
    checkpoints: dict = field(default_factory=dict)   # step -> weights
    failure: tuple | None = None                      # (first failing step t0, message)

    @property
    def nbytes(self) -> int:
        return sum(W.nbytes for ws in self.checkpoints.values() for W in ws)


def _merge(h1: History | None, h2: History, offset: int) -> History:
    """History ``h1`` (up to step ``offset``) followed by ``h2`` shifted by ``offset``."""
    if h1 is None:
        return h2
    keep = h1.step <= offset
    steps = np.concatenate([h1.step[keep], h2.step[1:] + offset])
    values = {k: np.concatenate([h1.values[k][keep], h2.values[k][1:]]) for k in h2.values}
    return History(step=steps, values=values)


def _truncate(h: History, steps: int) -> History:
    keep = h.step <= steps
    return History(step=h.step[keep], values={k: v[keep] for k, v in h.values.items()})


class RunCache:
    """Training runs keyed by their settings, warm-started from checkpoints, LRU-evicted by bytes.

    ``run(width=, depth=, lam=, eta=, steps=, seed=)`` returns the :class:`dlinv.train.TrainResult`
    of exactly ``steps`` steps of :func:`dlinv.train` from the fan-in initialization with that seed.
    Gradient descent is deterministic, so continuing a run from its checkpoint at step ``t0`` gives
    the same iterates as one long run. ``grid`` lists the step counts at which checkpoints are kept
    (the values of the steps slider): every run passes through them.
    """

    def __init__(self, problem: InverseProblem, data: TrainingData, *, metrics=(), grid=(),
                 max_bytes: float = CACHE_BYTES, records: int = 100):
        self.problem, self.data = problem, data
        self.metrics = tuple(metrics)
        self.grid = tuple(sorted(grid))
        self.max_bytes = max_bytes
        self.records = records
        self._entries: OrderedDict = OrderedDict()
        self.trained_steps = 0  # steps of gradient descent actually run (for tests and benchmarks)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def record_every(self, chunk_end: int) -> int:
        return max(1, chunk_end // self.records)

    def plan(self, t0: int, steps: int) -> list[int]:
        """Chunk ends from ``t0`` to ``steps``: the grid values in between, then ``steps``."""
        return [g for g in self.grid if t0 < g < steps] + [steps]

    def run(self, *, width, depth: int, lam: float, eta, steps: int, seed: int, metrics=None) -> TrainResult:
        metrics = self.metrics if metrics is None else tuple(metrics)
        key = (width if depth > 1 else None, depth, float(lam), eta, seed, metrics)
        entry = self._entries.get(key)
        if entry is None:
            W0 = init_weights(self.problem.d, self.problem.m, width=width, depth=depth, seed=seed)
            entry = _Entry(W0=W0, checkpoints={0: W0})
            self._entries[key] = entry
        self._entries.move_to_end(key)
        if entry.failure is not None and steps > entry.failure[0]:
            raise FloatingPointError(entry.failure[1])
        if steps not in entry.checkpoints:
            t0 = max(t for t in entry.checkpoints if t <= steps)
            for end in self.plan(t0, steps):
                try:
                    res = _train(self.problem, self.data, lam=lam, eta=eta if entry.eta is None else entry.eta,
                                 steps=end - t0, init=entry.checkpoints[t0], record_every=self.record_every(end),
                                 metrics=metrics)
                except FloatingPointError as exc:
                    msg = str(exc) + (f" (counting from step {t0}, where this run was continued)" if t0 else "")
                    entry.failure = (t0, msg)
                    raise FloatingPointError(msg) from None
                self.trained_steps += end - t0
                if entry.eta is None:
                    entry.eta, entry.note = res.eta, res.eta_note
                if entry.history is None or entry.history.step[-1] <= t0:
                    entry.history = _merge(entry.history, res.history, t0)
                entry.checkpoints[end] = res.weights
                t0 = end
            self._evict(keep=key)
        hist = _truncate(entry.history, steps) if entry.history is not None else \
            History(step=np.array([0]), values={k: np.array([]) for k in metrics})
        return TrainResult(weights=entry.checkpoints[steps], initial_weights=entry.W0, history=hist,
                           eta=entry.eta if entry.eta is not None else float("nan"), lam=float(lam), steps=steps,
                           eta_note=entry.note)

    def _evict(self, keep) -> None:
        total = sum(e.nbytes for e in self._entries.values())
        while total > self.max_bytes and len(self._entries) > 1:
            k, e = next(iter(self._entries.items()))
            if k == keep:
                self._entries.move_to_end(k)
                continue
            total -= e.nbytes
            del self._entries[k]


def step_flops(d: int, m: int, width, depth: int) -> float:
    """Floating-point operations of one step of :func:`dlinv.train` (matrix products plus the
    elementwise update), estimated from the layer shapes: the forward prefix products, ``G``, and
    per layer the back-propagated signal and the weight update."""
    shapes = layer_shapes(d, m, width if depth > 1 else None, depth)
    flops = 2.0 * d * m * m                                  # G = E Syy - Sxy
    for out, inn in shapes[1:]:
        flops += 3 * 2.0 * out * inn * m                     # prefix, W^T B, B prefix^T
    flops += sum(4.0 * out * inn for out, inn in shapes)     # decay and subtract, read + write
    return flops


# ---- the training explorer -----------------------------------------------------------------------------
WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 800)
LAMS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)
ETAS = ("auto", 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)
STEPS = (100, 200, 500, 1000, 2000, 5000, 10000)
NOISE_LEVELS = np.linspace(0.0, 1.0, 11)


def default_problem(dims=DEFAULT_DIMS, *, seed: int = 0):
    """The explorers' problem (d, m, s) and whitened training data with N samples."""
    d, m, s, n = dims
    problem = random_problem(d, m, s, seed=seed)
    return problem, make_training_data(problem, n, seed=seed + 1, whiten=True)


def _problem_or_default(problem, data):
    """``(problem, data)`` as given (checked), or the explorers' default problem if both are ``None``."""
    if (problem is None) != (data is None):
        raise ValueError("pass both problem and data, or neither (then the default problem is used)")
    if problem is None:
        return default_problem()
    check_problem_data(problem, data)
    return problem, data


def fit_time(history: History, limit: float, tol: float = 0.01):
    """First recorded step at which the on-subspace error is within ``tol`` of ``limit`` (the end of
    phase 1 as the explorer reports it), or None."""
    ok = np.flatnonzero(history["on_subspace"] <= limit + tol)
    return int(history.step[ok[0]]) if ok.size else None


class TrainingExplorer(Explorer):
    """Train a deep linear network and compare it with the theory (see the module docstring).

    ``problem``/``data`` default to :func:`default_problem` (d=60, m=30, s=3, N=200, whitened).
    """

    CONTROLS = {
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
    worst = {"width": 800, "depth": 8, "steps": 10000, "lam": 3e-1, "eta": "auto", "noise": 1.0}

    #: metrics recorded (plus ``suffix_norm`` for the phase-3 bound when it is cheap)
    RECORD = ("loss", "on_subspace", "off_subspace", "off_subspace_first")

    def __init__(self, problem: InverseProblem | None = None, data: TrainingData | None = None, *,
                 work_budget: float = WORK_BUDGET, test_seed: int = 12345):
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
        records = sum((end - t0) // self.cache.record_every(end) for t0, end in zip((0,) + STEPS[:-1], STEPS))
        return self.RECORD + (("suffix_norm",) if records * suffix <= 0.1 * self.work_budget else ())

    def step_cap(self, width, depth: int) -> int:
        """Largest number of steps whose estimated work fits the budget."""
        return max(1, int(self.work_budget // step_flops(self.problem.d, self.problem.m, width, depth)))

    def run(self, *, width=64, depth=3, lam=3e-2, eta="auto", steps=2000, seed=0) -> TrainResult:
        """The (cached, warm-started) run at these settings, after the work cap."""
        steps = min(int(steps), self.step_cap(width, depth))
        return self.cache.run(width=width, depth=depth, lam=lam, eta=eta, steps=steps, seed=seed,
                              metrics=self.metrics_for(width, depth))

    # -- update -----------------------------------------------------------------------------------------
    def compute(self, *, width, depth, lam, eta, noise, steps, seed) -> dict:
        P = self.problem
        try:
            V.positive_int(width, "width")
            V.positive_int(depth, "depth")
            cap = self.step_cap(width, depth)
            res = self.run(width=width, depth=depth, lam=lam, eta=eta, steps=steps, seed=seed)
        except FloatingPointError as exc:
            raise _Invalid(f"{exc}. A step size is stable only below about 2/curvature, and the curvature "
                           "grows with width and depth (Chapter 5): choose a smaller η or 'auto'.") from None
        except ValueError as exc:
            raise _Invalid(f"{exc}.") from None
        E = res.end_to_end
        sig = P.singular_values
        limit_w = theory.spectral_limit(sig, lam, depth, branch="nonzero")
        limit_bias = theory.on_subspace_bias(P, lam, depth, branch="nonzero")
        trained_name = "trained network"
        sweep = metrics.noise_sweep({trained_name: E, "oracle": P.oracle, "pseudo-inverse": P.pinv}, P,
                                    NOISE_LEVELS, n=400, seed=self.test_seed)
        errors = {name: metrics.predicted_relative_error(W, P, noise)
                  for name, W in ((trained_name, E), ("oracle", P.oracle), ("pseudo-inverse", P.pinv))}
        return {"settings": dict(width=width, depth=depth, lam=lam, eta=eta, noise=noise, steps=steps, seed=seed),
                "result": res, "E": E, "cap": cap, "capped": res.steps < steps,
                "limit_w": limit_w, "limit_bias": limit_bias, "sweep": sweep, "errors": errors,
                "singular_values": np.linalg.svd(E, compute_uv=False),
                "fit_time": fit_time(res.history, limit_bias), "ok": True}

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
        names = ("on_subspace", "off_subspace", "off_subspace_first", "loss") if res.depth > 1 else \
            ("on_subspace", "off_subspace", "loss")
        plots.plot_training(res, P, ax=ax_t, metrics=names)
        ax_t.set_title(ax_t.get_title() + f", w = {st['width'] if st['depth'] > 1 else '(none)'}, "
                       f"{res.steps} steps", fontsize=10)
        if data["fit_time"] is not None:
            ax_t.axvline(data["fit_time"], color="0.4", ls=":", lw=1.2, label="end of phase 1 (fit)")
        if compact:
            ax_t.get_legend().remove()
        elif getattr(ax_t, "dlinv_legend_outside", False):
            ax_t.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.02), borderaxespad=0.0)
        else:
            ax_t.legend(fontsize=6.5, loc="lower left")

        # singular values of the end-to-end map
        s, m = P.s, P.m
        sv = data["singular_values"]
        idx = np.arange(1, sv.size + 1)
        floor = 1e-6
        c = plots.COLORS["on_subspace"]
        ax_s.semilogy(idx, np.maximum(sv, floor), "o", color=c, ms=5, label="trained $W_{L:1}$")
        ax_s.plot(idx[:s], np.sort(1.0 / P.singular_values)[::-1], "_", color="k", ms=16, mew=2.2,
                  label="oracle $1/\\sigma_i$")
        ax_s.plot(idx[:s], np.maximum(np.sort(data["limit_w"])[::-1], floor), "s", color=c, mfc="none",
                  ms=10, mew=1.4, ls="none", label="closed-form limit $w_i$ (Ch. 4)")
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
        plots.plot_noise_sweep(data["sweep"], ax=ax_n, colors={"trained network": "#2ca02c",
                                                               "pseudo-inverse": plots.COLORS["pinv"]})
        ax_n.axvline(st["noise"], color="0.4", ls=":", lw=1.2, label=f"readout at $\\sigma$ = {st['noise']:.2f}")
        top = max(np.max(data["sweep"].measured["trained network"]), np.max(data["sweep"].measured["oracle"]))
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
        eta_txt = f"η = {res.eta:.3g}" + (" (auto: 1/smoothness at initialization)" if res.eta_note else "")
        parts.append(f"w = {st['width']}, L = {st['depth']}, λ = {_fmt(st['lam'])}, {eta_txt}, {res.steps} steps")
        ft = data["fit_time"]
        parts.append("phase 1: on-subspace error within 0.01 of its limit after "
                     + (f"≈ {ft} steps" if ft is not None else f"more than {res.steps} steps"))
        parts.append(f"on-subspace error {h['on_subspace'][-1]:.3g} (closed-form limit {data['limit_bias']:.3g})")
        parts.append(f"off-subspace norm {h['off_subspace'][0]:.3g} → {h['off_subspace'][-1]:.3g}")
        e = data["errors"]
        parts.append(f"test error at σ = {st['noise']:.2f}: trained {e['trained network']:.3g}, "
                     f"oracle {e['oracle']:.3g}, pseudo-inverse {e['pseudo-inverse']:.3g}")
        notes = []
        if data["capped"]:
            notes.append(f"capped at {res.steps} of {st['steps']} steps: the explorer limits the work of one "
                         f"update (steps × cost of a step at this width and depth); run dlinv.train in a cell "
                         f"for the full run")
        if st["depth"] == 1:
            notes.append("at depth 1 the width plays no role (W_1 is d × m)")
        elif st["width"] < P.s:
            notes.append(f"width {st['width']} < s = {P.s}: W_L:1 has rank ≤ {st['width']}, so "
                         f"‖W AR − R‖_F ≥ √(s − w) = {math.sqrt(P.s - st['width']):.3g} for every weight "
                         f"(Eckart–Young); no network this narrow reaches the oracle")
        dead = int(np.sum(data["limit_w"] == 0))
        if dead:
            notes.append(f"λ is above the collapse threshold c_L σ_i^(2/L) of {dead} direction(s): the "
                         f"closed-form limit drops them (Chapter 4)")
        return " | ".join(parts) + ("" if not notes else " | NOTE: " + "; ".join(notes))


# ---- the lambda trade-off ---------------------------------------------------------------------------------
TRADEOFF_LAMS = (0.0, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)
BUDGETS = (100, 300, 1000, 3000)


class TradeoffExplorer(Explorer):
    """Test error against weight decay after a fixed number of steps (the budget), for the grid
    :data:`TRADEOFF_LAMS`, with the closed-form limit ``W_lambda`` (infinite budget) and the three
    terms of the error decomposition (Chapter 7). One step size for every ``lambda``: the auto rule
    (:func:`dlinv.train.suggest_step_size`) at ``lambda = 0``."""

    CONTROLS = {
        "steps": Control("budget T (steps)", 1000, options=BUDGETS),
        "noise": Control("test noise σ", 0.1, kind="float", lo=0.0, hi=0.5, step=0.02),
        "depth": Control("depth L", 3, kind="int", lo=1, hi=6),
        "seed": Control("init seed", 0, kind="int", lo=0, hi=9),
    }
    BUSY = "training 7 networks..."
    FIGSIZE = (10.5, 4.2)
    ROW_HEIGHT = 3.4
    worst = {"steps": 3000, "depth": 6, "noise": 0.5}

    def __init__(self, problem=None, data=None, *, width: int = 32, lams=TRADEOFF_LAMS):
        super().__init__()
        self.problem, self.data = _problem_or_default(problem, data)
        self.width = V.positive_int(width, "width")
        self.lams = tuple(float(x) for x in lams)
        self.cache = RunCache(self.problem, self.data, grid=BUDGETS)
        self._eta = {}

    def eta_for(self, depth: int, seed: int) -> float:
        key = (depth, seed)
        if key not in self._eta:
            W0 = init_weights(self.problem.d, self.problem.m, width=self.width, depth=depth, seed=seed)
            self._eta[key] = suggest_step_size(W0, self.data, 0.0)
        return self._eta[key]

    def compute(self, *, steps, noise, depth, seed) -> dict:
        P = self.problem
        try:
            eta = self.eta_for(depth, seed)
            maps = {lam: self.cache.run(width=self.width, depth=depth, lam=lam, eta=eta, steps=int(steps),
                                        seed=seed, metrics=()).end_to_end for lam in self.lams}
        except (FloatingPointError, ValueError) as exc:
            raise _Invalid(f"{exc}.") from None
        dec = {lam: metrics.error_decomposition(E, P, noise) for lam, E in maps.items()}
        err = np.array([math.sqrt(dec[lam]["total"] / P.s) for lam in self.lams])
        fine = np.geomspace(min(x for x in self.lams if x > 0), max(self.lams), 60)
        limit = np.array([metrics.predicted_relative_error(theory.regularized_limit(P, lam, depth, "nonzero"), P, noise)
                          for lam in fine])
        best = int(np.argmin(err))
        return {"settings": dict(steps=steps, noise=noise, depth=depth, seed=seed), "eta": eta,
                "dec": dec, "err": err, "fine": fine, "limit": limit, "best": best,
                "oracle": metrics.predicted_relative_error(P.oracle, P, noise),
                "pinv": metrics.predicted_relative_error(P.pinv, P, noise), "ok": True}

    def _x(self, lams):
        """Positions on the log axis: lambda = 0 is drawn one grid step left of the smallest lambda."""
        pos = [x for x in self.lams if x > 0]
        zero = pos[0] / (pos[1] / pos[0]) if len(pos) > 1 else pos[0] / 3
        return np.array([zero if x == 0 else x for x in lams]), zero

    def _axes(self, fig, spec=None):
        if spec is None:
            return [fig.add_axes((0.065, 0.13, 0.40, 0.74)), fig.add_axes((0.575, 0.13, 0.40, 0.74))]
        return _row_axes(fig, spec, (1, 1), wspace=0.25)

    def draw(self, data, axes, compact=False):
        st = data["settings"]
        ax, ax2 = axes
        x, zero = self._x(self.lams)
        c = "#2ca02c"
        ax.plot(x, data["err"], "o-", color=c, lw=2, ms=6, label=f"trained for T = {st['steps']} steps")
        ax.plot(data["fine"], data["limit"], "--", color=c, lw=1.5, label="closed-form limit $W_\\lambda$ ($T\\to\\infty$)")
        ax.axhline(data["oracle"], color="k", ls=":", lw=1.3, label="oracle $W^\\star$")
        ax.plot(x[data["best"]], data["err"][data["best"]], "*", color="#d62728", ms=15, zorder=5,
                label="best λ on the grid")
        ax.set_xscale("log")
        ticks = list(x)
        ax.set_xticks(ticks, ["0"] + [_fmt(v) for v in self.lams[1:]] if self.lams[0] == 0 else [_fmt(v) for v in self.lams])
        ax.minorticks_off()
        ax.set_ylim(0, max(1.1 * float(np.max(data["err"])), 1.3 * data["oracle"], 0.05))
        ax.set_xlabel("weight decay $\\lambda$ (log scale; 0 at the left)")
        ax.set_ylabel("relative test error (RMS)")
        ax.set_title(f"L = {st['depth']}, w = {self.width}, $\\eta$ = {data['eta']:.3g}, "
                     f"$\\sigma$ = {st['noise']:.2f}", fontsize=10)
        ax.grid(True, alpha=0.3)
        if not compact:
            ax.legend(fontsize=7.5, loc="upper right")
        P = self.problem
        for key, col, lab in (("bias", plots.COLORS["on_subspace"], "bias on $\\mathcal{S}$"),
                              ("on_noise", plots.COLORS["off_subspace_first"], "noise inside $A\\mathcal{S}$"),
                              ("off_noise", plots.COLORS["off_subspace"], "noise off $A\\mathcal{S}$")):
            y = np.array([data["dec"][lam][key] / P.s for lam in self.lams])
            ax2.plot(x, np.maximum(y, 1e-12), "o-", color=col, lw=1.8, ms=5, label=lab)
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xticks(ticks, ["0"] + [_fmt(v) for v in self.lams[1:]] if self.lams[0] == 0 else [_fmt(v) for v in self.lams])
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
        parts = [f"budget T = {st['steps']} steps, L = {st['depth']}, w = {self.width}, η = {data['eta']:.3g} "
                 f"(auto at λ = 0, the same for every λ), σ = {st['noise']:.2f}",
                 f"best λ on the grid: {_fmt(lam_b)} (test error {data['err'][b]:.3g}, ηλT = "
                 f"{data['eta'] * lam_b * st['steps']:.3g})"]
        if i0 is not None:
            parts.append(f"λ = 0: {data['err'][i0]:.3g}")
        parts.append(f"oracle {data['oracle']:.3g}, pseudo-inverse {data['pinv']:.3g}")
        return " | ".join(parts)


# ---- Chapter 4: the scalar problem and collapse ---------------------------------------------------------
class CollapseExplorer(Explorer):
    """The scalar problem ``f(w) = (1/2)(sigma w - 1)^2 + (lam L/2) w^{2/L}`` of one singular
    direction (Chapter 4): its landscape, its stationary points, and where ``mu = lam sigma^{-2/L}``
    sits against the local threshold ``c_L`` and the global threshold ``c*_L``."""

    CONTROLS = {
        "depth": Control("depth L", 5, kind="int", lo=1, hi=8),
        "lam": Control("weight decay λ", 0.25, options=(0.0, 0.01, 0.03, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35,
                                                       0.4, 0.5, 0.7, 1.0, 1.5)),
        "sigma": Control("singular value σ", 1.0, kind="float", lo=0.25, hi=2.0, step=0.05),
    }
    BUSY = "computing..."
    FIGSIZE = (10.5, 4.0)
    ROW_HEIGHT = 3.3
    worst = {"depth": 8, "lam": 1.5, "sigma": 0.25}

    def compute(self, *, depth, lam, sigma) -> dict:
        L = V.positive_int(depth, "depth")
        lam = V.nonneg_float(lam, "lam")
        sigma = V.nonneg_float(sigma, "sigma", positive=True)
        w = np.linspace(0.0, 1.6 / sigma, 800)
        f = theory.scalar_objective(w, sigma, lam, L)
        w_glob = float(theory.spectral_limit(sigma, lam, L, branch="global"))
        w_loc = float(theory.spectral_limit(sigma, lam, L, branch="nonzero"))
        # w_minus: the smaller nonzero stationary point, the edge of the basin of 0 (L >= 3)
        wm = float(collapse.stationary_points(sigma, lam, L)[0]) if L >= 3 and lam > 0 else float("nan")
        mu = lam * sigma ** (-2.0 / L)
        cL, cs = theory.collapse_threshold(L), theory.global_collapse_threshold(L)
        mu_max = max(1.3 * cL if np.isfinite(cL) else 3.0, 1.1 * mu, 0.05)
        mus = np.linspace(mu_max / 600, mu_max, 600)
        sig_eq = mus ** (-L / 2.0)          # lam = 1, sigma = mu^(-L/2) give lam sigma^(-2/L) = mu; u = sigma w
        u_plus = sig_eq * theory.spectral_limit(sig_eq, 1.0, L, branch="nonzero")
        u_glob = sig_eq * theory.spectral_limit(sig_eq, 1.0, L, branch="global")
        u_minus = sig_eq * collapse.stationary_points(sig_eq, 1.0, L)[0] if L >= 3 else np.full_like(mus, np.nan)
        return {"settings": dict(depth=L, lam=lam, sigma=sigma), "w": w, "f": f, "w_glob": w_glob,
                "w_loc": w_loc, "w_minus": wm, "mu": mu, "cL": cL, "cs": cs, "mus": mus, "u_plus": u_plus,
                "u_glob": u_glob, "u_minus": u_minus, "ok": True}

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
        ax.plot([0], [f0], "o", color="k", ms=7, mfc="k" if data["w_glob"] == 0 else "none",
                label="$w = 0$" + (" (global min.)" if data["w_glob"] == 0 else ""))
        if data["w_loc"] > 0:
            fl = float(theory.scalar_objective(data["w_loc"], sigma, lam, L))
            glob = data["w_glob"] > 0
            ax.plot([data["w_loc"]], [fl], "s", color=col, ms=9, mfc=col if glob else "none", mew=1.6,
                    label="$w_+$: nonzero local min." + (" (global)" if glob else " (not global)"))
        if np.isfinite(data["w_minus"]):
            fm = float(theory.scalar_objective(data["w_minus"], sigma, lam, L))
            ax.plot([data["w_minus"]], [fm], "v", color="0.3", ms=8, label="$w_-$: local max. (basin boundary)")
        ax.axvline(1.0 / sigma, color="k", ls=":", lw=1.2, label="oracle $1/\\sigma$")
        fmax = float(np.max(data["f"]))
        ax.set_ylim(-0.02 * fmax, 1.05 * fmax)
        ax.set_xlabel("singular value $w$ of the map in this direction")
        ax.set_ylabel("$f(w)=\\frac{1}{2}(\\sigma w-1)^2+\\frac{\\lambda L}{2}w^{2/L}$")
        ax.set_title(f"L = {L}, $\\lambda$ = {lam:.3g}, $\\sigma$ = {sigma:.2f}", fontsize=10)
        ax.grid(True, alpha=0.3)
        if not compact:
            ax.legend(fontsize=7.5, loc="upper right")
        ax2.plot(data["mus"], data["u_glob"], "-", color="0.6", lw=5, alpha=0.5, label="global minimizer")
        ax2.plot(data["mus"], data["u_plus"], "--", color=col, lw=1.8, label="$u_+ = \\sigma w_+$ (nonzero branch)")
        if L >= 3:
            ax2.plot(data["mus"], data["u_minus"], ":", color=col, lw=1.5, label="$u_- = \\sigma w_-$ (basin boundary)")
        if np.isfinite(data["cL"]):
            ax2.axvline(data["cL"], color="0.3", ls="--", lw=1, label=f"local threshold $c_L$ = {data['cL']:.4f}")
            if L >= 3:
                ax2.axvline(data["cs"], color="0.3", ls="-.", lw=1,
                            label=f"global threshold $c^\\star_L$ = {data['cs']:.4f}")
        ax2.axvline(data["mu"], color="#d62728", lw=2, alpha=0.8, label=f"this setting: $\\mu$ = {data['mu']:.3f}")
        ax2.plot([data["mu"]], [sigma * data["w_loc"]], "o", color="#d62728", ms=7)
        ax2.set_xlim(0, data["mus"][-1])
        ax2.set_ylim(-0.03, 1.05)
        ax2.set_xlabel("$\\mu = \\lambda\\sigma^{-2/L}$")
        ax2.set_ylabel("$u = \\sigma w$ (1 = the oracle)")
        ax2.set_title("stationary points against $\\mu$", fontsize=10)
        ax2.grid(True, alpha=0.3)
        if not compact:
            ax2.legend(fontsize=7, loc="lower left")

    def readout(self, data) -> str:
        st = data["settings"]
        L, lam, sigma, mu = st["depth"], st["lam"], st["sigma"], data["mu"]
        cL, cs = data["cL"], data["cs"]
        head = f"L = {L}, σ = {sigma:.2f}, λ = {lam:.3g}: μ = λσ^(-2/L) = {mu:.4f}"
        f0 = float(theory.scalar_objective(0.0, sigma, lam, L))
        if lam == 0:
            return head + " | no weight decay: the minimizer is the oracle value w = 1/σ = " f"{1 / sigma:.4g}"
        if L == 1:
            return head + f" | L = 1 (ridge): one minimizer w = σ/(σ²+λ) = {data['w_loc']:.4g} for every λ; no collapse"
        if L == 2:
            if data["w_loc"] > 0:
                return head + f" | L = 2: soft threshold, w = (σ−λ)/σ² = {data['w_loc']:.4g}; it reaches 0 at λ = σ"
            return head + " | L = 2: λ ≥ σ, the soft threshold has set this direction to 0"
        txt = f" | thresholds c*_{L} = {cs:.4f} (global), c_{L} = {cL:.4f} (local)"
        if data["w_loc"] == 0:
            return head + txt + " | μ > c_L: no nonzero stationary point is left; every run collapses to w = 0"
        fl = float(theory.scalar_objective(data["w_loc"], sigma, lam, L))
        if data["w_glob"] > 0:
            return head + txt + (f" | μ < c*_L: the nonzero minimizer w+ = {data['w_loc']:.4g} is global "
                                 f"(f = {fl:.4f} < f(0) = {f0:.4f}); gradient descent started above "
                                 f"w- = {data['w_minus']:.3g} converges to it")
        return head + txt + (f" | c*_L < μ ≤ c_L: w+ = {data['w_loc']:.4g} survives as a local minimizer but is "
                             f"not global (f = {fl:.4f} > f(0) = {f0:.4f}): metastable; gradient descent started "
                             f"above w- = {data['w_minus']:.3g} keeps it")


# ---- Chapter 2: one layer and its frozen component ------------------------------------------------------
class SingleLayerExplorer(Explorer):
    """Gradient descent on one linear layer (Chapter 2): measured with :func:`dlinv.train`, exact
    trajectory from :func:`dlinv.single_layer.trajectory_metrics`, the frozen component
    ``W(t) P_perp = (1 - eta lam)^t W(0) P_perp`` and the per-direction contraction factors
    ``1 - eta (mu_i + lam)``. The step size is a fraction of the stability limit
    ``2 / (lambda_max(Syy) + lam)`` (eq. ``eq-step-limit``)."""

    CONTROLS = {
        "lam": Control("weight decay λ", 0.02, options=(0.0, 1e-3, 3e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.3, 1.0)),
        "eta_frac": Control("η / η_max", 0.5, options=(0.05, 0.1, 0.2, 0.5, 0.9, 0.98, 1.02, 1.1)),
        "init": Control("initialization", "random", kind="toggle", options=("zero", "random")),
        "steps": Control("GD steps", 2000, options=(100, 300, 1000, 2000, 5000, 10000)),
    }
    BUSY = "computing..."
    FIGSIZE = (10.5, 4.2)
    ROW_HEIGHT = 3.4
    worst = {"steps": 10000, "eta_frac": 0.98}
    CAP = 1e8  # trajectories above this are not drawn (a diverging run)

    def __init__(self, problem: InverseProblem | None = None, data: TrainingData | None = None, W0=None, *,
                 seed: int = 3):
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
        data = {"settings": dict(lam=lam, eta_frac=eta_frac, init=init, steps=steps), "eta": eta,
                "eta_max": eta_max, "t": t, "exact": exact, "mu": mu, "factors": factors, "rho": rho,
                "frozen0": frozen0, "bias": single_layer.ridge_bias(P, D, lam), "ok": True, "error": None}
        try:
            res = _train(P, D, lam=lam, eta=eta, steps=steps, init=(W0,), record_every=max(1, steps // 200),
                         metrics=("on_subspace", "off_subspace"))
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
        for name, col, lab in (("on_subspace", plots.COLORS["on_subspace"], "on-subspace $\\|WAR-R\\|_F$"),
                               ("off_subspace", plots.COLORS["off_subspace"], "off-subspace $\\|WP^\\perp\\|_F$")):
            if res is not None:
                h = res.history
                ax.plot(h.step, np.maximum(h[name], floor), "-", color=col, lw=3, alpha=0.6, label=lab + " (measured)")
            y = np.where(np.isfinite(ex[name]) & (ex[name] < self.CAP), ex[name], np.nan)
            ax.plot(t, np.maximum(y, floor), "--", color=col, lw=1.3, label="exact trajectory" if name == "on_subspace" else None)
        if data["frozen0"] > 0:
            fz = data["frozen0"] * theory.frozen_factor(data["eta"], st["lam"], t)
            ax.plot(t, np.maximum(fz, floor), ":", color="k", lw=1.3, label="$(1-\\eta\\lambda)^t\\|W(0)P^\\perp\\|_F$")
        if st["lam"] > 0:
            ax.axhline(data["bias"], color="0.5", ls="-.", lw=1.2, label="ridge bias")
        ax.set_yscale("log")
        ax.set_ylim(1e-17, 1e4)
        ax.set_xlabel("gradient descent step $t$")
        ax.set_ylabel("Frobenius norm (log scale)")
        ax.set_title(f"$\\lambda$ = {st['lam']:.3g}, $\\eta$ = {st['eta_frac']:.3g}$\\,\\eta_{{\\max}}$ = "
                     f"{data['eta']:.3g}, {st['init']} init", fontsize=10)
        ax.grid(True, alpha=0.3)
        if not compact:
            ax.legend(fontsize=7, loc="lower left")
        mu, fac = data["mu"], np.abs(data["factors"])
        signal = mu > 0
        ax2.plot(mu[signal], fac[signal], "o", color=plots.COLORS["on_subspace"], ms=8,
                 label="directions of $A\\mathcal{S}$ ($\\mu_i = \\sigma_i^2$)")
        ax2.plot(mu[~signal], fac[~signal], "s", color=plots.COLORS["off_subspace"], ms=8, mfc="none", mew=1.6,
                 label=f"$(A\\mathcal{{S}})^\\perp$ ($\\mu = 0$, {int(np.sum(~signal))} directions)")
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
        head = (f"λ = {lam:.3g}, η = {st['eta_frac']:.3g} η_max = {eta:.4g} (η_max = 2/(λ_max(Syy)+λ) = "
                f"{data['eta_max']:.4g}), {st['init']} init, {st['steps']} steps")
        off_factor = abs(1 - eta * lam)
        slow = "the off-subspace factor 1 − ηλ" if np.isclose(rho, off_factor) else "a direction of AS"
        parts = [head, f"ρ = max_i |1 − η(μ_i + λ)| = {rho:.4f} (slowest: {slow})"]
        if data["error"] is not None:
            fac = float(np.max(np.abs(data["factors"])))
            return " | ".join(parts + [f"η is above the stability limit: the top direction is multiplied by "
                                       f"{fac:.3g} > 1 every step, so gradient descent diverges ({data['error']}). "
                                       f"Choose η/η_max < 1"])
        h = data["result"].history
        pred = data["frozen0"] * float(theory.frozen_factor(eta, lam, st["steps"]))
        parts.append(f"‖W(t)P⊥‖_F: {data['frozen0']:.3g} → {h['off_subspace'][-1]:.3g} "
                     f"(frozen-component law (1−ηλ)^t: {pred:.3g})")
        parts.append(f"on-subspace error {h['on_subspace'][-1]:.3g} (ridge bias {data['bias']:.3g})")
        return " | ".join(parts)

