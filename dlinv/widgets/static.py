"""Static explorers: the live explorers precomputed on a grid of slider settings, drawn in the
browser alone (no kernel, no network) with Vega-Lite.

Each ``static_*_explorer`` function runs the live explorer's own ``compute`` (the same numbers and
theory overlays as :class:`~dlinv.widgets.TrainingExplorer` and friends) at every setting of a small
grid and returns a :class:`StaticExplorer`: a Vega-Lite specification (built with Altair) whose
slider parameters select one setting of the grid by filter transforms, plus the readout line of
every setting. Displayed in a notebook (``_repr_html_``), it becomes one self-contained HTML block:
HTML range inputs (with labels and ``aria-valuetext``), an ``aria-live`` readout, the chart, the
grid as JSON and, once per page, the Vega, Vega-Lite and vega-embed JavaScript that the
``vl-convert-python`` wheel ships (no CDN, no npm). A slider move only re-runs the filter: nothing
is computed in the browser.

Why Vega-Lite: a declarative grammar (the plot is data, so a test can read back exactly what is
drawn from the Vega view), bound parameters and filter transforms are part of the language (no
hand-written plotting JS), it is maintained by the University of Washington Interactive Data Lab
and used by Altair, Jupyter and Streamlit, and its JavaScript comes with a PyPI wheel.
"""

from __future__ import annotations

import html
import json
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import theory
from ._base import blas_single_thread, default_problem
from ._figures import _fmt
from .collapse import CollapseExplorer
from .tradeoff import TradeoffExplorer
from .training import TrainingExplorer

#: the Vega-Lite version of the specifications and of the inlined JavaScript
VL_VERSION = "6.4"
#: the grids of the static explorers (slider values)
TRAINING_GRID = {
    "width": (2, 4, 8, 16, 32),
    "depth": (1, 2, 3, 4, 5),
    "lam": (0.0, 1e-3, 1e-2, 3e-2, 0.1, 0.4, 1.0),
}
TRAINING_FIXED = {"eta": "auto", "noise": 0.1, "steps": 1000, "seed": 0}
TRADEOFF_GRID = {
    "steps": (100, 300, 1000, 3000),
    "noise": (0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
    "depth": (1, 2, 3, 4, 5),
}
COLLAPSE_GRID = {
    "depth": (1, 2, 3, 4, 5, 6, 7, 8),
    "lam": (0.0, 0.03, 0.1, 0.2, 0.25, 0.3, 0.4, 0.7, 1.5),
    "sigma": (0.25, 0.5, 1.0, 1.5, 2.0),
}
#: the sentence that tells a reader what kind of explorer this is
STATIC_NOTE = (
    "Static explorer: it responds in your browser from runs precomputed with dlinv when "
    "this page was built (no kernel needed). Every slider setting is one precomputed "
    "run; other settings need the live explorer."
)
FLOOR = 1e-16

_BUNDLE: str | None = None
_BUNDLE_SHOWN = False


def _r(x, digits: int = 4):
    """A float rounded to ``digits`` significant digits for the page (None for nan/inf)."""
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def _arr(a, digits: int = 4, floor: float | None = None) -> list:
    a = np.asarray(a, dtype=float)
    if floor is not None:
        a = np.maximum(a, floor)
    return [_r(x, digits) for x in a]


def _label(v) -> str:
    return v if isinstance(v, str) else _fmt(v)


@dataclass
class StaticExplorer:
    """A precomputed explorer: ``spec`` (Vega-Lite, the grid rows in ``spec["datasets"]["grid"]``),
    ``controls`` (name, label, values; each a slider over the value indices), ``readouts``
    (``"i,j,k"`` slider indices -> readout text), and the CPU and wall seconds of the precomputation."""

    name: str
    title: str
    controls: list
    defaults: list
    spec: dict
    readouts: dict
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    meta: dict = field(default_factory=dict)

    @property
    def rows(self) -> list:
        return self.spec["datasets"]["grid"]

    def key(self, indices) -> str:
        return ",".join(str(int(i)) for i in indices)

    def row(self, indices) -> dict:
        """The grid row shown at the given slider indices."""
        k = self.key(indices)
        for r in self.rows:
            if r["key"] == k:
                return r
        raise KeyError(k)

    def to_html(self, *, include_js: bool = True, uid: str | None = None) -> str:
        """The self-contained HTML block (with the Vega JavaScript if ``include_js``)."""
        return _render(self, include_js=include_js, uid=uid or f"dlinv-{self.name}")

    def __repr__(self) -> str:
        """The plain-text form (consoles, the PDF edition): a line, not the precomputed grid."""
        return (
            f"<static {self.title}: {len(self.rows)} precomputed settings; it responds on the "
            f"book's web page>"
        )

    def _repr_html_(self) -> str:
        global _BUNDLE_SHOWN
        import sys

        # Colab renders every output in its own frame: the JavaScript must come with every block
        include = not _BUNDLE_SHOWN or "google.colab" in sys.modules
        _BUNDLE_SHOWN = True
        return self.to_html(include_js=include)


def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script (from the ``vl-convert-python`` wheel)."""
    global _BUNDLE
    if _BUNDLE is None:
        import vl_convert

        _BUNDLE = vl_convert.javascript_bundle(vl_version=VL_VERSION)
    return _BUNDLE


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    with blas_single_thread():
        out = fn()
    out.wall_seconds, out.cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    return out


def _grid_indices(grid: dict):
    import itertools

    names = list(grid)
    for idx in itertools.product(*(range(len(grid[n])) for n in names)):
        yield idx, {n: grid[n][i] for n, i in zip(names, idx)}


def _controls(grid: dict, labels: dict) -> list:
    return [
        {"name": n, "label": labels[n], "values": [_label(v) for v in vals]}
        for n, vals in grid.items()
    ]


def _filter(names) -> str:
    return " && ".join(f"datum.{n}_i == toNumber({n}_i)" for n in names)


def _params(grid: dict, defaults: list) -> list:
    import altair as alt

    return [
        alt.param(name=f"{n}_i", value=int(d), bind=alt.BindDirect(element=f"#{{uid}}-{n}"))
        for n, d in zip(grid, defaults)
    ]


# ---- the training explorer ----------------------------------------------------------------------
def static_training_explorer(
    problem=None, data=None, *, grid=None, steps: int = 1000, records: int = 30
):
    """The training explorer on a grid of width x depth x weight decay (``TRAINING_GRID``), with
    the step size "auto", ``steps`` steps, seed 0 and the readout at test noise 0.1."""
    grid = dict(grid or TRAINING_GRID)

    def build():
        if problem is None:
            P, D = default_problem()
        else:
            P, D = problem, data
        ex = TrainingExplorer(P, D)
        ex.cache.records = records
        ex.metrics_for = lambda width, depth: (
            ("loss", "on_subspace", "off_subspace") if depth == 1 else TrainingExplorer.RECORD
        )
        rows, readouts = [], {}
        inv_sigma = np.sort(1.0 / P.singular_values)[::-1]
        done = {}
        for idx, s in _grid_indices(grid):
            run_key = (None if s["depth"] == 1 else s["width"], s["depth"], s["lam"])
            if run_key not in done:
                done[run_key] = ex.measure(**{**TRAINING_FIXED, "steps": steps}, **s)
            frame = done[run_key]
            d = frame.data
            res = d["result"]
            h = res.history
            off1 = h["off_subspace_first"] if "off_subspace_first" in h else None  # noqa: SIM401
            every = max(1, h.step.size // 10)
            law_t = h.step[::every]
            law = (
                off1[0] * theory.frozen_factor(res.eta, res.lam, law_t)
                if off1 is not None and res.lam > 0
                else None
            )
            sw = d["sweep"]
            row = {
                "key": ",".join(map(str, idx)),
                **{f"{n}_i": i for n, i in zip(grid, idx)},
                "t": h.step.tolist(),
                "on": _arr(h["on_subspace"], floor=FLOOR),
                "off": _arr(h["off_subspace"], floor=FLOOR),
                "off1": _arr(off1, floor=FLOOR) if off1 is not None else [],  # flatten needs arrays
                "loss": _arr(h["loss"], floor=FLOOR),
                "law_t": law_t.tolist() if law is not None else [],
                "law": _arr(law, floor=FLOOR) if law is not None else [],
                "limit": _r(max(d["limit_bias"], FLOOR)) if res.lam > 0 else None,
                "fit": d["fit_time"],
                "sv": _arr(d["singular_values"], floor=1e-6),
                "svi": list(range(1, d["singular_values"].size + 1)),
                "limw": _arr(np.sort(d["limit_w"])[::-1], floor=1e-6),
                "orw": _arr(inv_sigma),
                "oi": list(range(1, P.s + 1)),
                "noise": _arr(sw.noise),
                **{f"m_{k}": _arr(sw.measured[n]) for k, n in _SWEEP},
                **{f"p_{k}": _arr(sw.predicted[n]) for k, n in _SWEEP},
                "eta": _r(res.eta),
            }
            rows.append(row)
            readouts[row["key"]] = frame.readout
        defaults = [
            grid[n].index(v) if v in grid[n] else 0
            for n, v in (("width", 32), ("depth", 3), ("lam", 3e-2))
        ]
        spec = _training_spec(grid, defaults, rows, P)
        labels = {"width": "width w", "depth": "depth L", "lam": "weight decay λ"}
        return StaticExplorer(
            "training",
            "Training explorer",
            _controls(grid, labels),
            defaults,
            spec,
            readouts,
            meta={"runs": len(done), "steps": steps},
        )

    return _timed(build)


# log axes: labels and grid lines at a few powers of ten only (fewer marks: a faster redraw)
_LOG_AXIS = {"tickCount": 5, "format": "~e", "grid": True}
_SWEEP = (("tr", "trained network"), ("or", "oracle"), ("pi", "pseudo-inverse"))
_SWEEP_LABEL = {"tr": "trained network", "or": "oracle", "pi": "pseudo-inverse"}
_SWEEP_COLOR = {"tr": "#2ca02c", "or": "#000000", "pi": "#7f7f7f"}


def _training_spec(grid, defaults, rows, P) -> dict:
    import altair as alt

    flt = _filter(grid)
    base = alt.Chart(alt.Data(name="grid")).transform_filter(flt)
    series = {
        "on": "on-subspace error",
        "off": "off-subspace norm",
        "off1": "first layer W1 P⊥",
        "loss": "loss",
    }
    law_lab, lim_lab = "Lemma A law (1-ηλ)^t", "closed-form limit"
    dom = [*series.values(), law_lab, lim_lab]
    rng = ["#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#7a3b00", "#0b3d6b"]
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=dom, range=rng),
        legend=alt.Legend(title=None, orient="right", labelLimit=190, symbolLimit=6),
    )
    ylog = alt.Scale(type="log")
    curves = (
        base.transform_flatten(["t", "on", "off", "off1", "loss"])
        .transform_fold(list(series), as_=["code", "value"])
        .transform_filter("isValid(datum.value)")
        .transform_calculate(series=f"{json.dumps(series)}[datum.code]")
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("t:Q", title="gradient descent step t"),
            y=alt.Y("value:Q", scale=ylog, title="value (log scale)", axis=_LOG_AXIS),
            color=color,
            detail="code:N",
        )
        .properties(name="train_curves")
    )
    law = (
        base.transform_flatten(["law_t", "law"])
        .transform_filter("isValid(datum.law)")
        .transform_calculate(series=f"'{law_lab}'")
        .mark_point(shape="circle", filled=False, size=45, strokeWidth=1.5)
        .encode(x="law_t:Q", y=alt.Y("law:Q", scale=ylog), color=color)
        .properties(name="train_law")
    )
    lim = (
        base.transform_filter("isValid(datum.limit)")
        .transform_calculate(series=f"'{lim_lab}'")
        .mark_rule(strokeDash=[6, 3], strokeWidth=1.5)
        .encode(y=alt.Y("limit:Q", scale=ylog), color=color)
        .properties(name="train_limit")
    )
    fit = (
        base.transform_filter("isValid(datum.fit)")
        .mark_rule(color="#555", strokeDash=[2, 2])
        .encode(x="fit:Q")
        .properties(name="train_fit")
    )
    top = alt.layer(curves, law, lim, fit).properties(
        width=420, height=210, title="training curves (dotted: end of phase 1)"
    )

    ylog_sv = alt.Scale(type="log", domain=[5e-7, 30])
    sv_lab = {"sv": "trained W_L:1", "orw": "oracle 1/σ_i", "limw": "closed-form limit w_i"}
    sv_col = alt.Color(
        "what:N",
        scale=alt.Scale(domain=list(sv_lab.values()), range=["#1f77b4", "#000000", "#1f77b4"]),
        legend=alt.Legend(title=None, orient="top-right", labelLimit=160),
    )
    sv_shape = alt.Shape(
        "what:N",
        scale=alt.Scale(domain=list(sv_lab.values()), range=["circle", "stroke", "square"]),
        legend=None,
    )
    sv = (
        base.transform_flatten(["sv", "svi"])
        .transform_calculate(what=f"'{sv_lab['sv']}'")
        .mark_point(filled=True, size=30)
        .encode(
            x=alt.X(
                "svi:Q",
                title="index i (first s: signal directions)",
                scale=alt.Scale(domain=[0, P.m + 1]),
            ),
            y=alt.Y("sv:Q", scale=ylog_sv, title="singular value of the map", axis=_LOG_AXIS),
            color=sv_col,
            shape=sv_shape,
        )
        .properties(name="train_sv")
    )
    orc = (
        base.transform_flatten(["orw", "oi"])
        .transform_calculate(what=f"'{sv_lab['orw']}'")
        .mark_point(size=220, strokeWidth=2.5)
        .encode(x="oi:Q", y=alt.Y("orw:Q", scale=ylog_sv), color=sv_col, shape=sv_shape)
        .properties(name="train_oracle")
    )
    limw = (
        base.transform_flatten(["limw", "oi"])
        .transform_calculate(what=f"'{sv_lab['limw']}'")
        .mark_point(size=110, filled=False, strokeWidth=1.5)
        .encode(x="oi:Q", y=alt.Y("limw:Q", scale=ylog_sv), color=sv_col, shape=sv_shape)
        .properties(name="train_limw")
    )
    svp = alt.layer(sv, orc, limw).properties(
        width=250, height=200, title="singular values of the end-to-end map"
    )

    ns_col = alt.Color(
        "map:N",
        scale=alt.Scale(domain=list(_SWEEP_LABEL.values()), range=list(_SWEEP_COLOR.values())),
        legend=alt.Legend(
            title="dots: measured, lines: predicted",
            orient="top-left",
            titleFontWeight="normal",
            titleLimit=220,
        ),
    )
    lab = json.dumps(_SWEEP_LABEL)
    meas = (
        base.transform_flatten(["noise", "m_tr", "m_or", "m_pi"])
        .transform_fold(["m_tr", "m_or", "m_pi"], as_=["code", "err"])
        .transform_calculate(map=f"{lab}[slice(datum.code, 2)]")
        .mark_point(filled=True, size=30)
        .encode(
            x=alt.X("noise:Q", title="noise level σ"),
            y=alt.Y("err:Q", title="relative test error"),
            color=ns_col,
        )
        .properties(name="train_noise_measured")
    )
    pred = (
        base.transform_flatten(["noise", "p_tr", "p_or", "p_pi"])
        .transform_fold(["p_tr", "p_or", "p_pi"], as_=["code", "err"])
        .transform_calculate(map=f"{lab}[slice(datum.code, 2)]")
        .mark_line(strokeWidth=1.5)
        .encode(x="noise:Q", y="err:Q", color=ns_col, detail="code:N")
        .properties(name="train_noise_predicted")
    )
    nsp = alt.layer(meas, pred).properties(width=250, height=200, title="test error under noise")

    chart = (
        alt.vconcat(
            top, alt.hconcat(svp, nsp).resolve_scale(color="independent", shape="independent")
        )
        .resolve_scale(color="independent", shape="independent")
        .add_params(*_params(grid, defaults))
    )
    return _finish(
        chart,
        {"grid": rows},
        "Training explorer: training curves with the closed-form limit and the "
        "Lemma A law, singular values of the trained map against the oracle and the "
        "closed-form limit, and test error against noise.",
    )


def _finish(chart, datasets: dict, description: str) -> dict:
    spec = chart.properties(description=description).to_dict()
    spec["datasets"] = datasets
    spec["background"] = "white"  # readable in the theme's dark mode too (dark text on white)
    spec["config"] = {
        "view": {"stroke": "#ccc"},
        "font": "sans-serif",
        "axis": {
            "labelFontSize": 11,
            "titleFontSize": 12,
            "labelColor": "#222",
            "titleColor": "#222",
        },
        "legend": {"labelFontSize": 11, "titleFontSize": 11, "labelColor": "#222"},
        "title": {"fontSize": 13, "color": "#222"},
    }
    return spec


# ---- the trade-off explorer ----------------------------------------------------------------------
def static_tradeoff_explorer(problem=None, data=None, *, grid=None, width: int = 32):
    """The weight-decay trade-off explorer on a grid of budget x test noise x depth
    (``TRADEOFF_GRID``), seed 0, width ``width``, the weight decays of ``TRADEOFF_LAMS``."""
    grid = dict(grid or TRADEOFF_GRID)

    def build():
        ex = TradeoffExplorer(problem, data, width=width)
        x, _ = ex._x(ex.lams)
        rows, readouts = [], {}
        for idx, s in _grid_indices(grid):
            frame = ex.measure(**s, seed=0)
            d = frame.data
            P = ex.problem
            row = {
                "key": ",".join(map(str, idx)),
                **{f"{n}_i": i for n, i in zip(grid, idx)},
                "x": _arr(x),
                "err": _arr(d["err"]),
                "fine": _arr(d["fine"]),
                "limit": _arr(d["limit"]),
                "best_x": _r(x[d["best"]]),
                "best_err": _r(d["err"][d["best"]]),
                "oracle": _r(d["oracle"]),
                **{
                    k: _arr(np.maximum([d["dec"][lam][k] / P.s for lam in ex.lams], 1e-12))
                    for k in ("bias", "on_noise", "off_noise")
                },
            }
            rows.append(row)
            readouts[row["key"]] = frame.readout
        defaults = [
            grid["steps"].index(1000) if 1000 in grid["steps"] else 0,
            grid["noise"].index(0.1) if 0.1 in grid["noise"] else 0,
            grid["depth"].index(3) if 3 in grid["depth"] else 0,
        ]
        spec = _tradeoff_spec(grid, defaults, rows, ex)
        labels = {"steps": "budget T (steps)", "noise": "test noise σ", "depth": "depth L"}
        return StaticExplorer(
            "tradeoff",
            "Trade-off explorer",
            _controls(grid, labels),
            defaults,
            spec,
            readouts,
            meta={"lams": list(ex.lams), "width": width},
        )

    return _timed(build)


def _tradeoff_spec(grid, defaults, rows, ex) -> dict:
    import altair as alt

    base = alt.Chart(alt.Data(name="grid")).transform_filter(_filter(grid))
    x, zero = ex._x(ex.lams)
    xs = alt.Scale(type="log", domain=[float(zero) / 1.5, float(max(x)) * 1.5])
    ax = alt.Axis(
        values=[float(v) for v in x],
        labelExpr=f"datum.value < {float(zero) * 1.01} ? '0' : format(datum.value, '~g')",
    )
    xt = "weight decay λ (log scale; 0 at the left)"
    lab = {
        "err": "trained for T steps",
        "limit": "closed-form limit W_λ (T → ∞)",
        "oracle": "oracle W*",
        "best": "best λ on the grid",
    }
    col = alt.Color(
        "what:N",
        scale=alt.Scale(
            domain=list(lab.values()), range=["#2ca02c", "#555555", "#000000", "#d62728"]
        ),
        legend=alt.Legend(title=None, orient="top-right", labelLimit=200),
    )
    err = (
        base.transform_flatten(["x", "err"])
        .transform_calculate(what=f"'{lab['err']}'")
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("x:Q", scale=xs, axis=ax, title=xt),
            y=alt.Y("err:Q", title="relative test error (RMS)"),
            color=col,
        )
        .properties(name="tradeoff_err")
    )
    lim = (
        base.transform_flatten(["fine", "limit"])
        .transform_calculate(what=f"'{lab['limit']}'")
        .mark_line(strokeWidth=1.5, strokeDash=[5, 3])
        .encode(x=alt.X("fine:Q", scale=xs), y="limit:Q", color=col)
        .properties(name="tradeoff_limit")
    )
    orc = (
        base.transform_calculate(what=f"'{lab['oracle']}'")
        .mark_rule(strokeDash=[2, 2])
        .encode(y="oracle:Q", color=col)
        .properties(name="tradeoff_oracle")
    )
    best = (
        base.transform_calculate(what=f"'{lab['best']}'")
        .mark_point(shape="diamond", filled=True, size=160)
        .encode(x=alt.X("best_x:Q", scale=xs), y="best_err:Q", color=col)
        .properties(name="tradeoff_best")
    )
    left = alt.layer(err, lim, orc, best).properties(
        width=270, height=230, title="test error against weight decay"
    )
    dl = {"bias": "bias on S", "on_noise": "noise inside AS", "off_noise": "noise off AS"}
    dcol = alt.Color(
        "term:N",
        scale=alt.Scale(domain=list(dl.values()), range=["#1f77b4", "#ff7f0e", "#d62728"]),
        legend=alt.Legend(title=None, orient="bottom-left"),
    )
    dec = (
        base.transform_flatten(["x", "bias", "on_noise", "off_noise"])
        .transform_fold(list(dl), as_=["code", "value"])
        .transform_calculate(term=f"{json.dumps(dl)}[datum.code]")
        .mark_line(point=True, strokeWidth=1.8)
        .encode(
            x=alt.X("x:Q", scale=xs, axis=ax, title=xt),
            y=alt.Y(
                "value:Q",
                scale=alt.Scale(type="log", domain=[1e-8, 10]),
                title="term of the squared error / s",
                axis=_LOG_AXIS,
            ),
            color=dcol,
        )
        .properties(name="tradeoff_terms")
    )
    right = dec.properties(width=270, height=230, title="error decomposition of the trained maps")
    chart = (
        alt.hconcat(left, right)
        .resolve_scale(color="independent")
        .add_params(*_params(grid, defaults))
    )
    return _finish(
        chart,
        {"grid": rows},
        "Trade-off explorer: test error against the weight decay after a budget of "
        "T steps with the closed-form limit and the oracle, and the three terms of the "
        "error decomposition.",
    )


# ---- the collapse explorer -----------------------------------------------------------------------
def static_collapse_explorer(*, grid=None, points: int = 61):
    """The collapse explorer (Chapter 4) on a grid of depth x weight decay x singular value
    (``COLLAPSE_GRID``): the scalar objective with its stationary points, and the stationary
    points against ``tau = lam sigma^(-2/L)`` with the thresholds ``c_L`` and ``c*_L``."""
    grid = dict(grid or COLLAPSE_GRID)

    def build():
        from .. import collapse as _collapse

        ex = CollapseExplorer()
        rows, readouts, branches = [], {}, []
        mu_top = {}
        sig = np.asarray(grid["sigma"], dtype=float)
        cache = {}
        for L in grid[
            "depth"
        ]:  # the stationary points, vectorized over sigma (the same functions as compute)
            for lam in grid["lam"]:
                wm = (
                    _collapse.stationary_points(sig, lam, L)[0]
                    if L >= 3 and lam > 0
                    else np.full(sig.shape, np.nan)
                )
                cache[L, lam] = (
                    theory.spectral_limit(sig, lam, L, branch="global"),
                    theory.spectral_limit(sig, lam, L, branch="nonzero"),
                    np.asarray(wm, dtype=float),
                )
        for idx, s in _grid_indices(grid):
            L, lam, sigma = s["depth"], s["lam"], s["sigma"]
            k = grid["sigma"].index(sigma)
            w_glob, w_loc, w_minus = (float(np.atleast_1d(a)[k]) for a in cache[L, lam])
            mu = lam * sigma ** (-2.0 / L)
            cL, cs = theory.collapse_threshold(L), theory.global_collapse_threshold(L)
            mu_max = max(
                1.3 * cL if np.isfinite(cL) else 3.0, 1.1 * mu, 0.05
            )  # as in CollapseExplorer
            d = {
                "settings": {"depth": L, "lam": lam, "sigma": sigma},
                "w_glob": w_glob,
                "w_loc": w_loc,
                "w_minus": w_minus,
                "mu": mu,
                "cL": cL,
                "cs": cs,
            }
            f0 = float(theory.scalar_objective(0.0, sigma, lam, L))
            w = np.linspace(0.0, 1.6 / sigma, points)
            f = theory.scalar_objective(w, sigma, lam, L)
            pw, pf, pk = [0.0], [f0], ["w = 0 (global min.)" if w_glob == 0 else "w = 0"]
            if w_loc > 0:
                pw.append(w_loc)
                pf.append(float(theory.scalar_objective(w_loc, sigma, lam, L)))
                pk.append("w+ (global min.)" if w_glob > 0 else "w+ (local min., not global)")
            if np.isfinite(w_minus):
                pw.append(w_minus)
                pf.append(float(theory.scalar_objective(w_minus, sigma, lam, L)))
                pk.append("w- (local max., basin edge)")
            mu_top[L] = max(mu_top.get(L, 0.0), mu_max)
            row = {
                "key": ",".join(map(str, idx)),
                **{f"{n}_i": i for n, i in zip(grid, idx)},
                "L": L,
                "w": _arr(w, 3),
                "f": _arr(f, 3),
                "pw": _arr(pw),
                "pf": _arr(pf),
                "pk": pk,
                "oracle": _r(1.0 / sigma),
                "mu": _r(mu),
                "u": _r(sigma * w_loc),
                "mumax": _r(mu_max),
                "cL": _r(cL),
                "cs": _r(cs) if L >= 3 else None,
            }
            rows.append(row)
            readouts[row["key"]] = ex.readout(d)
        for L in grid["depth"]:  # the branches against mu depend on the depth only
            mus = np.linspace(mu_top[L] / 600, mu_top[L], 600)
            sig_eq = mus ** (-L / 2.0)
            u_plus = sig_eq * theory.spectral_limit(sig_eq, 1.0, L, branch="nonzero")
            u_glob = sig_eq * theory.spectral_limit(sig_eq, 1.0, L, branch="global")
            u_minus = sig_eq * _collapse.stationary_points(sig_eq, 1.0, L)[0] if L >= 3 else None
            branches.append(
                {
                    "L": L,
                    "mus": _arr(mus),
                    "u_glob": _arr(u_glob),
                    "u_plus": _arr(u_plus),
                    "u_minus": _arr(u_minus) if u_minus is not None else [],
                }
            )
        defaults = [
            grid["depth"].index(5) if 5 in grid["depth"] else 0,
            grid["lam"].index(0.25) if 0.25 in grid["lam"] else 0,
            grid["sigma"].index(1.0) if 1.0 in grid["sigma"] else 0,
        ]
        spec = _collapse_spec(grid, defaults, rows, branches)
        labels = {"depth": "depth L", "lam": "weight decay λ", "sigma": "singular value σ"}
        return StaticExplorer(
            "collapse",
            "Collapse explorer",
            _controls(grid, labels),
            defaults,
            spec,
            readouts,
            meta={"points": points},
        )

    return _timed(build)


def _collapse_spec(grid, defaults, rows, branches) -> dict:
    import altair as alt

    base = alt.Chart(alt.Data(name="grid")).transform_filter(_filter(grid))
    fcol = "#9467bd"
    kinds = [
        "f(w)",
        "w = 0 (global min.)",
        "w = 0",
        "w+ (global min.)",
        "w+ (local min., not global)",
        "w- (local max., basin edge)",
    ]
    col = alt.Color(
        "kind:N",
        scale=alt.Scale(domain=kinds, range=[fcol, "#000", "#000", fcol, fcol, "#444"]),
        legend=alt.Legend(
            title="dotted: oracle 1/σ", orient="top-right", labelLimit=190, titleFontWeight="normal"
        ),
    )
    shape = alt.Shape(
        "kind:N",
        scale=alt.Scale(
            domain=kinds, range=["stroke", "circle", "circle", "square", "square", "triangle-down"]
        ),
        legend=None,
    )
    curve = (
        base.transform_flatten(["w", "f"])
        .transform_calculate(kind="'f(w)'")
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("w:Q", title="singular value w of the map in this direction"),
            y=alt.Y("f:Q", title="f(w) = (σw-1)²/2 + (λL/2) w^(2/L)"),
            color=col,
        )
        .properties(name="collapse_f")
    )
    pts = (
        base.transform_flatten(["pw", "pf", "pk"])
        .transform_calculate(kind="datum.pk")
        .mark_point(size=90, strokeWidth=1.8)
        .encode(
            x="pw:Q",
            y="pf:Q",
            color=col,
            shape=shape,
            fill=alt.condition(
                "indexof(datum.pk, 'global') >= 0", alt.value(fcol), alt.value("white")
            ),
        )
        .properties(name="collapse_points")
    )
    orc = (
        base.mark_rule(strokeDash=[2, 2], color="#000")
        .encode(x="oracle:Q")
        .properties(name="collapse_oracle")
    )
    left = alt.layer(curve, pts, orc).properties(
        width=270, height=230, title="the scalar objective"
    )

    dpar = alt.param(name="depth_now", expr=f"{json.dumps(list(grid['depth']))}[toNumber(depth_i)]")
    bl = {
        "u_glob": "global minimizer",
        "u_plus": "u+ = σw+ (nonzero branch)",
        "u_minus": "u- = σw- (basin boundary)",
    }
    bcol = alt.Color(
        "branch:N",
        scale=alt.Scale(domain=list(bl.values()), range=["#bbb", fcol, "#c5a3e0"]),
        legend=alt.Legend(
            title="dashed: c_L, dash-dot: c*_L",
            orient="bottom-left",
            labelLimit=190,
            titleFontWeight="normal",
        ),
    )
    mu_scale = alt.Scale(domain={"expr": "[0, mumax_now]"}, nice=False)
    br = (
        alt.Chart(alt.Data(name="branches"))
        .transform_filter("datum.L == depth_now")
        .transform_flatten(["mus", "u_glob", "u_plus", "u_minus"])
        .transform_fold(list(bl), as_=["code", "u"])
        .transform_filter("isValid(datum.u) && datum.mus <= mumax_now")
        .transform_calculate(branch=f"{json.dumps(bl)}[datum.code]")
        .mark_line(strokeWidth=2, clip=True)
        .encode(
            x=alt.X("mus:Q", scale=mu_scale, title="τ = λσ^(-2/L)"),
            y=alt.Y("u:Q", scale=alt.Scale(domain=[-0.03, 1.05]), title="u = σw (1 = the oracle)"),
            color=bcol,
            detail="code:N",
        )
        .properties(name="collapse_branches")
    )
    cl = (
        base.transform_filter("isValid(datum.cL)")
        .mark_rule(strokeDash=[6, 3], color="#444")
        .encode(x="cL:Q")
        .properties(name="collapse_cL")
    )
    cs = (
        base.transform_filter("isValid(datum.cs)")
        .mark_rule(strokeDash=[6, 2, 1, 2], color="#444")
        .encode(x="cs:Q")
        .properties(name="collapse_cs")
    )
    now = (
        base.mark_rule(color="#d62728", strokeWidth=2)
        .encode(x="mu:Q")
        .properties(name="collapse_mu")
    )
    dot = (
        base.mark_point(filled=True, color="#d62728", size=70)
        .encode(x="mu:Q", y="u:Q")
        .properties(name="collapse_mu_point")
    )
    right = alt.layer(br, cl, cs, now, dot).properties(
        width=270, height=230, title="stationary points against τ (red: this setting)"
    )
    mumax = alt.param(name="mumax_now", expr="0")  # replaced below (needs the grid rows)
    chart = (
        alt.hconcat(left, right)
        .resolve_scale(color="independent", shape="independent")
        .add_params(*_params(grid, defaults), dpar, mumax)
    )
    spec = _finish(
        chart,
        {"grid": rows, "branches": branches},
        "Collapse explorer: the scalar objective of one singular direction with its "
        "stationary points, and the stationary points against τ with the local and "
        "global collapse thresholds.",
    )
    # the axis of the right panel ends at the live explorer's mu_max of the setting shown
    table = {r["key"]: r["mumax"] for r in rows}
    key = "+ ',' + ".join(f"toNumber({n}_i)" for n in grid)
    for p in spec["params"]:
        if p["name"] == "mumax_now":
            p["expr"] = f"{json.dumps(table)}[{key}]"
    return spec


# ---- the HTML ------------------------------------------------------------------------------------
_GLUE = r"""
(function () {
  var uid = %(uid)s, root = document.getElementById(uid);
  var cfg = JSON.parse(document.getElementById(uid + "-cfg").textContent);
  var spec = JSON.parse(document.getElementById(uid + "-spec").textContent);
  var out = root.querySelector(".dlinv-readout");
  function el(n) { return document.getElementById(uid + "-" + n); }
  function sync() {
    var key = cfg.controls.map(function (c) { return el(c.name).value; }).join(",");
    cfg.controls.forEach(function (c) {
      var v = c.values[+el(c.name).value];
      el(c.name).setAttribute("aria-valuetext", v);
      el(c.name + "-value").textContent = v;
    });
    out.textContent = cfg.readouts[key] || "";
  }
  cfg.controls.forEach(function (c) { el(c.name).addEventListener("input", sync); });
  sync();
  function draw() {
    if (!window.vegaEmbed) { return setTimeout(draw, 25); }
    window.vegaEmbed("#" + uid + "-vis", spec, {renderer: "canvas", actions: false})
      .then(function (r) {
        window.dlinvStatic = window.dlinvStatic || {};
        window.dlinvStatic[uid] = r.view;
        root.setAttribute("data-ready", "1");
      })
      .catch(function (e) { out.textContent = "The chart could not be drawn: " + e; });
  }
  draw();
})();
"""

_CSS = """
.dlinv-static-explorer{border:1px solid #ccc;border-radius:4px;padding:.6em .8em;margin:1em 0;max-width:100%;
 background:#fff;color:#222}
.dlinv-static-explorer .dlinv-kind{font-size:.9em;margin:0 0 .5em 0;color:#222}
.dlinv-static-explorer .dlinv-controls{display:grid;grid-template-columns:repeat(auto-fill,minmax(14em,1fr));
 gap:.3em 1.2em;margin-bottom:.4em}
.dlinv-static-explorer .dlinv-controls label{display:block;font-size:.95em}
.dlinv-static-explorer input[type=range]{width:100%}
.dlinv-static-explorer .dlinv-readout{font-size:.85em;color:#222;min-height:3.5em;overflow-wrap:anywhere}
.dlinv-static-explorer .dlinv-vis{overflow:hidden}
"""


def _json_script(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


def _render(ex: StaticExplorer, *, include_js: bool, uid: str) -> str:
    spec = json.loads(json.dumps(ex.spec).replace("{uid}", uid))
    cfg = {"controls": ex.controls, "readouts": ex.readouts}
    controls = []
    for c, d in zip(ex.controls, ex.defaults):
        n = c["name"]
        controls.append(
            f'<label for="{uid}-{n}">{html.escape(c["label"])} = '
            f'<output id="{uid}-{n}-value" for="{uid}-{n}">{html.escape(c["values"][d])}</output>'
            f'<input type="range" id="{uid}-{n}" name="{n}" min="0" max="{len(c["values"]) - 1}" step="1" '
            f'value="{d}" aria-valuetext="{html.escape(c["values"][d])}"></label>'
        )
    parts = [f"<style>{_CSS}</style>"]
    if include_js:
        parts.append(
            f"<script>if (!window.vegaEmbed) {{ (function () {{\n{javascript_bundle()}\n}})(); }}</script>"
        )
    parts.append(
        f'<div class="dlinv-static-explorer" id="{uid}" data-explorer="{ex.name}">'
        f'<p class="dlinv-kind"><strong>{html.escape(ex.title)} (static).</strong> {html.escape(STATIC_NOTE)}</p>'
        f'<div class="dlinv-controls">{"".join(controls)}</div>'
        f'<p class="dlinv-readout" aria-live="polite"></p>'
        f'<div class="dlinv-vis" id="{uid}-vis" role="img" '
        f'aria-label="{html.escape(ex.spec.get("description", ex.title))}"></div>'
        f'<script type="application/json" id="{uid}-cfg">{_json_script(cfg)}</script>'
        f'<script type="application/json" id="{uid}-spec">{_json_script(spec)}</script>'
        f"<script>{_GLUE % {'uid': json.dumps(uid)}}</script></div>"
    )
    return "\n".join(parts)


MISSING = (
    "The static explorer needs the packages altair and vl-convert-python "
    "(pip install altair vl-convert-python); the live explorer below works without them."
)


def show(kind: str, *args, **kwargs):
    """Precompute and display one static explorer (``kind``: "training", "tradeoff" or
    "collapse"); returns it. Without altair or vl-convert-python (e.g. a bare Colab kernel) it
    prints what to install and returns None instead of failing the notebook."""
    from IPython.display import display

    make = {
        "training": static_training_explorer,
        "tradeoff": static_tradeoff_explorer,
        "collapse": static_collapse_explorer,
    }[kind]
    try:
        import altair  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError:
        print(MISSING)
        return None
    ex = make(*args, **kwargs)
    display(ex)
    return ex


def show_static_collapse():
    """The static collapse explorer of Chapter 4, precomputed and displayed (about 1 s); returns it."""
    return show("collapse")
