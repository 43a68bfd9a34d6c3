"""Browser check of the static explorers (dlinv.widgets.static), in Chromium, offline.

For every static explorer on every built page (and on a page generated here from small grids, so
the check also runs without a built book): wait until Vega has drawn it, then move EVERY slider to
EVERY one of its values (the others at their defaults) as a reader would (an ``input`` event on the
range input) and assert

* the data of every plotted mark (read back from the Vega scenegraph: the datum of every drawn
  item) equal the precomputed grid row of that setting (the grid embedded in the page), for the
  panels and the theory overlays alike, and differ from the previous setting's where the grid does;
* the readout line is that setting's readout, the slider's ``aria-valuetext`` its value;
* the redraw (from the input event to the next animation frame after Vega's run) takes at most
  ``REDRAW_MS`` milliseconds (a slow move is repeated up to ``RETRIES`` times and the fastest
  counts: the machine may be shared; the first tries are reported as well);
* no request left the machine for the explorers (the Vega JavaScript is inlined).

The redraw times are printed (``-s``) and written to ``_build/static-explorers-timing.json``.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1]
HTML = BOOK / "_build" / "html"
REDRAW_MS = 100.0
RETRIES = 2
MARKER = 'class="dlinv-static-explorer"'
TIMINGS: dict = {}


# ---- what each mark must show: (datum fields, expected tuples from the grid row) ---------------------
def _zip(*cols):
    if any(c is None for c in cols):
        return []
    return [t for t in zip(*cols) if all(v is not None for v in t)]


def _one(*vals):
    return [tuple(vals)] if all(v is not None for v in vals) else []


def _expect_training(row, spec):
    return {
        "train_curves_marks": (
            ["t", "value"],
            [t for c in ("on", "off", "off1", "loss") for t in _zip(row["t"], row[c])],
        ),
        "train_law_marks": (["law_t", "law"], _zip(row["law_t"], row["law"])),
        "train_limit_marks": (["limit"], _one(row["limit"])),
        "train_fit_marks": (["fit"], _one(row["fit"])),
        "train_sv_marks": (["svi", "sv"], _zip(row["svi"], row["sv"])),
        "train_oracle_marks": (["oi", "orw"], _zip(row["oi"], row["orw"])),
        "train_limw_marks": (["oi", "limw"], _zip(row["oi"], row["limw"])),
        "train_noise_measured_marks": (
            ["noise", "err"],
            [t for c in ("m_tr", "m_or", "m_pi") for t in _zip(row["noise"], row[c])],
        ),
        "train_noise_predicted_marks": (
            ["noise", "err"],
            [t for c in ("p_tr", "p_or", "p_pi") for t in _zip(row["noise"], row[c])],
        ),
    }


def _expect_tradeoff(row, spec):
    return {
        "tradeoff_err_marks": (["x", "err"], _zip(row["x"], row["err"])),
        "tradeoff_limit_marks": (["fine", "limit"], _zip(row["fine"], row["limit"])),
        "tradeoff_oracle_marks": (["oracle"], _one(row["oracle"])),
        "tradeoff_best_marks": (["best_x", "best_err"], _one(row["best_x"], row["best_err"])),
        "tradeoff_terms_marks": (
            ["x", "value"],
            [t for c in ("bias", "on_noise", "off_noise") for t in _zip(row["x"], row[c])],
        ),
    }


def _expect_collapse(row, spec):
    br = next(b for b in spec["datasets"]["branches"] if b["L"] == row["L"])
    branch = [
        (m, u)
        for c in ("u_glob", "u_plus", "u_minus")
        for m, u in _zip(br["mus"], br[c])
        if m <= row["mumax"]
    ]
    return {
        "collapse_f_marks": (["w", "f"], _zip(row["w"], row["f"])),
        "collapse_points_marks": (["pw", "pf"], _zip(row["pw"], row["pf"])),
        "collapse_oracle_marks": (["oracle"], _one(row["oracle"])),
        "collapse_cL_marks": (["cL"], _one(row["cL"])),
        "collapse_cs_marks": (["cs"], _one(row["cs"])),
        "collapse_mu_marks": (["mu"], _one(row["mu"])),
        "collapse_mu_point_marks": (["mu", "u"], _one(row["mu"], row["u"])),
        "collapse_branches_marks": (["mus", "u"], branch),
    }


EXPECT = {"training": _expect_training, "tradeoff": _expect_tradeoff, "collapse": _expect_collapse}

READ_MARKS = """([uid, wanted]) => {
  const view = window.dlinvStatic[uid];
  const out = {};
  for (const k of Object.keys(wanted)) out[k] = null;
  function walk(mark) {
    if (!mark) return;
    // Vega-Lite names the marks of a unit called "x" "x_marks" (or "x_0_marks" in a concat)
    const name = mark.name ? mark.name.replace(/_[0-9]+_marks$/, "_marks") : null;
    if (name && name in wanted) {
      out[name] = out[name] || [];
      for (const it of mark.items) {
        out[name].push(wanted[name].map(f => (it.datum && f in it.datum) ? it.datum[f] : null));
      }
    }
    for (const it of mark.items || []) {
      for (const child of it.items || []) walk(child);
    }
  }
  walk(view.scenegraph().root);
  return out;
}"""

MOVE = """async ([uid, name, value]) => {
  const el = document.getElementById(uid + "-" + name);
  const view = window.dlinvStatic[uid];
  const t0 = performance.now();
  el.value = String(value);
  el.dispatchEvent(new Event("input", {bubbles: true}));
  await view.runAsync();
  const tRun = performance.now() - t0;
  await new Promise(r => requestAnimationFrame(() => r()));
  return [tRun, performance.now() - t0];
}"""


def _close(a, b) -> bool:
    if len(a) != len(b):
        return False
    return all(math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-300) for x, y in zip(a, b))


def _same(actual, expected) -> bool:
    act = sorted(tuple(t) for t in actual if all(v is not None for v in t))
    exp = sorted(tuple(t) for t in expected)
    return len(act) == len(exp) and all(_close(a, e) for a, e in zip(act, exp))


def explorers_on(page) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.dlinv-static-explorer')).map(e => ({
        uid: e.id, kind: e.dataset.explorer,
        spec: JSON.parse(document.getElementById(e.id + '-spec').textContent),
        cfg: JSON.parse(document.getElementById(e.id + '-cfg').textContent)}))""")


def verify(ctx, key: str, previous: str | None = None) -> None:
    """The marks and the readout of explorer ``uid`` show the grid row ``key``."""
    page, label, uid, wanted, expect, rows, spec, cfg = ctx
    shown = page.evaluate(READ_MARKS, [uid, wanted])
    exp = expect(rows[key], spec)
    for mark, (_, tuples) in exp.items():
        assert shown[mark] is not None, f"{label} {uid}: mark {mark} not in the scenegraph"
        assert _same(shown[mark], tuples), (
            f"{label} {uid} at {key}: mark {mark} shows {len(shown[mark])} items that are not the "
            f"precomputed grid row ({len(tuples)} expected)"
        )
    if previous is not None and previous != key:
        old = expect(rows[previous], spec)
        changed = [m for m in exp if not _same(old[m][1], exp[m][1])]
        assert changed, f"{label} {uid}: the grid rows {previous} and {key} are identical?"
    readout = page.text_content(f"#{uid} .dlinv-readout")
    assert readout == cfg["readouts"][key], f"{label} {uid}: readout of {key} not shown"


def check_page(page, url: str, label: str) -> dict:
    """Open ``url`` and exercise every static explorer on it; returns {uid: [redraw ms]}."""
    remote, console_errors = [], []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: (
            remote.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None
        ),
    )
    page.goto(url, wait_until="load")
    found = explorers_on(page)
    assert found, f"{label}: no static explorer on the page"
    times = {}
    for ex in found:
        uid, spec, cfg = ex["uid"], ex["spec"], ex["cfg"]
        page.wait_for_function(
            "uid => window.dlinvStatic && window.dlinvStatic[uid]", arg=uid, timeout=30_000
        )
        rows = {r["key"]: r for r in spec["datasets"]["grid"]}
        names = [c["name"] for c in cfg["controls"]]
        current = [int(page.input_value(f"#{uid}-{n}")) for n in names]
        defaults = list(current)
        expect = EXPECT[ex["kind"]]
        wanted = {k: v[0] for k, v in expect(rows[",".join(map(str, current))], spec).items()}

        ctx = (page, label, uid, wanted, expect, rows, spec, cfg)
        verify(ctx, ",".join(map(str, current)))
        ms, first = [], []
        for i, c in enumerate(cfg["controls"]):
            n = c["name"]
            order = [v for v in range(len(c["values"])) if v != current[i]] + [defaults[i]]
            for v in order:
                before = ",".join(map(str, current))
                t_run, t_frame = page.evaluate(MOVE, [uid, n, v])
                first.append(t_frame)
                # on a shared machine one move can be delayed by other processes: a slow move is
                # repeated (back to the previous value and forth again, up to RETRIES times) and
                # the fastest counts, as latency benchmarks do; the first times are reported too
                for _ in range(RETRIES):
                    if t_frame <= REDRAW_MS:
                        break
                    page.evaluate(MOVE, [uid, n, current[i]])
                    t_run, t_frame = min(
                        (t_run, t_frame),
                        tuple(page.evaluate(MOVE, [uid, n, v])),
                        key=lambda x: x[1],
                    )
                current[i] = v
                key = ",".join(map(str, current))
                ms.append(t_frame)
                assert t_frame <= REDRAW_MS, (
                    f"{label} {uid}: moving {n} to {c['values'][v]} took "
                    f"{t_frame:.0f} ms (Vega run {t_run:.0f} ms) > {REDRAW_MS} ms"
                )
                assert page.get_attribute(f"#{uid}-{n}", "aria-valuetext") == c["values"][v]
                verify(ctx, key, before)
        times[uid] = (ms, first)
    mine = [
        e for e in console_errors if "vega" in e.lower() or "dlinv" in e.lower() or "TypeError" in e
    ]
    assert not mine, f"{label}: errors in the console: {mine}"
    vega_remote = [u for u in remote if "vega" in u.lower() or "jsdelivr" in u.lower()]
    assert not vega_remote, f"{label}: the explorers requested {vega_remote}"
    return times


def _report(label, times):
    for uid, (ms, first) in times.items():
        line = (
            f"{label} {uid}: {len(ms)} slider moves, redraw median {statistics.median(ms):.1f} ms, "
            f"max {max(ms):.1f} ms (first tries: median {statistics.median(first):.1f} ms, "
            f"max {max(first):.1f} ms)"
        )
        print(line)
        TIMINGS[f"{label} {uid}"] = {
            "moves": len(ms),
            "median_ms": statistics.median(ms),
            "max_ms": max(ms),
            "first_try_median_ms": statistics.median(first),
            "first_try_max_ms": max(first),
        }
    out = BOOK / "_build" / "static-explorers-timing.json"
    if out.parent.is_dir():
        out.write_text(json.dumps(TIMINGS, indent=1))


# ---- the tests --------------------------------------------------------------------------------------
def _built_pages() -> list[Path]:
    if not HTML.is_dir():
        return []
    return sorted(
        p
        for p in HTML.rglob("*.html")
        if "_static" not in p.parts
        and "_sources" not in p.parts
        and MARKER in p.read_text(encoding="utf-8", errors="ignore")
    )


@pytest.fixture(scope="module")
def standalone_page(tmp_path_factory):
    """A page with the three static explorers on small grids (no book build needed)."""
    from dlinv.widgets import static

    small_training = {"width": (2, 8, 32), "depth": (1, 3), "lam": (0.0, 0.03, 1.0)}
    exs = [
        static.static_training_explorer(grid=small_training, steps=200),
        static.static_tradeoff_explorer(
            grid={"steps": (100, 300), "noise": (0.0, 0.2), "depth": (1, 3)}
        ),
        static.static_collapse_explorer(),
    ]
    body = "\n".join(ex.to_html(include_js=(i == 0)) for i, ex in enumerate(exs))
    page = tmp_path_factory.mktemp("static") / "explorers.html"
    page.write_text(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>static explorers"
        f"</title></head><body style='width:760px'>{body}</body></html>",
        encoding="utf-8",
    )
    return page


@pytest.fixture
def offline_tab(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, offline=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, errors
    context.close()


def test_static_explorers_standalone(chromium, standalone_page):
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, offline=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        times = check_page(page, standalone_page.as_uri(), "standalone")
    finally:
        context.close()
    assert not errors, errors
    assert len(times) == 3
    _report("standalone", times)


@pytest.mark.parametrize(
    "page_path",
    _built_pages() or [None],
    ids=lambda p: str(p.relative_to(HTML)) if p else "no-built-page",
)
def test_static_explorers_on_built_pages(site, offline_tab, page_path):
    if page_path is None:
        pytest.skip("no built page with a static explorer (build the book first)")
    page, errors = offline_tab
    times = check_page(page, page_path.as_uri(), str(page_path.relative_to(site)))
    known = ("THEBE_JS_URL",)
    assert not [e for e in errors if not any(k in e for k in known)], errors
    size = page_path.stat().st_size
    assert size <= 5e6, f"{page_path}: {size / 1e6:.2f} MB > 5 MB"
    _report(str(page_path.relative_to(site)), times)
    print(f"{page_path.relative_to(site)}: {size / 1e6:.2f} MB")


def test_built_pages_have_the_three_explorers(site):
    kinds = set()
    for p in _built_pages():
        text = p.read_text(encoding="utf-8")
        for k in EXPECT:
            if f'data-explorer="{k}"' in text:
                kinds.add(k)
    assert kinds == set(EXPECT), f"static explorers found on the built site: {sorted(kinds)}"
