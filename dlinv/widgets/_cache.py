"""The cache of training runs of the explorers: keyed by settings, warm-started, LRU by bytes."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..network import init_weights, layer_shapes
from ..problem import InverseProblem, TrainingData
from ..train import History, TrainResult
from ..train import train as _train

#: byte budget of the cache of runs (checkpointed weights)
CACHE_BYTES = 300e6


@dataclass
class _Entry:
    W0: tuple
    eta: float | None = None
    note: str = ""
    history: History | None = None
    checkpoints: dict = field(default_factory=dict)  # step -> weights
    failure: tuple | None = None  # (first failing step t0, message)

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

    def __init__(
        self,
        problem: InverseProblem,
        data: TrainingData,
        *,
        metrics=(),
        grid=(),
        max_bytes: float = CACHE_BYTES,
        records: int = 100,
    ):
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

    def run(
        self, *, width, depth: int, lam: float, eta, steps: int, seed: int, metrics=None
    ) -> TrainResult:
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
                    res = _train(
                        self.problem,
                        self.data,
                        lam=lam,
                        eta=eta if entry.eta is None else entry.eta,
                        steps=end - t0,
                        init=entry.checkpoints[t0],
                        record_every=self.record_every(end),
                        metrics=metrics,
                    )
                except FloatingPointError as exc:
                    msg = str(exc) + (
                        f" (counting from step {t0}, where this run was continued)" if t0 else ""
                    )
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
        hist = (
            _truncate(entry.history, steps)
            if entry.history is not None
            else History(step=np.array([0]), values={k: np.array([]) for k in metrics})
        )
        return TrainResult(
            weights=entry.checkpoints[steps],
            initial_weights=entry.W0,
            history=hist,
            eta=entry.eta if entry.eta is not None else float("nan"),
            lam=float(lam),
            steps=steps,
            eta_note=entry.note,
        )

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
    flops = 2.0 * d * m * m  # G = E Syy - Sxy
    for out, inn in shapes[1:]:
        flops += 3 * 2.0 * out * inn * m  # prefix, W^T B, B prefix^T
    flops += sum(4.0 * out * inn for out, inn in shapes)  # decay and subtract, read + write
    return flops
