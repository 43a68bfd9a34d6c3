"""The machinery every live explorer shares: controls, frames, the :class:`Explorer` base class
(update, widget, static fallbacks), the single-thread BLAS context and the default problem."""

from __future__ import annotations

import contextlib
import html
import time
from dataclasses import dataclass, field
from typing import ClassVar

from ..problem import check_problem_data, make_training_data, random_problem
from ._figures import DPI, _fmt, _new_figure, _png

try:  # optional: limits BLAS threads during an update (see the module docstring)
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    _threadpool_limits = None

#: the explorer's default problem: d, m, s, N (whitened codes, so the closed forms hold exactly)
DEFAULT_DIMS = (60, 30, 3, 200)
#: upper bound on the estimated work (floating-point operations) of one training update

LIVE_NOTE = (
    "This page is static, so the sliders above do not respond here. The live version runs on "
    "Binder or Colab (rocket button at the top of the page) or locally (see the README); "
    "the figure below shows the same lesson for a few precomputed settings."
)
#: the first line of every live explorer: what kind of explorer this is (the static explorers of
#: ``dlinv.widgets.static`` say the same of themselves)
LIVE_KIND_NOTE = (
    "Live explorer (ipywidgets): it computes at every slider move, so it needs a running kernel "
    "(Binder, Colab or a local JupyterLab; rocket button at the top of the page). On the "
    "published page its sliders do not respond."
)


@contextlib.contextmanager
def blas_single_thread():
    """Run BLAS on one thread inside the block (no-op without threadpoolctl)."""
    if _threadpool_limits is None:
        yield
        return
    with _threadpool_limits(limits=1, user_api="blas"):
        yield


# ---- controls ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Control:
    """One knob: a slider (``options`` for a discrete selection slider, else ``lo``/``hi``/``step``),
    a dropdown or toggle buttons."""

    description: str
    default: object
    kind: str = "select"  # select | dropdown | toggle | int | float
    options: tuple = ()  # for select / dropdown / toggle: values (labels from _fmt)
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
            return W.SelectionSlider(
                options=labels,
                value=self.default,
                description=self.description,
                continuous_update=False,
                style=style,
                layout=layout,
            )
        if self.kind == "dropdown":
            return W.Dropdown(
                options=labels,
                value=self.default,
                description=self.description,
                style=style,
                layout=layout,
            )
        if self.kind == "toggle":
            return W.ToggleButtons(
                options=labels,
                value=self.default,
                description=self.description,
                style={**style, "button_width": "6em"},
            )
        if self.kind == "int":
            return W.IntSlider(
                value=self.default,
                min=int(self.lo),
                max=int(self.hi),
                step=int(self.step),
                description=self.description,
                continuous_update=False,
                style=style,
                layout=layout,
            )
        if self.kind == "float":
            return W.FloatSlider(
                value=self.default,
                min=self.lo,
                max=self.hi,
                step=self.step,
                description=self.description,
                continuous_update=False,
                style=style,
                layout=layout,
                readout_format=".2f",
            )
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

    CONTROLS: ClassVar[dict] = {}
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
            raise ValueError(
                f"unknown settings {sorted(unknown)}; this explorer has {list(self.CONTROLS)}"
            )
        return {**self.defaults, **overrides}

    def corners(self) -> list[dict]:
        """Settings that put every knob at both ends of its range: the defaults, all knobs at their
        low end, all at their high end, the two alternating mixtures (knob 1 low, knob 2 high, ...
        and the reverse), and ``worst`` (duplicates removed)."""
        names = list(self.CONTROLS)
        ends = [self.CONTROLS[n].extremes() for n in names]
        out = [self.defaults]
        for pick in (
            [0] * len(names),
            [1] * len(names),
            [i % 2 for i in range(len(names))],
            [1 - i % 2 for i in range(len(names))],
        ):
            out.append(self.settings(**{n: e[p] for n, e, p in zip(names, ends, pick)}))
        out.append(self.settings(**self.worst))
        unique = []
        for c in out:
            if c not in unique:
                unique.append(c)
        return unique

    #: the most expensive settings (overridden by subclasses)
    worst: ClassVar[dict] = {}

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
            return Frame(
                png=exc.png,
                readout=str(exc),
                ok=False,
                seconds=time.perf_counter() - t0,
                data=exc.data,
            )
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
            return Frame(
                png=None,
                readout=str(exc),
                ok=False,
                seconds=time.perf_counter() - t0,
                data=exc.data,
            )
        return Frame(
            png=None,
            readout=self.readout(data),
            ok=data.get("ok", True),
            seconds=time.perf_counter() - t0,
            data=data,
        )

    # -- the widget -------------------------------------------------------------------------------------
    def widget(self):
        """Sliders, a status line, the one-line readout and the figure, wired with
        ``ipywidgets.interactive_output`` (every slider has ``continuous_update=False``)."""
        import ipywidgets as W

        controls = {k: c.make() for k, c in self.CONTROLS.items()}
        status = W.HTML(value="")
        readout = W.HTML(value="", layout=W.Layout(width="100%"))
        image = W.Image(
            format="png", layout=W.Layout(width="100%", max_width=f"{int(self.FIGSIZE[0] * DPI)}px")
        )

        def on_change(**settings):
            status.value = f"<i>{html.escape(self.BUSY)}</i>"
            try:
                frame = self.update(**settings)
            except Exception as exc:  # noqa: BLE001 - an explorer never shows a traceback
                image.layout.display = "none"
                readout.value = (
                    "<b>Something went wrong</b> (please report it): "
                    f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}"
                )
                status.value = ""
                return
            if frame.png is None:
                image.layout.display = "none"
            else:
                image.value = frame.png
                image.layout.display = None
            prefix = "" if frame.ok else "<b>&#9888; Invalid combination.</b> "
            readout.value = (
                f"<span class='dlinv-readout'>{prefix}{html.escape(frame.readout)}</span>"
            )
            status.value = f"<span style='color:#444'>updated in {frame.seconds:.2f} s</span>"

        out = W.interactive_output(on_change, controls)
        boxes = list(controls.values())
        grid = W.GridBox(
            boxes,
            layout=W.Layout(
                grid_template_columns="repeat(auto-fill, minmax(20em, 1fr))", width="100%"
            ),
        )
        kind = W.HTML(
            value=f"<p class='dlinv-kind'><i>{html.escape(LIVE_KIND_NOTE)}</i></p>",
            layout=W.Layout(width="100%"),
        )
        box = W.VBox([kind, grid, status, readout, image, out])
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
        gs = fig.add_gridspec(
            n, 1, hspace=0.6, left=0.07, right=0.98, top=1 - 0.5 / height, bottom=0.55 / height
        )
        for i, overrides in enumerate(settings_list):
            s = self.settings(**overrides)
            label = (
                labels[i]
                if labels
                else ", ".join(
                    f"{k} = {_fmt(v) if not isinstance(v, str) else v}"
                    for k, v in overrides.items()
                )
            )
            axes = self._axes(fig, gs[i])
            try:
                with blas_single_thread():
                    data = self.compute(**s)
            except _Invalid as exc:
                for ax in axes:
                    ax.set_axis_off()
                axes[0].text(
                    0, 0.5, f"{label}: {exc}", wrap=True, fontsize=9, transform=axes[0].transAxes
                )
                continue
            self.draw(data, axes, compact=i > 0)
            axes[0].annotate(
                label,
                xy=(0, 1),
                xycoords="axes fraction",
                xytext=(0, 18),
                textcoords="offset points",
                fontsize=10,
                fontweight="bold",
                ha="left",
            )
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
        title = fig.text(
            0.005, 0.995, "", ha="left", va="top", fontsize=11, fontweight="bold", color="#a00"
        )
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

        anim = animation.FuncAnimation(
            fig, draw, frames=len(frames), interval=1000 / fps, blit=False
        )
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


def default_problem(dims=DEFAULT_DIMS, *, seed: int = 0):
    """The explorers' problem (d, m, s) and whitened training data with N samples."""
    d, m, s, n = dims
    problem = random_problem(d, m, s, seed=seed)
    return problem, make_training_data(problem, n, seed=seed + 1, whiten=True)


def _problem_or_default(problem, data):
    """``(problem, data)`` as given (checked), or the explorers' default problem if both are ``None``."""
    if (problem is None) != (data is None):
        raise ValueError(
            "pass both problem and data, or neither (then the default problem is used)"
        )
    if problem is None:
        return default_problem()
    check_problem_data(problem, data)
    return problem, data
