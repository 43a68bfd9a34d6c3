"""scripts/jupyter_book_parallel.py: how many Sphinx processes, and what it declares parallel safe."""

import importlib.util
import sys
import types
from pathlib import Path

import pytest

from dlinv._threads import available_cpus

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "jupyter_book_parallel", ROOT / "scripts" / "jupyter_book_parallel.py"
)
jbp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jbp)


def test_jobs_default_to_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.delenv("DLINV_BUILD_JOBS", raising=False)
    assert jbp.build_jobs() == available_cpus() >= 1


def test_jobs_from_the_environment(monkeypatch):
    monkeypatch.setenv("DLINV_BUILD_JOBS", "3")
    assert jbp.build_jobs() == 3
    monkeypatch.setenv("DLINV_BUILD_JOBS", "1")
    assert jbp.build_jobs() == 1


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_bad_jobs_name_the_variable(monkeypatch, bad):
    monkeypatch.setenv("DLINV_BUILD_JOBS", bad)
    with pytest.raises(SystemExit, match="DLINV_BUILD_JOBS must be a positive integer"):
        jbp.build_jobs()


def test_declared_parallel_safe_keeps_the_extensions_own_setup(monkeypatch):
    calls = []
    fake = types.ModuleType("fake_undeclared_ext")
    fake.setup = lambda app: calls.append(app)  # declares nothing (returns None)
    monkeypatch.setitem(sys.modules, "fake_undeclared_ext", fake)
    jbp.declare_parallel_safe("fake_undeclared_ext")
    meta = fake.setup("app")
    assert calls == ["app"]
    assert meta == {"parallel_read_safe": True, "parallel_write_safe": True}


def test_the_extensions_declared_are_still_undeclared_upstream():
    """If an upgrade makes them declare it themselves, the override is no longer needed."""
    import inspect

    for name in jbp.UNDECLARED:
        source = inspect.getsource(importlib.import_module(name))
        assert "parallel_read_safe" not in source, f"{name} now declares it: drop the override"
