"""Benchmark: milliseconds per GD step against the generic matrix-product floor.

``python -m dlinv.bench`` trains the configuration of the paper's Figure 1 (d=200, m=100, s=5,
L=5, w=400, N=500, noiseless data) and measures, in the same run,

* the time per step of :func:`dlinv.train` on its rank-s path (the gradient has rank s,
  Proposition ``prop-ch3-gradient-rank``), and on its generic path (no metrics, best of repeats);
* the generic floor: the time numpy needs for exactly the matrix products one step of the
  generic algorithm performs (each product timed on its own shape, best of repeats, summed).

The last line reads ``step X ms/step, floor Y ms/step, ratio Z``: X is the rank-s step, Y the
generic floor and Z = X/Y (below 0.25 means at least 4x faster than any implementation of the
generic algorithm). ``--peers`` also times JAX ``jit(grad)`` and PyTorch autograd loops (on the
second moments and on the samples) when those are installed. ``--contended`` times a lab-like
workload alone, next to a competing busy process, inside a cgroup with a 1-CPU quota (skipped
with a message when no cgroup can be made) and single-threaded. ``--labs`` runs every lab
(``chapters/*/lab.ipynb`` under the current directory) alone and then next to a competing busy
process, and prints each lab's two times and their ratio (target: at most 2). This is a
benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

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


def step_time(problem, data, W0, *, steps: int, repeats: int, path: str = "auto") -> float:
    """Seconds per step of :func:`dlinv.train` (best of ``repeats`` runs of ``steps`` steps)."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        train(
            problem,
            data,
            lam=0.01,
            eta=0.05,
            steps=steps,
            init=W0,
            record_every=0,
            metrics=(),
            path=path,
        )
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


def torch_step_time(
    problem, data, W0, *, steps: int, samples: bool
) -> float | None:  # pragma: no cover
    """A plain PyTorch autograd loop: on the second moments, or on the N samples."""
    try:
        import torch
    except ImportError:
        return None
    Ws = [torch.tensor(np.array(W), requires_grad=True) for W in W0]
    X, Y = torch.tensor(np.array(data.X)), torch.tensor(np.array(data.Y))
    Syy, Sxy = torch.tensor(np.array(data.Syy)), torch.tensor(np.array(data.Sxy))
    n, lam, eta = X.shape[1], 0.01, 0.05

    def one():
        if samples:
            out = Y
            for W in Ws:
                out = W @ out
            loss = ((out - X) ** 2).sum() / (2 * n)
        else:
            E = Ws[0]
            for W in Ws[1:]:
                E = W @ E
            loss = 0.5 * (E @ Syy * E).sum() - (Sxy * E).sum()
        loss = loss + lam / 2 * sum((W**2).sum() for W in Ws)
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


def jax_step_time(problem, data, W0, *, steps: int) -> float | None:  # pragma: no cover
    """JAX ``jit(grad)`` of the objective on the second moments."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    Syy, Sxy = jnp.asarray(data.Syy), jnp.asarray(data.Sxy)
    lam, eta = 0.01, 0.05

    def objective(Ws):
        E = Ws[0]
        for W in Ws[1:]:
            E = W @ E
        return (
            0.5 * jnp.sum((E @ Syy) * E)
            - jnp.sum(Sxy * E)
            + lam / 2 * sum(jnp.sum(W * W) for W in Ws)
        )

    @jax.jit
    def one(Ws):
        g = jax.grad(objective)(Ws)
        return [W - eta * gW for W, gW in zip(Ws, g)]

    Ws = [jnp.asarray(W) for W in W0]
    Ws = one(Ws)
    jax.block_until_ready(Ws)
    t0 = time.perf_counter()
    for _ in range(steps):
        Ws = one(Ws)
    jax.block_until_ready(Ws)
    return (time.perf_counter() - t0) / steps


# ---- a lab-like workload alone, contended, in a 1-CPU cgroup ---------------------------------

WORKLOAD = """
import time, numpy as np, dlinv
from dlinv.problem import TrainingData
t0 = time.perf_counter()
prob = dlinv.random_problem(200, 100, 5, seed=0)
data = dlinv.make_training_data(prob, 500, seed=1)
dlinv.train(prob, data, lam=0.01, eta=0.05, steps=600, depth=5, width=400, seed=2,
            record_every=100)
noisy = TrainingData(data.X, data.Y + 0.01 * np.random.default_rng(3).standard_normal(data.Y.shape))
dlinv.train(prob, noisy, lam=0.01, eta=0.05, steps=60, depth=5, width=400, seed=2, record_every=20)
X = np.random.default_rng(4).standard_normal((200, 4000))
for _ in range(5):
    np.linalg.svd(prob.oracle @ (prob.A @ X), full_matrices=False)
print(time.perf_counter() - t0)
"""


def _run_workload(env=None, cgroup_procs: Path | None = None) -> float:
    pre = None
    if cgroup_procs is not None:

        def pre():  # runs in the child before exec: join the cgroup
            cgroup_procs.write_text(str(os.getpid()))

    out = subprocess.run(
        [sys.executable, "-c", WORKLOAD],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=pre,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _make_cgroup(cpus: float = 1.0) -> Path | None:
    """A cgroup with a CPU quota of ``cpus`` (v2 cpu.max or v1 cfs quota); None if impossible."""
    name = f"dlinv-bench-{os.getpid()}"
    for base, v2 in ((Path("/sys/fs/cgroup"), True), (Path("/sys/fs/cgroup/cpu"), False)):
        d = base / name
        try:
            if v2 and not (base / "cgroup.controllers").is_file():
                continue
            d.mkdir()
            if v2:
                (d / "cpu.max").write_text(f"{int(cpus * 100000)} 100000")
            else:
                (d / "cpu.cfs_period_us").write_text("100000")
                (d / "cpu.cfs_quota_us").write_text(str(int(cpus * 100000)))
            return d
        except OSError:
            try:
                d.rmdir()
            except OSError:
                pass
    return None


def contended(repeats: int = 3) -> None:
    env1 = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    best = lambda f: min(f() for _ in range(repeats))  # noqa: E731
    alone = best(lambda: _run_workload())
    single = best(lambda: _run_workload(env1))
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = best(lambda: _run_workload())
    finally:
        hog.kill()
        hog.wait()
    print(f"workload alone {alone:.2f} s, single-threaded {single:.2f} s")
    print(f"next to one busy process: {busy:.2f} s = {busy / alone:.2f}x alone (target <= 2)")
    cg = _make_cgroup(1.0)
    if cg is None:
        print("cgroup: cannot create one here (needs root and a writable cgroup fs); skipped")
        return
    try:
        quota = best(lambda: _run_workload(cgroup_procs=cg / "cgroup.procs"))
        print(
            f"in a cgroup with a 1-CPU quota: {quota:.2f} s = {quota / single:.2f}x "
            f"single-threaded (target <= 1.3)"
        )
    finally:
        try:
            cg.rmdir()
        except OSError:
            pass


def _run_lab(path: Path) -> float:
    """Seconds to execute one lab notebook in a fresh kernel (in its own folder, like the book)."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def _run_labs(root: Path = Path("chapters")) -> None:
    """Every lab alone, then next to one busy process: the shared-CPU case of Binder. A first,
    discarded run warms the caches (kernel start, imports, fonts); each lab then runs alone and
    contended back to back, so that drift in the machine's load affects both alike."""
    paths = sorted(root.glob("*/lab.ipynb"))
    if not paths:
        raise SystemExit(f"--labs: no */lab.ipynb under {root.resolve()}; run it from the book")
    _run_lab(paths[0])  # warm-up, not counted
    alone, busy = {}, {}
    for p in paths:
        alone[p] = _run_lab(p)
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            busy[p] = _run_lab(p)
        finally:
            hog.kill()
            hog.wait()
    print(f"{'lab':32s} {'alone':>8s} {'contended':>10s} {'ratio':>6s}  (target <= 2)")
    for p in paths:
        print(f"{p.parent.name:32s} {alone[p]:7.1f}s {busy[p]:9.1f}s {busy[p] / alone[p]:6.2f}")
    ta, tb = sum(alone.values()), sum(busy.values())
    print(f"{'all labs':32s} {ta:7.1f}s {tb:9.1f}s {tb / ta:6.2f}")
    worst = max(paths, key=lambda p: busy[p] / alone[p])
    print(f"worst ratio: {worst.parent.name} {busy[worst] / alone[worst]:.2f}")


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
    ap.add_argument(
        "--peers",
        action="store_true",
        help="also time JAX jit(grad) and PyTorch autograd loops (when installed)",
    )
    ap.add_argument(
        "--contended",
        action="store_true",
        help="time a lab-like workload alone, contended and in a 1-CPU cgroup",
    )
    ap.add_argument(
        "--labs",
        action="store_true",
        help="run every lab alone and next to a busy process (from the book's folder)",
    )
    args = ap.parse_args(argv)
    if args.labs:
        _run_labs()
        return
    if args.contended:
        contended()

    problem = random_problem(args.d, args.m, args.s, seed=0)
    data = make_training_data(problem, args.n, seed=1)
    W0 = init_weights(args.d, args.m, width=args.width, depth=args.depth, seed=2)
    shapes = gemm_shapes(args.d, args.m, args.width, args.depth)
    flops = sum(2 * r * k * c for r, k, c in shapes)

    generic = step_time(problem, data, W0, steps=args.steps, repeats=args.repeats, path="generic")
    step = step_time(problem, data, W0, steps=args.steps, repeats=args.repeats, path="rank")
    floor = gemm_floor(shapes)
    print(f"config: d={args.d} m={args.m} s={args.s} L={args.depth} w={args.width} N={args.n}")
    print(
        f"generic algorithm: {len(shapes)} matrix products per step, {flops / 1e6:.0f} MFLOP, "
        f"numpy reaches {flops / floor / 1e9:.1f} GFLOP/s on them"
    )
    print(
        f"generic path of dlinv.train: {generic * 1e3:.2f} ms/step = {generic / floor:.2f}x the floor"
    )
    if args.peers:
        n = max(20, args.steps // 4)
        for name, t in (
            ("JAX jit(grad), second moments", jax_step_time(problem, data, W0, steps=n)),
            (
                "PyTorch autograd, second moments",
                torch_step_time(problem, data, W0, steps=n, samples=False),
            ),
            (
                "PyTorch autograd, samples",
                torch_step_time(problem, data, W0, steps=n, samples=True),
            ),
        ):
            print(
                f"{name}: "
                + (
                    "not installed, skipped"
                    if t is None
                    else f"{t * 1e3:.2f} ms/step = {t / step:.1f}x the rank-s step"
                )
            )
    print(
        f"step {step * 1e3:.2f} ms/step, floor {floor * 1e3:.2f} ms/step, ratio {step / floor:.2f}"
    )


if __name__ == "__main__":
    main()
