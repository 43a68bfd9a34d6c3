"""Latency benchmark of the explorers (:mod:`dlinv.widgets`): how long a slider change takes.

``python -m dlinv.bench_widgets`` times, for every explorer, what the kernel does between a
slider change and the new picture: compute (train, with the cache and warm starts), draw, encode
the PNG. Three cases, each on a fresh explorer that already shows its defaults (as on opening
the notebook), repeated ``--repeats`` times:

* ``default``: one knob moved at the default settings to a value never seen before (a new seed,
  or the next value of the cheapest knob), so the update trains (or computes) from scratch;
* ``cached``: a knob that needs no new training (the test noise), i.e. a redraw;
* ``worst``: a jump to the most expensive corner of the ranges (``Explorer.worst``; for the
  training explorer several expensive corners, the slowest is reported).

Targets (the course's issue): at most 1 s for ``default`` and 3 s for ``worst``, on 2 cores.
The report prints min / median / max, the load average before and after (the machine may be
shared: compare the numbers with the load), and whether BLAS was limited to one thread
(threadpoolctl). ``--threads`` also times one GD step at width 800, depth 8 with one BLAS thread
and with the default number, which shows why the explorers pin BLAS to one thread.
``--static`` instead measures the static explorers (``dlinv.widgets.static``): the CPU and
wall time of the precomputation of each grid (what the book build adds; the import of Altair
counted once) and the size of the HTML block each adds to its page, with and without the inlined
Vega JavaScript (about 0.9 MB, once per page). Their redraw time in the browser is measured by
``checks/test_static_explorers.py``.
This is a benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from . import widgets

TARGET_DEFAULT = 1.0
TARGET_WORST = 3.0


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def _cases(name: str):
    """(label, make explorer, settings to move to) for one explorer; a new explorer per repeat."""
    if name == "training":
        mk = widgets.TrainingExplorer
        return [
            ("default (new seed)", mk, lambda i: {"seed": 1 + i % 9}),
            ("cached (noise only)", mk, lambda i: {"noise": 0.35}),
            ("worst w=800 L=8", mk, lambda i: widgets.TrainingExplorer.worst),
            ("worst w=800 L=2", mk, lambda i: {**widgets.TrainingExplorer.worst, "depth": 2}),
            ("worst w=256 L=8", mk, lambda i: {**widgets.TrainingExplorer.worst, "width": 256}),
            ("worst w=128 L=8", mk, lambda i: {**widgets.TrainingExplorer.worst, "width": 128}),
        ]
    if name == "tradeoff":
        mk = widgets.TradeoffExplorer
        return [
            ("default (new seed)", mk, lambda i: {"seed": 1 + i % 9}),
            ("cached (noise only)", mk, lambda i: {"noise": 0.3}),
            ("worst", mk, lambda i: widgets.TradeoffExplorer.worst),
        ]
    if name == "collapse":
        mk = widgets.CollapseExplorer
        return [
            ("default (new lambda)", mk, lambda i: {"lam": 0.3}),
            ("cached (same work)", mk, lambda i: {"sigma": 1.2}),
            ("worst", mk, lambda i: widgets.CollapseExplorer.worst),
        ]
    if name == "single-layer":
        mk = widgets.SingleLayerExplorer
        return [
            ("default (new lambda)", mk, lambda i: {"lam": 0.05}),
            ("cached (same work)", mk, lambda i: {"init": "zero"}),
            ("worst", mk, lambda i: widgets.SingleLayerExplorer.worst),
        ]
    raise ValueError(name)


def time_case(make, move, repeats: int) -> list[float]:
    out = []
    for i in range(repeats):
        ex = make()
        ex.update()  # what the notebook shows on opening
        t0 = time.perf_counter()
        frame = ex.update(**move(i))
        out.append(time.perf_counter() - t0)
        assert frame.png is not None, frame.readout
    return out


def thread_comparison(steps: int = 10) -> str:
    """ms per GD step at width 800, depth 8 (d=60, m=30) with one BLAS thread and with the default."""
    import dlinv

    problem, data = widgets.default_problem()
    W0 = dlinv.init_weights(problem.d, problem.m, width=800, depth=8, seed=0)

    def per_step():
        t0 = time.perf_counter()
        dlinv.train(
            problem, data, lam=0.01, eta=1e-3, steps=steps, init=W0, record_every=0, metrics=()
        )
        return (time.perf_counter() - t0) / steps * 1e3

    default = min(per_step() for _ in range(3))
    with widgets.blas_single_thread():
        one = min(per_step() for _ in range(3))
    pinned = (
        "threadpoolctl"
        if widgets._threadpool_limits is not None
        else "not available (no threadpoolctl)"
    )
    return (
        f"GD step at w=800, L=8: {one:.1f} ms with 1 BLAS thread, {default:.1f} ms with the default "
        f"number of threads (pinning: {pinned})"
    )


def static_report() -> list[str]:
    """CPU / wall seconds of each static explorer's precomputation and its HTML size."""
    t0, c0 = time.perf_counter(), time.process_time()
    import altair  # noqa: F401 - its import (jsonschema) is part of the build cost

    from .widgets import static

    lines = [
        f"  import altair: cpu {time.process_time() - c0:5.1f} s, wall {time.perf_counter() - t0:5.1f} s"
    ]
    total_cpu = time.process_time() - c0
    total_wall = time.perf_counter() - t0
    for make in (
        static.static_training_explorer,
        static.static_tradeoff_explorer,
        static.static_collapse_explorer,
    ):
        ex = make()
        total_cpu += ex.cpu_seconds
        total_wall += ex.wall_seconds
        lines.append(
            f"  {ex.name:9s} {len(ex.rows):4d} settings: cpu {ex.cpu_seconds:5.1f} s, wall "
            f"{ex.wall_seconds:5.1f} s; HTML {len(ex.to_html(include_js=False)) / 1e6:.2f} MB "
            f"(+ {len(static.javascript_bundle()) / 1e6:.2f} MB of Vega JS once per page)"
        )
    lines.append(
        f"  total: cpu {total_cpu:.1f} s, wall {total_wall:.1f} s (target: at most 60 s added to the build)"
    )
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--only", choices=["training", "tradeoff", "collapse", "single-layer"], action="append"
    )
    ap.add_argument(
        "--threads", action="store_true", help="also compare 1 BLAS thread with the default"
    )
    ap.add_argument("--static", action="store_true", help="measure the static explorers instead")
    args = ap.parse_args(argv)
    if args.static:
        print(
            f"dlinv static explorers: precomputation and page size, {os.cpu_count()} cores, "
            f"load average before: {_load()}"
        )
        print("\n".join(static_report()))
        print(f"load average after: {_load()}")
        return 0
    names = args.only or ["training", "tradeoff", "collapse", "single-layer"]
    print(
        f"dlinv explorers, latency of one slider change (compute + draw + PNG), {args.repeats} repeats, "
        f"{os.cpu_count()} cores, BLAS pinned to 1 thread: {widgets._threadpool_limits is not None}"
    )
    print(f"load average before: {_load()}")
    misses = []
    for name in names:
        worst_med = 0.0
        for label, make, move in _cases(name):
            ts = time_case(make, move, args.repeats)
            med = statistics.median(ts)
            print(
                f"  {name:13s} {label:22s} min {min(ts):6.3f} s  median {med:6.3f} s  max {max(ts):6.3f} s"
            )
            if label.startswith("default") and med > TARGET_DEFAULT:
                misses.append(f"{name} {label}: median {med:.2f} s > {TARGET_DEFAULT} s")
            if label.startswith("worst"):
                worst_med = max(worst_med, med)
        if worst_med > TARGET_WORST:
            misses.append(f"{name} worst: median {worst_med:.2f} s > {TARGET_WORST} s")
    print(f"load average after: {_load()}")
    if args.threads:
        print(thread_comparison())
    print(
        "targets (median; default <= 1 s, worst <= 3 s): "
        + ("all met" if not misses else "MISSED: " + "; ".join(misses))
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
