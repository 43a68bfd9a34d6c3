"""How many BLAS threads dlinv uses: the CPUs the process really has, one for small problems.

A container (Binder, CI) often sees all of the host's cores but may run on fewer: its CPU
affinity or its cgroup CPU quota (v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us``, v2
``cpu.max``) says how many. Multi-threaded OpenBLAS on more threads than that, or on a core that
another process keeps busy, waits for its slowest thread at every product: a GD loop of small
products then runs several times slower than on one thread. So

* :func:`available_cpus` reads affinity and quota;
* :func:`threads_for` gives 1 thread for the products of a GD step below
  :data:`SMALL_FLOPS` (every problem of the course's labs), else the available CPUs;
* :func:`limit_blas` applies a limit for the duration of a ``with`` block (threadpoolctl).
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager, nullcontext
from pathlib import Path

#: a GD step whose largest matrix product has fewer flops than this runs single-threaded
SMALL_FLOPS = 2e8


def _own_cgroup_dirs(root: Path) -> list[Path]:
    """The cgroup folders that hold this process's CPU limits, own folder first then ancestors:
    ``/proc/self/cgroup`` gives the path below the mount (``"/"`` inside a cgroup namespace)."""
    dirs = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        if controllers == "":  # v2 unified hierarchy
            bases = [root, root / "unified"]
        elif "cpu" in controllers.split(","):
            bases = [root / "cpu", root / "cpu,cpuacct"]
        else:
            continue
        for base in bases:
            d = base / rel.lstrip("/")
            while True:
                dirs.append(d)
                if d == base:
                    break
                d = d.parent
    return dirs + [root, root / "cpu"]


def _cgroup_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs allowed by the cgroup CPU quota (v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``) of this
    process's cgroup and its ancestors (the smallest wins); ``None`` if unlimited or unknown."""
    best = None
    for d in _own_cgroup_dirs(root):
        try:
            if (d / "cpu.max").is_file():
                quota, period = (d / "cpu.max").read_text().split()[:2]
                q = None if quota == "max" else int(quota) / int(period)
            elif (d / "cpu.cfs_quota_us").is_file():
                quota = int((d / "cpu.cfs_quota_us").read_text())
                period = int((d / "cpu.cfs_period_us").read_text())
                q = None if quota <= 0 else quota / period
            else:
                continue
        except (OSError, ValueError):
            continue
        if q is not None and (best is None or q < best):
            best = q
    return best


def available_cpus(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may use: min(affinity, cgroup quota rounded up), at least 1."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    quota = _cgroup_quota(cgroup_root)
    if quota is not None:
        n = min(n, max(1, math.ceil(quota)))
    return max(1, n)


def threads_for(problem, weights) -> int:
    """BLAS threads for a GD loop: 1 when its largest product is small, else all available."""
    m = problem.m
    biggest = max(2.0 * W.shape[0] * W.shape[1] * m for W in weights)
    return 1 if biggest < SMALL_FLOPS else available_cpus()


def limit_blas(threads: int):
    """Context manager limiting BLAS to ``threads`` threads (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


@contextmanager
def single_threaded():
    """Shorthand: ``with single_threaded(): ...`` runs BLAS on one thread."""
    with limit_blas(1):
        yield


#: BLAS threads of a dlinv process unless DLINV_BLAS_THREADS says otherwise: every problem of the
#: course has matrices of a few hundred rows, where one thread is fastest on a shared machine
DEFAULT_THREADS = 1


def cap_to_available() -> int:
    """Limit BLAS, for the whole process, to ``DLINV_BLAS_THREADS`` threads (default
    :data:`DEFAULT_THREADS`), and never to more than :func:`available_cpus` (affinity, cgroup
    quota: in a container with a 1-CPU quota BLAS would otherwise start a thread per host core).
    Called when dlinv is imported. The limit only ever lowers BLAS's thread count (a notebook
    that set ``OPENBLAS_NUM_THREADS=1`` keeps it). Returns the limit."""
    env = os.environ.get("DLINV_BLAS_THREADS", "").strip()
    wanted = int(env) if env.isdigit() and int(env) > 0 else DEFAULT_THREADS
    cap = min(wanted, available_cpus())
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover
        return cap
    blas = ThreadpoolController().select(user_api="blas")
    if any(lib.num_threads > cap for lib in blas.lib_controllers):
        blas.limit(limits=cap)
    return cap
