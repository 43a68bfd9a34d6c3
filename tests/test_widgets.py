"""The explorers of dlinv.widgets: every update runs at the defaults and at both ends of every
knob (and at the most expensive corner), invalid settings explain themselves, the run cache
warm-starts exactly, and the widgets and static fallbacks build.

To stay fast, the training explorer runs here with a 10x smaller work budget than in the book
(the widest corners take a fraction of a second; the cap itself is what they exercise), the
trade-off explorer with 3 weight decays instead of 7, and the checks of numbers call ``compute``
and ``readout`` without drawing. The real latency is measured by ``python -m dlinv.bench_widgets``.
"""

import numpy as np
import pytest

import dlinv
from dlinv import widgets

PNG = b"\x89PNG\r\n\x1a\n"


def numbers(ex, **settings):
    """What ``update`` computes and reads out, without drawing: (data, readout)."""
    frame = ex.measure(**settings)
    return frame.data, frame.readout


@pytest.fixture(scope="module")
def explorers():
    return {
        "training": widgets.TrainingExplorer(work_budget=widgets.WORK_BUDGET / 10),
        "tradeoff": widgets.TradeoffExplorer(lams=(0.0, 1e-2, 0.3)),
        "collapse": widgets.CollapseExplorer(),
        "single-layer": widgets.SingleLayerExplorer(),
    }


NAMES = ["training", "tradeoff", "collapse", "single-layer"]
CORNERS = [(name, i) for name in NAMES for i in range(6)]


def test_corners_cover_both_ends_of_every_knob(explorers):
    for name in NAMES:
        ex = explorers[name]
        corners = ex.corners()
        assert corners[0] == ex.defaults and len(corners) == 6
        for knob, control in ex.CONTROLS.items():
            for end in control.extremes():
                assert any(c[knob] == end for c in corners), (name, knob, end)


@pytest.mark.parametrize("name,i", CORNERS, ids=[f"{n}-{i}" for n, i in CORNERS])
def test_update_at_corners(explorers, name, i):
    ex = explorers[name]
    settings = ex.corners()[i]
    frame = ex.update(**settings)
    assert frame.readout
    if frame.ok:
        assert frame.png is not None and frame.png.startswith(PNG)
        assert "nan" not in frame.readout.lower() and " inf" not in frame.readout
    else:  # the only invalid corners: a step size above the stability limit of one layer
        assert name == "single-layer" and settings["eta_frac"] > 1, (settings, frame.readout)
        assert "stability limit" in frame.readout


def test_training_readout_numbers(explorers):
    d, text = numbers(explorers["training"])
    res = d["result"]
    # the readout reports what was measured and predicted, rounded
    assert f"{res.history['on_subspace'][-1]:.3g}" in text
    assert f"{d['limit_bias']:.3g}" in text
    assert "auto" in text and f"{res.eta:.3g}" in text
    # Lemma A holds exactly along the run, as the plot claims
    h = res.history
    pred = h["off_subspace_first"][0] * dlinv.theory.frozen_factor(res.eta, res.lam, h.step)
    np.testing.assert_allclose(h["off_subspace_first"], pred, rtol=1e-9)


def test_training_invalid_step_size(explorers):
    ex = explorers["training"]
    f = ex.update(width=512, depth=8, eta=0.3, steps=100)
    assert not f.ok and f.png is None
    assert "diverged" in f.readout and "smaller η" in f.readout
    # remembered: the same request is answered from the cache, with the same explanation
    before = ex.cache.trained_steps
    again = ex.update(width=512, depth=8, eta=0.3, steps=200)
    assert not again.ok and "diverged" in again.readout and ex.cache.trained_steps == before


def test_training_eta_lam_too_large(explorers):
    f = explorers["training"].update(eta=20.0, lam=0.1, steps=100)
    assert not f.ok and "eta*lam" in f.readout and "1/lam" in f.readout


def test_training_width_below_s(explorers):
    ex = explorers["training"]
    d, text = numbers(ex, width=2, steps=500)
    assert "rank" in text and "Eckart" in text
    # the floor it states holds: ||W A R - R||_F >= sqrt(s - w)
    assert d["result"].history["on_subspace"].min() >= np.sqrt(ex.problem.s - 2) - 1e-9


def test_training_cap(explorers):
    ex = explorers["training"]
    cap = ex.step_cap(800, 8)
    d, text = numbers(ex, width=800, depth=8, steps=10000)
    assert d["result"].steps == cap < 10000
    assert d["capped"] and "capped at" in text


def test_warm_start_is_exact():
    problem, data = widgets.default_problem()
    cache = widgets.RunCache(problem, data, grid=(100, 200, 500), metrics=("on_subspace",))
    r300 = cache.run(width=16, depth=3, lam=0.01, eta="auto", steps=300, seed=4)
    r700 = cache.run(width=16, depth=3, lam=0.01, eta="auto", steps=700, seed=4)
    assert cache.trained_steps == 700  # the second call continued from step 300
    direct = dlinv.train(
        problem,
        data,
        lam=0.01,
        eta="auto",
        steps=700,
        depth=3,
        width=16,
        seed=4,
        record_every=0,
        metrics=(),
    )
    np.testing.assert_allclose(r700.end_to_end, direct.end_to_end, rtol=0, atol=1e-13)
    assert r700.eta == direct.eta and r300.eta == direct.eta and "auto" in r700.eta_note
    assert np.all(np.diff(r700.history.step) > 0) and r700.history.step[-1] == 700
    # going back is free: 200 and 300 are checkpoints
    r200 = cache.run(width=16, depth=3, lam=0.01, eta="auto", steps=200, seed=4)
    cache.run(width=16, depth=3, lam=0.01, eta="auto", steps=300, seed=4)
    assert cache.trained_steps == 700 and r200.history.step[-1] == 200


def test_cache_evicts_by_bytes():
    problem, data = widgets.default_problem()
    cache = widgets.RunCache(problem, data, max_bytes=1)
    for seed in range(3):
        cache.run(width=8, depth=2, lam=0.0, eta=0.01, steps=10, seed=seed)
    assert len(cache) == 1


def test_step_flops_grows_with_width_and_depth():
    f = widgets.step_flops
    assert f(60, 30, 800, 8) > f(60, 30, 800, 2) > f(60, 30, 64, 2) > f(60, 30, None, 1) > 0


def test_collapse_regions(explorers):
    ex = explorers["collapse"]
    c5, cs5 = dlinv.theory.collapse_threshold(5), dlinv.theory.global_collapse_threshold(5)
    assert "is global" in numbers(ex, depth=5, lam=0.9 * cs5, sigma=1.0)[1]
    assert "metastable" in numbers(ex, depth=5, lam=0.5 * (cs5 + c5), sigma=1.0)[1]
    assert "collapses" in numbers(ex, depth=5, lam=1.1 * c5, sigma=1.0)[1]
    assert "soft threshold" in numbers(ex, depth=2, lam=0.5)[1]
    assert "ridge" in numbers(ex, depth=1)[1]


def test_single_layer_divergence_is_explained(explorers):
    f = explorers["single-layer"].update(eta_frac=1.1, steps=1000)
    assert not f.ok and f.png is not None  # the exact trajectory is still drawn, until it blows up
    assert "above the stability limit" in f.readout and "diverge" in f.readout


def test_single_layer_frozen_law(explorers):
    d, _ = numbers(explorers["single-layer"], lam=0.05, eta_frac=0.5, steps=1000)
    h = d["result"].history
    pred = d["frozen0"] * dlinv.theory.frozen_factor(d["eta"], 0.05, h.step)
    np.testing.assert_allclose(
        h["off_subspace"], pred, rtol=1e-9, atol=1e-13
    )  # rounding floor ~1e-14


def test_tradeoff_best_lambda_shrinks_with_budget(explorers):
    ex = explorers["tradeoff"]
    best = [numbers(ex, steps=T)[0]["best"] for T in (100, 3000)]
    assert best[1] <= best[0]


def test_unknown_setting_is_refused(explorers):
    with pytest.raises(ValueError, match="unknown settings"):
        explorers["collapse"].update(width=3)


@pytest.mark.parametrize("name", NAMES)
def test_widget_builds_and_reacts(explorers, name):
    ipywidgets = pytest.importorskip("ipywidgets")
    ex = explorers[name]
    box = ex.widget()
    kind = box.children[0]
    assert "Live explorer" in kind.value and "kernel" in kind.value  # says which kind it is
    controls = [w for w in box.children[1].children]
    assert len(controls) == len(ex.CONTROLS)
    for w in controls:
        if isinstance(
            w, (ipywidgets.SelectionSlider, ipywidgets.IntSlider, ipywidgets.FloatSlider)
        ):
            assert w.continuous_update is False
    status, readout, image = box.children[2:5]
    first = readout.value
    assert first and bytes(image.value).startswith(PNG) and "updated in" in status.value
    # move the first knob to its other end: the callback redraws and the readout changes
    w0 = controls[0]
    if isinstance(w0, ipywidgets.SelectionSlider):
        w0.value = w0.options[-1][1] if w0.value != w0.options[-1][1] else w0.options[0][1]
    else:
        w0.value = w0.max if w0.value != w0.max else w0.min
    assert readout.value != first


@pytest.mark.parametrize("name", NAMES)
def test_static_fallbacks(explorers, name):
    import matplotlib.pyplot as plt

    ex = explorers[name]
    knob, values = {
        "training": ("lam", [0.0, 0.03]),
        "tradeoff": ("steps", [100, 300]),
        "collapse": ("lam", [0.1, 0.4]),
        "single-layer": ("lam", [0.0, 0.1]),
    }[name]
    fig = ex.small_multiples([{knob: v} for v in values])
    assert len(fig.axes) == 2 * len(ex._axes_live)
    plt.close(fig)
    html = ex.animate(knob, values).data
    assert '<div class="animation">' in html and html.count("data:image/png;base64") >= 1


def test_measure_matches_update(explorers):
    ex = explorers["collapse"]
    m, u = ex.measure(lam=0.3), ex.update(lam=0.3)
    assert m.png is None and m.readout == u.readout and m.ok == u.ok
