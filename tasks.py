"""The course's commands, with Python alone (no make, no node), on Linux, macOS and Windows.

    python tasks.py book     build the whole book, every notebook executed  -> _build/html
    python tasks.py test     every test: dlinv's unit tests, every lab (nbval), lint
    python tasks.py lab      JupyterLab on the labs (the explorers' sliders are live there)

More: ``assets`` (offline MathJax/widget JS, needs npm), ``pdf`` (the PDF edition, needs
TeX Live: xelatex), ``site-check`` (browser check of the
built book, needs Chromium), ``student`` and ``instructor`` (the two other editions), ``bench``,
``clean``. ``python -m tasks <command>`` works the same. Every command first makes the virtual
environment ``.venv`` from ``requirements.txt`` if it is missing or out of date (standard library
only until then). The Makefile's targets call these commands.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
ASSETS_MARKER = ROOT / "_offline" / "widgets" / "widget-paths.js"
MIN_PYTHON = (3, 11)

TEST_ARGS = [
    "-m",
    "pytest",
    "tests",
    "chapters",
    # one worker per CPU this process may use (pytest-xdist); a notebook's cells share a kernel,
    # so each file stays on one worker
    "--dist",
    "loadfile",
    "--nbval-lax",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    "nbval_sanitize.cfg",
]
BOOK_ARGS = ["build", ".", "-W", "-n", "--keep-going"]
#: jupyter-book's own command line, with Sphinx reading (executing) the pages in parallel
JB_PARALLEL = "scripts/jupyter_book_parallel.py"
#: the Python sources kept in ruff's format (the labs are linted, not reformatted)
FORMATTED = ["dlinv", "tests", "checks", "scripts", "_ext", "tasks.py"]


def say(msg: str) -> None:
    print(f"[tasks] {msg}", flush=True)


def env() -> dict:
    """The environment for everything that starts Jupyter kernels: the venv first on PATH."""
    e = dict(os.environ)
    e["PATH"] = str(BIN) + os.pathsep + e.get("PATH", "")
    e["VIRTUAL_ENV"] = str(VENV)
    e.pop("PYTHONHOME", None)
    return e


def run(args: list, **kw) -> int:
    say("+ " + " ".join(str(a) for a in args))
    return subprocess.run([str(a) for a in args], cwd=ROOT, env=env(), **kw).returncode


def check(args: list, **kw) -> None:
    rc = run(args, **kw)
    if rc != 0:
        raise SystemExit(rc)


def requirements_hash() -> str:
    h = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def venv() -> None:
    """Create .venv and install requirements.txt (with dlinv editable) if needed."""
    if sys.version_info < MIN_PYTHON:
        raise SystemExit(
            f"Python {'.'.join(map(str, MIN_PYTHON))} or newer is needed; this is "
            f"{sys.version.split()[0]}. Run tasks.py with a newer python."
        )
    if PY.exists() and STAMP.exists() and STAMP.read_text() == requirements_hash():
        return
    if not PY.exists():
        say(f"creating the virtual environment {VENV.name}/ with Python {sys.version.split()[0]}")
        import venv as _venv

        try:
            _venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # e.g. Debian without python3-venv
            shutil.rmtree(VENV, ignore_errors=True)
            raise SystemExit(
                f"could not create {VENV.name}/ ({exc}); on Debian/Ubuntu: "
                "apt-get install python3-venv"
            ) from exc
    check([PY, "-m", "pip", "install", "--disable-pip-version-check", "-r", "requirements.txt"])
    # a python3 kernelspec inside the venv: Jupyter prefers it over user-level kernelspecs,
    # so the book build, nbval and JupyterLab all run the venv's Python
    check(
        [
            PY,
            "-m",
            "ipykernel",
            "install",
            "--sys-prefix",
            "--name",
            "python3",
            "--display-name",
            "Python 3 (ipykernel)",
        ]
    )
    STAMP.write_text(requirements_hash())


def cpus() -> int:
    """The CPUs this process may really use (affinity and cgroup quota), from dlinv."""
    out = subprocess.run(
        [str(PY), "-c", "from dlinv._threads import available_cpus; print(available_cpus())"],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip().isdigit() else 1


def assets(required: bool = True) -> bool:
    """Fetch MathJax and the widget JS into _offline/ with npm; optional for the book."""
    if ASSETS_MARKER.exists():
        return True
    if shutil.which("npm") is None:
        if required:
            raise SystemExit("npm is needed for the offline assets (install node/npm)")
        say(
            "npm not found: the book's pages will load MathJax and the widget JavaScript from "
            "their CDN (fine for reading online; run `python tasks.py assets` with npm for a "
            "site that works offline)"
        )
        return False
    check([sys.executable, "scripts/fetch_offline_assets.py"])
    return True


def book() -> None:
    """Clean build of the public book, every notebook executed, warnings as errors."""
    venv()
    assets(required=False)
    # a clean build: the execution cache (_build/.jupyter_cache) keys on the cells' code only, so
    # it is emptied too and every notebook runs against the current dlinv
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    t = time.time()
    rc = run([PY, JB_PARALLEL, *BOOK_ARGS])
    if rc != 0:
        for log in sorted((ROOT / "_build" / "html" / "reports").rglob("*.err.log")):
            print(f"===== notebook execution report: {log}\n{log.read_text()}")
        raise SystemExit(f"book: FAILED (exit {rc}); warnings are errors (-W), see the log above")
    say(f"book built in {time.time() - t:.0f} s. Open: {ROOT / '_build' / 'html' / 'index.html'}")


def pdf() -> None:
    """The PDF edition through LaTeX (xelatex), checked, and linked from the site. Run it after
    ``book``: it reuses the notebooks that build executed (the execution cache)."""
    venv()
    rc = run([PY, JB_PARALLEL, "build", ".", "--builder", "pdflatex"])
    if rc != 0:
        log = ROOT / "_build" / "latex" / "dlinv-course.log"
        if log.exists():
            errors = [
                line
                for line in log.read_text(errors="replace").splitlines()
                if line.startswith("!")
            ]
            print("\n".join(errors[:20]))
        raise SystemExit(f"pdf: FAILED (exit {rc})")
    built = ROOT / "_build" / "latex" / "dlinv-course.pdf"
    html = ROOT / "_build" / "html"
    if html.is_dir():
        shutil.copy2(built, html / built.name)  # the site links to it (intro page)
    check([PY, "scripts/check_pdf.py", built, html])


def test() -> None:
    """Every test: dlinv's unit tests and every notebook (nbval), then ruff."""
    venv()
    rc = run([PY, *TEST_ARGS, "-n", str(cpus())])
    if rc == 5:
        say("pytest collected NO tests (exit 5)")
    if rc != 0:
        raise SystemExit(rc)
    ruff = BIN / ("ruff.exe" if os.name == "nt" else "ruff")
    check([ruff, "check", "."])
    check([ruff, "format", "--check", *FORMATTED])


def lint() -> None:
    """ruff: lint (the labs at 79 columns) and the format of the Python sources."""
    venv()
    ruff = BIN / ("ruff.exe" if os.name == "nt" else "ruff")
    check([ruff, "check", "."])
    check([ruff, "format", "--check", *FORMATTED])


def site_check() -> None:
    """Browser checks of the built book (needs Chromium and a build with the offline assets)."""
    venv()
    rc = run([PY, "-m", "pytest", "checks", "-v"])
    if rc == 5:
        say("site-check collected NO tests (exit 5)")
    if rc != 0:
        raise SystemExit(rc)


def lab() -> None:
    venv()
    check([BIN / "jupyter", "lab"])


def bench() -> None:
    venv()
    check([PY, "-m", "dlinv.bench"])
    check([PY, "-m", "dlinv.bench_widgets", "--threads"])


def script(name: str):
    def task() -> None:
        venv()
        check([PY, f"scripts/{name}.py"])

    task.__doc__ = f"run scripts/{name}.py"
    return task


def clean() -> None:
    """Remove build output and caches (not .venv or _offline)."""
    for p in ("_build", ".pytest_cache", ".hypothesis", ".ruff_cache"):
        shutil.rmtree(ROOT / p, ignore_errors=True)
    for p in ROOT.rglob("__pycache__"):
        if VENV not in p.parents:
            shutil.rmtree(p, ignore_errors=True)


TASKS = {
    "venv": venv,
    "assets": assets,
    "book": book,
    "pdf": pdf,
    "test": test,
    "site-check": site_check,
    "lab": lab,
    "bench": bench,
    "clean": clean,
    "student": script("make_student"),
    "instructor": script("make_instructor"),
    "lint": lint,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in TASKS:
        print(__doc__)
        print("commands: " + ", ".join(TASKS))
        return 2
    TASKS[argv[1]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
