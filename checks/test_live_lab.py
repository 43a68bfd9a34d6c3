"""A real client drives the explorer: JupyterLab + headless Chromium on the Chapter 9 lab.

The test starts JupyterLab on loopback (127.0.0.1, a free port, token auth, ``--no-browser``) in a
private temporary folder holding a copy of ``chapters/09-explorer/lab.ipynb`` (so nothing is
written back to the repository), opens the notebook in Debian's chromium driven by playwright,
runs every cell through the Run menu, presses ArrowRight on the handle of the first explorer's
width slider, and asserts that its readout and its figure change. Then it shuts the server down
through its REST API (which also stops the kernel) and ends any process that still carries the
test's private runtime folder on its command line.

Needs ``jupyterlab`` (not in requirements.txt; ``make lab`` installs it), ``playwright`` and
/usr/bin/chromium. Locally a missing piece skips the test; with DLINV_REQUIRE_SITE=1 or CI=true
the skip is a failure (checks/conftest.py). No network beyond loopback: the update check and the
news feed of JupyterLab are switched off. Target runtime: under a minute.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import CHROMIUM

BOOK = Path(__file__).resolve().parents[1]
LAB = BOOK / "chapters" / "09-explorer" / "lab.ipynb"
SCREENSHOTS = BOOK / "_build" / "screenshots"
SERVER_START_TIMEOUT = 90  # s
RUN_ALL_TIMEOUT = 180  # s, the lab itself runs in about 20 s
REACT_TIMEOUT = 30  # s, for one slider change (the target is 1 s)

# JupyterLab user settings for the private settings folder: render every cell (no windowing, so
# every prompt and output is in the DOM), start the notebook's kernel without asking (on a loaded
# machine the kernel list can arrive after the notebook, and JupyterLab then asks) and never fetch news.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(port: int, token: str, path: str, method: str = "GET", timeout: float = 5.0):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        headers={"Authorization": f"token {token}"},
        data=b"" if method == "POST" else None,
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
        return r.status, (json.loads(body) if body else None)


def _pids_with(marker: str) -> list[int]:
    """Processes whose command line contains ``marker`` (the test's private folder)."""
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "cmdline").read_bytes().decode(errors="replace"):
                out.append(int(proc.name))
        except OSError:
            continue
    return [p for p in out if p != os.getpid()]


@pytest.fixture
def jupyterlab_server(tmp_path):
    if not LAB.is_file():
        pytest.skip(f"{LAB} missing")
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip(
            "jupyterlab is not installed (it is not in requirements.txt; `make lab` installs it)"
        )
    if not CHROMIUM.exists():
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed (pip install -r requirements.txt)")
    root = tmp_path / "work"
    root.mkdir()
    shutil.copy(LAB, root / "lab.ipynb")
    dirs = {
        k: tmp_path / v
        for k, v in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("IPYTHONDIR", "ipython"),
        )
    }
    for d in dirs.values():
        d.mkdir()
    for rel, value in LAB_SETTINGS.items():
        f = dirs["JUPYTERLAB_SETTINGS_DIR"] / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value), encoding="utf-8")
    env = {
        **os.environ,
        **{k: str(v) for k, v in dirs.items()},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI runs as root
    log = tmp_path / "server.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            cmd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    try:
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
                )
            try:
                if _api(port, token, "/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - t0 > SERVER_START_TIMEOUT:
                pytest.fail(
                    f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n"
                    f"{log.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.5)
        yield {"port": port, "token": token, "log": log}
    finally:
        try:
            _api(port, token, "/api/shutdown", method="POST")  # stops kernels, then the server
        except OSError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        # a kernel left behind would carry our private runtime folder in its command line
        leftovers = _pids_with(str(dirs["JUPYTER_RUNTIME_DIR"]))
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        assert not leftovers, f"processes left behind by the server (now killed): {leftovers}"


ALL_RAN = """() => {
  const prompts = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt'))
    .map(p => p.textContent.trim());
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
}"""
STATE = """() => {
  const ex = document.querySelector('.dlinv-explorer');
  if (!ex) return null;
  const r = ex.querySelector('.dlinv-readout'), img = ex.querySelector('img');
  return {readout: r ? r.textContent : '', src: img ? img.getAttribute('src') : ''};
}"""


ERRORS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output'))
  .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.error'
               || (['text/plain', 'application/vnd.jupyter.stdout',
                    'application/vnd.jupyter.stderr'].includes(o.getAttribute('data-mime-type'))
                   && /Traceback|Error:/.test(o.textContent)))
  .map(o => o.textContent.slice(0, 2000))"""
PROMPTS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt'))
  .map(p => p.textContent.trim())"""


def _accept_kernel_dialog(page, wait_ms: int = 1500):
    """If JupyterLab asks which kernel to start, accept its proposal (the notebook's python3)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    try:
        dialog.wait_for(state="visible", timeout=wait_ms)
    except Exception:  # noqa: BLE001 - no dialog: nothing to do
        return
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    dialog.wait_for(state="hidden")


def _diagnose(page, what: str):
    """Fail with the prompts, the error outputs and a screenshot of the notebook."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "live-lab-failure.png"
    try:
        page.screenshot(path=str(shot), full_page=True)
    except Exception:  # noqa: BLE001 - the diagnosis must not hide the failure
        pass
    pytest.fail(
        f"{what}; prompts: {page.evaluate(PROMPTS)}; errors: {page.evaluate(ERRORS)}; "
        f"screenshot: {shot}"
    )


def test_live_explorer(jupyterlab_server, chromium):
    srv = jupyterlab_server
    url = f"http://127.0.0.1:{srv['port']}/lab/tree/lab.ipynb?token={srv['token']}"
    js_errors = []
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("pageerror", lambda err: js_errors.append(str(err)))
        page.goto(url)
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell")
        _accept_kernel_dialog(page)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        _accept_kernel_dialog(page)

        # Run > Run All Cells, as a reader would
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        t0 = time.monotonic()
        try:
            page.wait_for_function(
                f"() => ({ALL_RAN})() || ({ERRORS})().length > 0",
                timeout=RUN_ALL_TIMEOUT * 1000,
                polling=500,
            )
        except Exception:
            _diagnose(page, "run all cells did not finish")
        ran = time.monotonic() - t0
        if page.evaluate(ERRORS):
            _diagnose(page, "a cell of the lab raised an error in JupyterLab")
        page.wait_for_function(
            f"() => {{ const s = ({STATE})(); return s && s.readout && s.src; }}"
        )
        before = page.evaluate(STATE)
        assert "w = 64" in before["readout"], before["readout"]

        # keyboard on the width slider's handle: one step right (64 -> 128)
        explorer = page.locator(".dlinv-explorer").first
        explorer.scroll_into_view_if_needed()
        handle = explorer.locator(".widget-slider .noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        t1 = time.monotonic()
        page.wait_for_function(
            f"(old) => {{ const s = ({STATE})(); return s && s.readout !== old.readout "
            f"&& s.src !== old.src; }}",
            arg=before,
            timeout=REACT_TIMEOUT * 1000,
        )
        reacted = time.monotonic() - t1
        after = page.evaluate(STATE)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        explorer.screenshot(path=str(SCREENSHOTS / "live-lab-explorer.png"))
    finally:
        context.close()
    assert "w = 128" in after["readout"], after["readout"]
    assert "Invalid" not in after["readout"] and "went wrong" not in after["readout"]
    assert [e for e in js_errors if "ResizeObserver" not in e] == [], js_errors
    print(f"\nrun all cells: {ran:.1f} s; slider change to new readout and figure: {reacted:.2f} s")
