"""dlinv uses the CPUs it really has: affinity and cgroup CPU quota (v1 and v2)."""

import os

import numpy as np
import pytest

import dlinv
from dlinv import _threads


def fake_v2(tmp_path, quota):
    (tmp_path / "cpu.max").write_text(quota)
    return tmp_path


def fake_v1(tmp_path, quota_us, period_us=100000):
    d = tmp_path / "cpu"
    d.mkdir()
    (d / "cpu.cfs_quota_us").write_text(str(quota_us))
    (d / "cpu.cfs_period_us").write_text(str(period_us))
    return tmp_path


def test_v2_quota(tmp_path):
    assert _threads._cgroup_quota(fake_v2(tmp_path, "150000 100000")) == 1.5


def test_v2_unlimited(tmp_path):
    assert _threads._cgroup_quota(fake_v2(tmp_path, "max 100000")) is None


def test_v1_quota(tmp_path):
    assert _threads._cgroup_quota(fake_v1(tmp_path, 100000)) == 1.0


def test_v1_unlimited(tmp_path):
    assert _threads._cgroup_quota(fake_v1(tmp_path, -1)) is None


def test_available_cpus_respects_quota(tmp_path):
    affinity = len(os.sched_getaffinity(0))
    assert _threads.available_cpus(fake_v2(tmp_path, "100000 100000")) == 1
    assert _threads.available_cpus(tmp_path / "nothing") <= affinity


def test_small_problems_run_single_threaded():
    prob = dlinv.random_problem(200, 100, 5, seed=0)
    W0 = dlinv.init_weights(200, 100, width=400, depth=5, seed=1)
    assert _threads.threads_for(prob, W0) == 1  # the Figure 1 configuration is small
    big = [np.zeros((20000, 400))]
    assert _threads.threads_for(prob, big) == _threads.available_cpus()


def test_env_override(monkeypatch):
    monkeypatch.setenv("DLINV_BLAS_THREADS", "64")
    assert _threads.cap_to_available() == _threads.available_cpus()  # never above the CPUs
    monkeypatch.delenv("DLINV_BLAS_THREADS")
    assert _threads.cap_to_available() == _threads.DEFAULT_THREADS == 1


def test_cap_only_lowers(monkeypatch):
    """A process already limited to one thread stays at one thread when the cap is higher."""
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        monkeypatch.setenv("DLINV_BLAS_THREADS", "2")
        _threads.cap_to_available()
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux only")
def test_module_cap_at_import():
    from threadpoolctl import threadpool_info

    assert 1 <= dlinv.BLAS_THREADS <= len(os.sched_getaffinity(0))
    if "DLINV_BLAS_THREADS" not in os.environ:
        assert all(
            i["num_threads"] <= dlinv.BLAS_THREADS
            for i in threadpool_info()
            if i["user_api"] == "blas"
        )
