"""The recurring figures draw every measured curve and its dashed theoretical prediction."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import dlinv
from dlinv import metrics, plots, theory


def test_training_figure_overlays_theory(small_white):
    P, D = small_white
    r = dlinv.train(
        P,
        D,
        lam=0.05,
        eta=0.1,
        steps=200,
        depth=3,
        width=6,
        seed=0,
        record_every=10,
        metrics=dlinv.ALL_METRICS,
    )
    ax = plots.plot_training(
        r, P, metrics=("on_subspace", "off_subspace", "off_subspace_first", "imbalance")
    )
    dashed = {ln.get_label() for ln in ax.get_lines() if ln.get_linestyle() == "--"}
    assert any("Lemma A" in s for s in dashed) and any("Lemma C" in s for s in dashed)
    assert any("closed-form" in s for s in dashed) and any("bound" in s for s in dashed)
    # the Lemma A curve is the measurement (exact identity): same values
    meas = next(l for l in ax.get_lines() if l.get_label() == plots.LABELS["off_subspace_first"])
    pred = next(l for l in ax.get_lines() if "Lemma A" in l.get_label())
    assert np.allclose(meas.get_ydata(), pred.get_ydata(), rtol=1e-9)
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    plt.close("all")


def test_noise_sweep_figure(small):
    P, _ = small
    maps = {"oracle": P.oracle, "pinv": P.pinv, "lambda = 0.1": theory.regularized_limit(P, 0.1, 3)}
    sw = metrics.noise_sweep(maps, P, [0, 0.1], n=100, seed=0)
    ax = plots.plot_noise_sweep(sw)
    measured = [l for l in ax.get_lines() if l.get_marker() == "o"]
    dashed = [l for l in ax.get_lines() if l.get_linestyle() == "--" and len(l.get_xdata())]
    assert len(measured) == len(dashed) == 3
    assert len({l.get_color() for l in measured}) == 3  # one colour per map
    assert {l.get_color() for l in measured} == {l.get_color() for l in dashed}
    plt.close("all")
