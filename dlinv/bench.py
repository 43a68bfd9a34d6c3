"""Benchmark: milliseconds per GD step against the matrix-product floor.

``python -m dlinv.bench`` trains the Figure 1 configuration (d=200, m=100, s=5, L=5, w=400,
N=500) and measures, in the same run,

* the time per step of :func:`dlinv.train` (no metrics recorded, best of several repeats), and
* the floor: the time numpy needs for exactly the matrix products one step performs
  (each product timed on its own shape with ``numpy.matmul(..., out=...)``, best of repeats,
  summed).

The last line reads ``step X ms/step, floor Y ms/step, ratio Z``. With ``--torch`` (and PyTorch
installed) it also times a plain PyTorch autograd loop on the same problem for comparison.
This is a benchmark, not a test: numbers depend on the machine and its load.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from . import init_weights, make_training_data, random_problem, train


def gemm_shapes(d: int, m: int, width: int, depth: int) -> list[tuple[int, int, int]]:
    """``(rows, inner, cols)`` of every matrix product in one step of :func:`dlinv.train`."""
    if depth == 1:
        return [(d, m, m)]  # G = W Syy
    w = width
    fwd = [(w, w, m)] * (depth - 2) + [(d, w, m), (d, m, m)]
    # backward: B_{L-1} = W_L^T B_L and the top update, then per middle layer W^T B and B P^T
    bwd = [(w, d, m), (d, m, w)] + [(w, w, m), (w, m, w)] * (depth - 2)
    return fwd + bwd


def _best_time(fn, repeats: int, number: int) -> float:
    fn()
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def gemm_floor(shapes, *, repeats: int = 7, number: int = 50, seed: int = 0) -> float:
    """Seconds numpy needs for the listed products (each timed on its own, best of repeats)."""
    g = np.random.default_rng(seed)
    total = 0.0
    for r, k, c in shapes:
        a, b, out = g.standard_normal((r, k)), g.standard_normal((k, c)), np.empty((r, c))
        total += _best_time(lambda: np.matmul(a, b, out=out), repeats, number)
    return total


def step_time(problem, data, W0, *, steps: int, repeats: int) -> float:
    """Seconds per step of :func:`dlinv.train` (best of ``repeats`` runs of ``steps`` steps)."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        train(problem, data, lam=0.01, eta=0.05, steps=steps, init=W0, record_every=0, metrics=())
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


def torch_step_time(problem, data, W0, *,
                    steps: int) -> float | None:  # pragma: no cover - optional
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    Ws = [torch.tensor(np.array(W), requires_grad=True) for W in W0]
    X, Y = torch.tensor(np.array(data.X)), torch.tensor(np.array(data.Y))
    n, lam, eta = X.shape[1], 0.01, 0.05

    def one():
        out = Y
        for W in Ws:
            out = W @ out
        loss = ((out - X) ** 2).sum() / (2 * n) + lam / 2 * sum((W ** 2).sum() for W in Ws)
        loss.backward()
        with torch.no_grad():
            for W in Ws:
                W -= eta * W.grad
                W.grad = None

    one()
    t0 = time.perf_counter()
    for _ in range(steps):
        one()
    return (time.perf_counter() - t0) / steps


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=200)
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--s", type=int, default=5)
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--width", type=int, default=400)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--torch", action="store_true", help="also time a plain PyTorch autograd loop")
    args = ap.parse_args(argv)

    problem = random_problem(args.d, args.m, args.s, seed=0)
    data = make_training_data(problem, args.n, seed=1)
    W0 = init_weights(args.d, args.m, width=args.width, depth=args.depth, seed=2)
    shapes = gemm_shapes(args.d, args.m, args.width, args.depth)
    flops = sum(2 * r * k * c for r, k, c in shapes)

    step = step_time(problem, data, W0, steps=args.steps, repeats=args.repeats)
    floor = gemm_floor(shapes)
    print(f"config: d={args.d} m={args.m} s={args.s} L={args.depth} w={args.width} N={args.n}")
    print(f"matrix products per step: {len(shapes)}, {flops / 1e6:.0f} MFLOP, "
          f"numpy reaches {flops / floor / 1e9:.1f} GFLOP/s on them")
    if args.torch:
        tt = torch_step_time(problem, data, W0, steps=max(20, args.steps // 4))
        if tt is None:
            print("torch: not installed, comparison skipped")
        else:
            print(f"torch autograd: {tt * 1e3:.1f} ms/step, {tt / step:.1f}x slower than dlinv")
    print(f"step {step * 1e3:.1f} ms/step, floor {floor * 1e3:.1f} ms/step, "
          f"ratio {step / floor:.2f}")


if __name__ == "__main__":
    main()
