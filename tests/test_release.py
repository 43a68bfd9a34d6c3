"""The version and the repository URL are stated once and agree everywhere (scripts/release.py)."""

import importlib.util
from pathlib import Path

import dlinv

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("release", ROOT / "scripts" / "release.py")
release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release)


def test_every_place_agrees():
    assert release.run(write=False) == []


def test_version_is_the_module_version():
    assert release.version() == dlinv.__version__ == "0.2.0"


def test_check_detects_a_stale_copy(tmp_path, monkeypatch):
    """The check can fail: a CITATION.cff with another version is reported."""
    for name in ("_config.yml", "pyproject.toml", "CHANGELOG.md", "dlinv/__init__.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((ROOT / name).read_text())
    cff = (
        (ROOT / "CITATION.cff")
        .read_text()
        .replace(f"version: {dlinv.__version__}", "version: 9.9.9")
    )
    (tmp_path / "CITATION.cff").write_text(cff)
    lab = tmp_path / "chapters" / "01-x" / "lab.ipynb"
    lab.parent.mkdir(parents=True)
    lab.write_text((ROOT / "chapters/01-inverse-problems/lab.ipynb").read_text())
    monkeypatch.setattr(release, "ROOT", tmp_path)
    problems = release.run(write=False)
    assert any("CITATION.cff" in p for p in problems)
