"""The static explorers (dlinv.widgets.static): the grid rows are the live explorers' numbers, the
specification is valid Vega-Lite, the HTML block is self-contained, and each page says which kind
of explorer it is. The browser behaviour is checked by checks/test_static_explorers.py."""

import json
import re

import numpy as np
import pytest

from dlinv import theory, widgets

static = pytest.importorskip("dlinv.widgets.static")
pytest.importorskip("altair")
vl_convert = pytest.importorskip("vl_convert")

SMALL = {"width": (2, 16), "depth": (1, 3), "lam": (0.0, 0.03, 1.0)}


@pytest.fixture(scope="module")
def explorers():
    return {
        "training": static.static_training_explorer(grid=SMALL, steps=200),
        "tradeoff": static.static_tradeoff_explorer(
            grid={"steps": (100, 300), "noise": (0.0, 0.2), "depth": (1, 3)}
        ),
        "collapse": static.static_collapse_explorer(
            grid={"depth": (1, 3, 5), "lam": (0.0, 0.3, 1.5), "sigma": (0.5, 1.0)}
        ),
    }


def test_default_grids_span_the_regimes():
    g = static.TRAINING_GRID
    assert all(len(v) >= 5 for v in g.values())
    assert g["lam"][0] == 0.0 and 0.03 in g["lam"]
    # the largest weight decay is above every collapse threshold c_L sigma_i^(2/L) for L >= 3
    problem, _ = widgets.default_problem()
    for L in g["depth"]:
        if L >= 3:
            assert g["lam"][-1] > theory.collapse_threshold(L) * problem.singular_values.max() ** (
                2 / L
            )


@pytest.mark.parametrize("name", ["training", "tradeoff", "collapse"])
def test_one_row_per_setting_and_a_readout(explorers, name):
    ex = explorers[name]
    n = int(np.prod([len(c["values"]) for c in ex.controls]))
    assert len(ex.rows) == n == len(ex.readouts)
    assert {r["key"] for r in ex.rows} == set(ex.readouts)
    assert ex.cpu_seconds > 0 and ex.wall_seconds > 0


@pytest.mark.parametrize("name", ["training", "tradeoff", "collapse"])
def test_spec_compiles_to_vega(explorers, name):
    spec = json.loads(json.dumps(explorers[name].spec).replace("{uid}", "x"))
    vg = vl_convert.vegalite_to_vega(spec, vl_version=static.VL_VERSION)
    signals = {s["name"] for s in vg["signals"]}
    for c in explorers[name].controls:
        assert f"{c['name']}_i" in signals


def test_training_rows_are_the_live_explorers_numbers(explorers):
    ex = explorers["training"]
    live = widgets.TrainingExplorer()
    d = live.measure(width=16, depth=3, lam=0.03, steps=200).data
    row = ex.row([1, 1, 1])
    np.testing.assert_allclose(row["sv"], np.maximum(d["singular_values"], 1e-6), rtol=1e-3)
    np.testing.assert_allclose(
        row["limw"], np.maximum(np.sort(d["limit_w"])[::-1], 1e-6), rtol=1e-3
    )
    assert row["limit"] == pytest.approx(d["limit_bias"], rel=1e-3)
    np.testing.assert_allclose(row["p_tr"], d["sweep"].predicted["trained network"], rtol=1e-3)
    # Lemma A overlay: the law is the measured first-layer norm, exactly (to the 4 digits kept)
    law = dict(zip(row["law_t"], row["law"]))
    for t, v in zip(row["t"], row["off1"]):
        if t in law:
            assert v == pytest.approx(law[t], rel=1e-3)
    # at lambda = 1, depth 3 the closed-form limit has collapsed every direction
    assert max(ex.row([1, 1, 2])["limw"]) == 1e-6
    # depth 1: the first layer is the whole map (no separate curve), the width plays no role
    assert ex.row([0, 0, 1])["off1"] == [] and ex.row([0, 0, 1])["sv"] == ex.row([1, 0, 1])["sv"]


def test_collapse_rows_match_the_closed_forms(explorers):
    ex = explorers["collapse"]
    row = ex.row([1, 1, 1])  # L = 3, lam = 0.3, sigma = 1
    w_loc = float(theory.spectral_limit(1.0, 0.3, 3, branch="nonzero"))
    assert row["u"] == pytest.approx(w_loc, rel=1e-3)
    assert row["cL"] == pytest.approx(theory.collapse_threshold(3), rel=1e-3)
    assert (
        ex.readouts[row["key"]]
        == widgets.CollapseExplorer().measure(depth=3, lam=0.3, sigma=1.0).readout
    )


def test_tradeoff_rows_match_the_live_explorer(explorers):
    ex = explorers["tradeoff"]
    d = widgets.TradeoffExplorer().measure(steps=300, noise=0.2, depth=3).data
    row = ex.row([1, 1, 1])
    np.testing.assert_allclose(row["err"], d["err"], rtol=1e-3)
    np.testing.assert_allclose(row["limit"], d["limit"], rtol=1e-3)


def test_html_is_self_contained_and_says_what_it_is(explorers):
    ex = explorers["collapse"]
    page = ex.to_html(include_js=True, uid="c1")
    assert "window.vegaEmbed=" in page.replace(" ", "")
    assert not re.search(r"<script[^>]+src=", page), "no external script"
    assert "cdn" not in page.lower().split("<script>if (!window.vegaembed)")[0]
    assert static.STATIC_NOTE in page.replace("&#x27;", "'")
    assert page.count('type="range"') == 3 and page.count("aria-valuetext") >= 3
    assert 'aria-live="polite"' in page and "{uid}" not in page
    small = ex.to_html(include_js=False, uid="c2")
    assert "window.vegaEmbed=" not in small.replace(" ", "") and len(small) < len(page)


def test_show_without_the_packages(monkeypatch, capsys):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "vl_convert":
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    assert static.show("collapse") is None
    assert "vl-convert-python" in capsys.readouterr().out


def test_repr_html_includes_the_javascript_once(monkeypatch, explorers):
    monkeypatch.setattr(static, "_BUNDLE_SHOWN", False)
    first = explorers["collapse"]._repr_html_()
    second = explorers["tradeoff"]._repr_html_()
    assert "window.vegaEmbed=" in first.replace(" ", "")
    assert "window.vegaEmbed=" not in second.replace(" ", "")
