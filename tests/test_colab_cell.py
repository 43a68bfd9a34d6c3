"""Every lab opens on Colab with no manual step (issue 11 item 4), as far as can be checked here.

* every lab's first code cell is the ``colab-install`` cell, with the same text in every lab;
* it is pinned to this release (``v{dlinv.__version__}``) of the repository of ``_config.yml``;
* where dlinv is importable (local, Binder, the book build) it does nothing: no pip call;
* where dlinv is missing it installs it: the cell runs (as IPython runs it) in a fresh virtual
  environment where dlinv is not importable, with ``DLINV_PIP_SOURCE`` pointing at a wheel built
  here from this checkout (``pip wheel --no-deps``), and afterwards ``import dlinv`` works and
  comes from that environment. The new environment sees the course's other packages (numpy, ...)
  through a ``.pth`` file pointing at a copy of the current site-packages without dlinv, so
  nothing is downloaded (offline; at most PyPI for the build backend).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

import dlinv

BOOK = Path(__file__).resolve().parents[1]
LABS = sorted(BOOK.glob("chapters/*/lab.ipynb"))


def first_code_cell(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return next(c for c in nb["cells"] if c["cell_type"] == "code")


def cell_source(path: Path) -> str:
    return "".join(first_code_cell(path)["source"])


def test_there_are_labs():
    assert len(LABS) >= 9


@pytest.mark.parametrize("lab", LABS, ids=[p.parent.name for p in LABS])
def test_first_code_cell_is_the_install_cell(lab):
    cell = first_code_cell(lab)
    assert "colab-install" in cell["metadata"].get("tags", []), (
        f"{lab}: first code cell is not tagged colab-install"
    )
    assert cell_source(lab) == cell_source(LABS[0]), (
        f"{lab}: the install cell differs from {LABS[0]}'s"
    )


def test_install_cell_is_pinned_to_this_release():
    src = cell_source(LABS[0])
    url = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))["repository"][
        "url"
    ].rstrip("/")
    assert f'REPO = "{url}"' in src, (src, url)
    assert f'RELEASE = "v{dlinv.__version__}"' in src, (src, dlinv.__version__)
    assert 'f"dlinv[labs] @ git+{REPO}@{RELEASE}"' in src
    assert "dlinv[labs]" in src and "DLINV_PIP_SOURCE" in src
    assert 'find_spec("dlinv") is None' in src


def test_install_cell_is_a_no_op_where_dlinv_is_installed(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    exec(compile(cell_source(LABS[0]), "colab-install", "exec"), {})  # noqa: S102 - the cell itself
    assert calls == [], "the install cell called pip although dlinv is importable"


def test_the_no_op_check_can_fail(monkeypatch):
    """The check above sees a pip call: with dlinv hidden, the cell calls subprocess.run."""
    import importlib.util

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "dlinv" else real(name, *a)
    )
    exec(compile(cell_source(LABS[0]), "colab-install", "exec"), {})  # noqa: S102
    assert len(calls) == 1 and "pip" in calls[0][0][0]


def _site_without_dlinv(dest: Path) -> Path:
    """A directory of links to every entry of this environment's site-packages except dlinv's."""
    site = Path(sysconfig.get_paths()["purelib"])
    dest.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if "dlinv" in name or name.endswith(".pth"):
            continue
        (dest / entry.name).symlink_to(entry)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout of dlinv (built from a copy, so the checkout stays clean)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (BOOK / name).exists():
            shutil.copy(BOOK / name, src / name)
    shutil.copytree(BOOK / "dlinv", src / "dlinv", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)]
    # the environment's setuptools first (fast, offline); else pip's isolated build (PyPI)
    proc = subprocess.run(
        cmd[:5] + ["--no-build-isolation"] + cmd[5:],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("dlinv-*.whl"))
    assert len(wheels) == 1, wheels
    assert f"dlinv-{dlinv.__version__}-" in wheels[0].name
    return wheels[0]


RUNNER = """
import importlib.util, sys
assert importlib.util.find_spec("dlinv") is None, "dlinv must be missing before the cell runs"
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
result = shell.run_cell(open(sys.argv[1], encoding="utf-8").read())
assert result.success, result.error_in_exec
import importlib
importlib.invalidate_caches()
import dlinv
print("DLINV", dlinv.__version__, dlinv.__file__)
"""


def test_install_cell_installs_dlinv_where_it_is_missing(tmp_path, wheel):
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    overlay = _site_without_dlinv(tmp_path / "site")
    Path(purelib, "course-packages.pth").write_text(str(overlay) + "\n", encoding="utf-8")
    cell = tmp_path / "cell.py"
    cell.write_text(cell_source(LABS[0]), encoding="utf-8")
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["DLINV_PIP_SOURCE"] = f"dlinv[labs] @ {wheel.as_uri()}"
    env["PIP_NO_INDEX"] = "1"  # everything it needs is already there: nothing is downloaded
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    proc = subprocess.run(
        [str(py), str(runner), str(cell)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("DLINV "))
    _, version, path = line.split(" ", 2)
    assert version == dlinv.__version__
    assert Path(path).resolve().is_relative_to(venv.resolve()), (
        f"dlinv imported from {path}, not the new venv"
    )
