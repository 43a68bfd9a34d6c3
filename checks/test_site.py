"""Browser checks of the built book, one test per page of _toc.yml.

For every page listed in _toc.yml (root included), in Debian's chromium driven by playwright:

* the page loads from file:// with no JavaScript errors (except the known sphinx-thebe one)
  and no missing local resources;
* MathJax finished typesetting: no raw TeX delimiters left in the text outside code, no
  MathJax errors or undefined macros, and at least one typeset formula if the page has math;
* every <img> loaded (complete, naturalWidth > 0);
* every prf:theorem / prf:lemma / ... / prf:proof and exercise / solution directive of the
  page's source became a box of the matching class in the HTML;
* saved ipywidgets render;
* (warning only) display equations wider than the text column are listed;
* nothing clipped (issue 15 item 5): no output block scrolls horizontally at 1280 px (every
  <details> opened); clipped code blocks are counted, at most MAX_CLIPPED_CODE book-wide;
* alt text (issue 12 item 2): every image of the article (notebook outputs included) has a
  meaningful alt text (not empty, not the file name that Sphinx puts there by default);
* figures: every image output of a notebook page sits in a numbered figure (myst-nb figure
  metadata), unless it is an animation frame, drawn by a widget (a snapshot of an explorer) or
  its cell is tagged `no-figure`; report-only
  until REQUIRE_FIGURES (or DLINV_REQUIRE_FIGURES=1);
* a full-page screenshot is saved to _build/screenshots/<page path with / -> __>.png.

Plus: the self-check quiz of every lab with a quiz.json answers offline (one question answered
wrongly, one rightly, both kinds of feedback seen); notebook pages carry working Binder / Colab /
Thebe launch buttons (static HTML check). The counts are printed at the end of the run and saved
to _build/site-check/report.json.

"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections import Counter
from pathlib import Path

import pytest
import yaml

# DLINV_SITE_BOOK: check another book's build (e.g. a tiny test book), default this repository
BOOK = Path(os.environ.get("DLINV_SITE_BOOK") or Path(__file__).resolve().parents[1]).resolve()
HTML = BOOK / "_build" / "html"
SCREENSHOTS = BOOK / "_build" / "screenshots"

SOURCE_SUFFIXES = (".md", ".ipynb", ".rst")
PROOF_TYPES = (
    "theorem",
    "lemma",
    "definition",
    "proposition",
    "corollary",
    "remark",
    "conjecture",
    "example",
    "property",
    "observation",
    "axiom",
    "criterion",
    "algorithm",
    "assumption",
    "notation",
)
# directives whose body is literal text: a fence inside them does not open a block
LITERAL_DIRECTIVES = {
    "code-cell",
    "code-block",
    "code",
    "sourcecode",
    "raw",
    "math",
    "literalinclude",
    "bibliography",
}


# ---- what the book should contain --------------------------------------------------------
def toc_docnames(toc_path: Path = BOOK / "_toc.yml") -> list[str]:
    """Every document of the toc, root first, in toc order (globs expanded, urls ignored)."""
    if not toc_path.is_file():
        return []
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    names: list[str] = [toc["root"]]

    def walk(node):
        if isinstance(node, list):
            for x in node:
                walk(x)
        elif isinstance(node, dict):
            if isinstance(node.get("file"), str):
                names.append(node["file"])
            if isinstance(node.get("glob"), str):
                names.extend(
                    sorted(
                        str(p.relative_to(BOOK))
                        for p in BOOK.glob(node["glob"])
                        if p.suffix in SOURCE_SUFFIXES
                    )
                )
            for key, value in node.items():
                if key not in ("file", "glob", "url"):
                    walk(value)

    walk({k: v for k, v in toc.items() if k != "root"})
    out = []
    for name in names:
        name = name[: -len(Path(name).suffix)] if Path(name).suffix in SOURCE_SUFFIXES else name
        if name not in out:
            out.append(name)
    return out


def source_of(docname: str) -> Path | None:
    for suffix in SOURCE_SUFFIXES:
        p = BOOK / f"{docname}{suffix}"
        if p.is_file():
            return p
    return None


def markdown_text(src: Path) -> str:
    """The Markdown a page is written in (the markdown cells of a notebook)."""
    if src.suffix == ".ipynb":
        nb = json.loads(src.read_text(encoding="utf-8"))
        cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"]
        return "\n\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells
        )
    return src.read_text(encoding="utf-8")


def is_notebook(src: Path) -> bool:
    if src.suffix == ".ipynb":
        return True
    head = src.read_text(encoding="utf-8")[:2000]
    return (
        src.suffix == ".md" and head.startswith("---") and ("jupytext" in head or "mystnb" in head)
    )


FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")
DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}")


def directive_counts(text: str) -> Counter:
    """How often each MyST directive is used, ignoring anything inside literal code blocks."""
    counts: Counter = Counter()
    stack: list[tuple[str, int, bool]] = []  # (fence char, fence length, literal body?)
    for line in text.splitlines():
        m = FENCE.match(line)
        if not m:
            continue
        fence, info = m["fence"], m["info"]
        if stack and stack[-1][0] == fence[0] and len(fence) >= stack[-1][1] and not info:
            stack.pop()
            continue
        if stack and stack[-1][2]:
            continue  # a fence-like line inside a code block
        d = DIRECTIVE.match(info)
        name = d["name"] if d else None
        if name:
            counts[name] += 1
        stack.append((fence[0], len(fence), name is None or name in LITERAL_DIRECTIVES))
    return counts


PAGES = toc_docnames()
NOTEBOOK_PAGES = [p for p in PAGES if (s := source_of(p)) is not None and is_notebook(s)]


def html_of(docname: str) -> Path:
    return HTML / f"{docname}.html"


# ---- the checks ------------------------------------------------------------------------------
def test_toc_pages_exist(site):
    """The toc is readable, every entry has a source file and a built page."""
    assert PAGES, "no pages found in _toc.yml"
    missing_src = [p for p in PAGES if source_of(p) is None]
    assert not missing_src, f"toc entries without a source file: {missing_src}"
    missing_html = [p for p in PAGES if not html_of(p).is_file()]
    assert not missing_html, f"toc entries not built (run `make book`): {missing_html}"


WAIT_FOR_MATHJAX = """async () => {
  if (!window.MathJax || !window.MathJax.startup || !window.MathJax.startup.promise) return false;
  await window.MathJax.startup.promise;
  return true;
}"""

# Text of the page without code, scripts and typeset math: raw TeX must not survive here.
TEXT_OUTSIDE_CODE = """() => {
  const root = document.body.cloneNode(true);
  root.querySelectorAll('pre, code, kbd, samp, script, style, textarea, .highlight, '
      + 'mjx-container, mjx-assistive-mml').forEach(e => e.remove());
  return root.textContent;
}"""

MATH_ERRORS = """() => {
  const errs = Array.from(document.querySelectorAll('mjx-merror'))
    .map(e => 'error: ' + (e.getAttribute('data-mjx-error') || e.textContent));
  // MathJax's noundefined package shows an unknown macro as red text "\\name"
  const undef = Array.from(document.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]'))
    .map(e => 'undefined macro: ' + e.textContent);
  return errs.concat(undef);
}"""

LOAD_IMAGES = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null
      : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
}"""

COUNT_PROOFS = """(types) => {
  const boxes = Array.from(document.querySelectorAll('div.proof.admonition'));
  const out = {proof: boxes.filter(b => !types.some(t => b.classList.contains(t))).length};
  for (const t of types) out[t] = boxes.filter(b => b.classList.contains(t)).length;
  out.exercise = document.querySelectorAll('div.exercise.admonition').length;
  out.solution = document.querySelectorAll('div.solution.admonition').length;
  out.titles = boxes.filter(b => types.some(t => b.classList.contains(t))).map(b => {
    const title = b.querySelector('.admonition-title');
    return [Array.from(b.classList).find(c => types.includes(c)), title ? title.textContent : ''];
  });
  return out;
}"""

# display equations wider than the text column: MathJax makes them scroll sideways (and the
# screenshot cuts them off). Reported as a warning, not a failure: split or align them.
WIDE_MATH = """() => Array.from(document.querySelectorAll('mjx-container[display="true"]'))
  .map((mj, i) => [mj, i]).filter(([mj]) => mj.scrollWidth > mj.clientWidth + 2)
  .map(([mj, i]) => (mj.closest('[id]') ? mj.closest('[id]').id : '') + ` (display math #${i + 1}, `
       + `${mj.scrollWidth}px > ${mj.clientWidth}px)`)"""

RAW_TEX = (r"\(", r"\)", r"\[", r"\]", "$$", r"\begin{")
# an unrendered $...$ that is clearly TeX (contains a backslash, ^ or _), e.g. in a bib entry
INLINE_TEX = re.compile(r"\$[^$\n]{0,80}[\\^_][^$\n]{0,80}\$")
WIDGET = '.jupyter-widgets[class*="widget-"]'  # an element rendered by the widget manager
# matplotlib to_jshtml players (static fallbacks of the explorers): each must show a frame,
# have at least two frames, and change the frame on "Next frame"
ANIMATIONS = """async () => {
  const out = [];
  for (const div of document.querySelectorAll('div.animation')) {
    const img = div.querySelector('img'), slider = div.querySelector('input.anim-slider');
    const next = div.querySelector('button[title="Next frame"]');
    const first = img ? img.getAttribute('src') : null;
    if (next) next.click();
    await new Promise(r => setTimeout(r, 300));
    out.push({shows: !!(img && img.complete && img.naturalWidth > 0),
              frames: slider ? Number(slider.max) + 1 : 0,
              next_changes: !!(img && img.getAttribute('src') !== first)});
  }
  return out;
}"""


# ---- clipped blocks, alt text, numbered figures -----------------------------------------------
MAX_CLIPPED_CODE = 10  # book-wide (issue 15: "at most 10 clipped code blocks")
REQUIRE_FIGURES = os.environ.get("DLINV_REQUIRE_FIGURES", "").strip() == "1"

# Opens every <details> (hidden solution code, hidden cells), then lists the blocks whose
# content is wider than the box (scrollWidth > clientWidth + 1). An output block is a child of
# a notebook cell's output area: it counts once if it or anything inside it scrolls. A code block
# is any other <pre> of the article (cell sources, code in the text).
CLIPPED = """() => {
  const article = document.querySelector('article.bd-article') || document.body;
  article.querySelectorAll('details').forEach(d => { d.open = true; });
  // a block of text that scrolls; tiny controls inside widgets (a few px of a checkbox) are not text
  const scrolls = e => e.clientWidth > 40 && e.scrollWidth > e.clientWidth + 1;
  const where = e => { const s = e.closest('section[id]'); return s ? '#' + s.id : ''; };
  const longest = e => (e.textContent || '').split('\\n')
      .reduce((a, b) => (b.length > a.length ? b : a), '').trim().slice(0, 70);
  const describe = e => ({where: where(e), width: e.scrollWidth, box: e.clientWidth,
                          line: longest(e)});
  const output = [], code = [];
  for (const block of article.querySelectorAll('.cell_output > *')) {
    const inner = [block, ...block.querySelectorAll('pre, table, div, img, svg')];
    const hit = inner.find(scrolls);
    if (hit) output.push(describe(hit));
  }
  for (const pre of article.querySelectorAll('pre')) {
    if (pre.closest('.cell_output')) continue;
    if (scrolls(pre)) code.push(describe(pre));
  }
  return {output, code};
}"""

IMAGES = """() => {
  const article = document.querySelector('article.bd-article') || document.body;
  return Array.from(article.querySelectorAll('img')).map(img => {
    const fig = img.closest('figure');
    const s = img.closest('section[id]');
    return {src: img.getAttribute('src') || '', alt: img.getAttribute('alt'),
            where: s ? '#' + s.id : '',
            output: !!img.closest('.cell_output'),
            numbered: !!(fig && fig.querySelector('figcaption .caption-number')),
            widget: !!img.closest('.jupyter-widgets'),
            exempt: !!(img.closest('div.animation') || img.closest('.tag_no-figure')
                       || img.closest('.jupyter-widgets'))};
  });
}"""

IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)


def bad_alt(img: dict) -> bool:
    """No alt, an empty one, or the file name Sphinx writes when the source gave none."""
    alt = (img["alt"] or "").strip()
    src = img["src"]
    return (
        not alt
        or alt == src
        or alt == src.rsplit("/", 1)[-1]
        or bool(IMAGE_FILE.search(alt))
        or alt.startswith("data:")
    )


def short_src(src: str) -> str:
    return src[:40] + "..." if src.startswith("data:") else src.rsplit("/", 1)[-1]


@pytest.mark.parametrize("docname", PAGES)
def test_page(tab, docname, site_report):
    html_file = html_of(docname)
    assert html_file.is_file(), f"{html_file} not built"
    html = html_file.read_text(encoding="utf-8")
    src = source_of(docname)
    page = tab.page

    # -- load, let widgets, MathJax and images settle, take the screenshot ---------------------
    page.goto(html_file.as_uri(), wait_until="load")
    n_views = html.count('type="application/vnd.jupyter.widget-view+json"')
    widget_error = None
    if n_views:
        try:
            page.wait_for_selector(WIDGET, timeout=20_000)
        except Exception as err:  # report after the screenshot
            widget_error = err
    mathjax_ran = page.evaluate(WAIT_FOR_MATHJAX)
    broken = page.evaluate(LOAD_IMAGES)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{docname.replace('/', '__')}.png"), full_page=True)

    # -- measured on every page before any assertion, reported book-wide ------------------------
    clipped = page.evaluate(CLIPPED)
    images = page.evaluate(IMAGES)
    is_nb = src is not None and is_notebook(src)
    unfigured = [
        f"{short_src(i['src'])} in {i['where']}"
        for i in images
        if is_nb and i["output"] and not i["numbered"] and not i["exempt"]
    ]
    site_report["measured"].append(docname)
    fmt = "{where}: {width}px > {box}px: {line!r}"
    for key, items in (
        ("clipped_output", [fmt.format(**c) for c in clipped["output"]]),
        ("clipped_code", [fmt.format(**c) for c in clipped["code"]]),
        ("unfigured", unfigured),
    ):
        if items:
            site_report[key][docname] = items

    # -- math ------------------------------------------------------------------------------
    if 'class="math notranslate nohighlight"' in html:
        assert mathjax_ran, "page has math but MathJax did not load (run `make assets`?)"
        assert page.locator("mjx-container").count() > 0, "page has math but nothing was typeset"
    assert page.evaluate(MATH_ERRORS) == []
    text = page.evaluate(TEXT_OUTSIDE_CODE)
    leftovers = {tok: text.count(tok) for tok in RAW_TEX if tok in text}
    leftovers.update({m: 1 for m in INLINE_TEX.findall(text)})
    if leftovers:
        i = min(text.find(tok) for tok in leftovers)
        pytest.fail(
            f"raw TeX left in the page {leftovers}, e.g. ...{text[max(0, i - 80) : i + 80]!r}..."
        )

    wide = page.evaluate(WIDE_MATH)
    if wide:
        warnings.warn(
            f"{docname}: display math wider than the text column at "
            f"{page.viewport_size['width']}px (readers must scroll): {'; '.join(wide)}"
        )

    # -- images ----------------------------------------------------------------------------
    assert broken == [], f"images that did not load: {broken}"

    # -- theorem / proof / exercise boxes ----------------------------------------------------
    if src is not None:
        used = directive_counts(markdown_text(src))
        expected = {t: used[f"prf:{t}"] for t in PROOF_TYPES if used[f"prf:{t}"]}
        if used["prf:proof"]:
            expected["proof"] = used["prf:proof"]
        for name in ("exercise", "solution"):
            if used[name]:
                expected[name] = used[name]
        if expected:
            found = page.evaluate(COUNT_PROOFS, list(PROOF_TYPES))
            got = {k: found[k] for k in expected}
            assert got == expected, (
                f"directive boxes in the HTML {got} != directives in {src.name} {expected}"
            )
            for typ, title in found["titles"]:
                assert title.strip().lower().startswith(typ), f"{typ} box titled {title!r}"

    # -- widgets ---------------------------------------------------------------------------
    if n_views:
        assert widget_error is None, (
            f"no widget rendered from the saved widget state: {widget_error}"
        )
        rendered = page.locator(WIDGET).count()
        assert rendered >= n_views, (
            f"{n_views} saved widget views, {rendered} widget elements rendered"
        )

    # -- animation players -----------------------------------------------------------------
    n_anim = html.count('<div class="animation">')
    if n_anim:
        players = page.evaluate(ANIMATIONS)
        assert len(players) == n_anim, (
            f"{n_anim} animation players in the HTML, {len(players)} on the page"
        )
        for i, pl in enumerate(players):
            assert pl["shows"] and pl["frames"] >= 2 and pl["next_changes"], (
                f"animation player #{i + 1} does not work: {pl}"
            )

    # -- errors --------------------------------------------------------------------------------
    assert tab.failed_local == [], f"local resources that failed to load: {tab.failed_local}"
    assert tab.js_errors == [], f"JavaScript errors: {tab.js_errors}"

    # -- alt text, clipped output, figures ----------------------------------------------------
    no_alt = [
        f"{short_src(i['src'])} in {i['where']} (alt={i['alt']!r})" for i in images if bad_alt(i)
    ]
    assert not no_alt, (
        f"{len(no_alt)} image(s) without a meaningful alt text (notebook "
        "figures: cell metadata mystnb.image.alt): " + "; ".join(no_alt)
    )
    if clipped["output"]:
        pytest.fail(
            f"{len(clipped['output'])} output block(s) scroll horizontally at "
            f"{page.viewport_size['width']}px (wrap or shorten the printed lines): "
            + "; ".join(site_report["clipped_output"][docname])
        )
    if unfigured:
        msg = (
            f"{docname}: {len(unfigured)} notebook image(s) outside a numbered figure "
            "(cell metadata mystnb.figure, or tag the cell no-figure): " + "; ".join(unfigured)
        )
        if REQUIRE_FIGURES:
            pytest.fail(msg)
        warnings.warn(msg)


def test_clipped_code_blocks_book_wide(site_report):
    """At most MAX_CLIPPED_CODE code blocks scroll horizontally in the whole book."""
    missing = [p for p in PAGES if p not in site_report["measured"]]
    if missing:
        pytest.skip(f"pages not measured (run the whole site check): {missing}")
    clipped = {p: v for p, v in site_report["clipped_code"].items()}
    total = sum(len(v) for v in clipped.values())
    listing = "\n".join(f"  {p}: {c}" for p, v in sorted(clipped.items()) for c in v)
    print(f"clipped code blocks: {total}\n{listing}")
    assert total <= MAX_CLIPPED_CODE, (
        f"{total} code blocks scroll horizontally at 1280 px (at most {MAX_CLIPPED_CODE}): "
        f"keep code lines <= 79 characters\n{listing}"
    )


# ---- self-check quizzes (issue 10 item 4) ------------------------------------------------------
def quiz_file(docname: str) -> Path | None:
    src = source_of(docname)
    if src is None or not is_notebook(src):
        return None
    q = src.parent / "quiz.json"
    return q if q.is_file() else None


QUIZ_PAGES = [p for p in NOTEBOOK_PAGES if quiz_file(p) is not None]
QUIZ_ROOT = "div[data-shufflequestions]"  # jupyterquiz's container (dlinv.quiz.show_quiz)
QUESTION_TYPES = ("multiple_choice", "many_choice", "numeric")


def numeric_answers(question: dict) -> tuple[str, str]:
    """(a right answer, a wrong answer) to type into a numeric question."""
    right = [a for a in question["answers"] if a.get("correct")]
    good = next((a for a in right if "value" in a), None)
    if good is not None:
        right_text = repr(float(good["value"]))
    else:
        lo, hi = next(a for a in right if "range" in a)["range"]
        right_text = repr((float(lo) + float(hi)) / 2)

    def is_right(x: float) -> bool:
        for a in right:
            if "value" in a:
                p = question.get("precision")
                v = float(a["value"])
                if (float(f"{x:.{p}g}") == float(f"{v:.{p}g}")) if p else x == v:
                    return True
            elif "range" in a and a["range"][0] <= x < a["range"][1]:
                return True
        return False

    wrong = next(x for x in (987654.0, -987654.0, 0.0, 1.0, -1.0, 3.5e12) if not is_right(x))
    return right_text, repr(wrong)


@pytest.mark.parametrize("docname", QUIZ_PAGES or [None])
def test_quiz(tab, docname):
    """Answer one question wrongly and one rightly; both kinds of feedback appear, offline."""
    if docname is None:
        pytest.skip("no lab has a quiz.json yet")
    questions = json.loads(quiz_file(docname).read_text(encoding="utf-8"))
    page = tab.page
    page.goto(html_of(docname).as_uri(), wait_until="load")
    page.wait_for_selector(f"{QUIZ_ROOT} .Quiz", timeout=20_000)
    root = page.locator(QUIZ_ROOT)
    assert root.count() == 1, f"{root.count()} quizzes on the page, expected 1"
    shown = root.locator(":scope > .Quiz")
    assert shown.count() == len(questions), (
        f"{shown.count()} questions shown, {len(questions)} in {quiz_file(docname).name}"
    )
    assert root.get_attribute("data-shufflequestions") == "False"
    shuffled = root.get_attribute("data-shuffleanswers") == "True"
    # question 1 answered wrongly, question 2 (or 1 again, if it is alone) rightly
    plan = [(0, False), (min(1, len(questions) - 1), True)]
    for index, right in plan:
        q = questions[index]
        box = shown.nth(index)
        assert q["question"].split()[0] in box.inner_text(), (
            f"question {index + 1} is not shown where expected"
        )
        if q["type"] in ("multiple_choice", "many_choice"):
            k = next(i for i, a in enumerate(q["answers"]) if bool(a.get("correct")) == right)
            answer = q["answers"][k]
            buttons = box.locator("label.MCButton")
            button = (
                buttons.filter(has_text=re.compile(rf"^\s*{re.escape(answer['answer'])}\s*$"))
                if shuffled
                else buttons.nth(k)
            )
            button.first.click()
            expected = answer["feedback"]
        else:
            right_text, wrong_text = numeric_answers(q)
            field_ = box.locator("input.Input-text")
            field_.click()
            field_.fill(right_text if right else wrong_text)
            field_.press("Enter")
            expected = None
        fb = box.locator(".Feedback")
        kind = "correct" if right else "incorrect"
        try:
            page.wait_for_function(
                "([el, k]) => el.classList.contains(k) && el.textContent.trim().length > 0",
                arg=[fb.element_handle(), kind],
                timeout=5_000,
            )
        except Exception:
            pytest.fail(
                f"question {index + 1} ({q['type']}) answered "
                f"{'rightly' if right else 'wrongly'}: no '{kind}' feedback, got "
                f"class={fb.get_attribute('class')!r} text={fb.inner_text()!r}"
            )
        if expected:
            want = " ".join(expected.split())[:40]
            got = " ".join(fb.inner_text().split())
            assert want in got, f"question {index + 1}: feedback {got!r}, expected {want!r}..."
    assert tab.js_errors == [], f"JavaScript errors: {tab.js_errors}"


def launch_urls(docname: str, src: Path) -> dict[str, str]:
    cfg = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    repo = cfg["repository"]["url"].rstrip("/")
    org_repo = repo.split("github.com/")[1]
    branch = cfg["repository"].get("branch", "main")
    path = "/".join(
        x
        for x in (cfg["repository"].get("path_to_book", "").strip("/"), f"{docname}{src.suffix}")
        if x
    )
    buttons = cfg["launch_buttons"]
    ui = "lab/tree/" if buttons.get("notebook_interface") == "jupyterlab" else "tree/"
    binder = buttons["binderhub_url"].rstrip("/")
    urls = {"Binder": f"{binder}/v2/gh/{org_repo}/{branch}?urlpath={ui}{path}"}
    if src.suffix == ".ipynb" and buttons.get("colab_url"):  # Colab opens .ipynb only
        urls["Colab"] = f"{buttons['colab_url'].rstrip('/')}/github/{org_repo}/blob/{branch}/{path}"
    return urls


@pytest.mark.parametrize("docname", NOTEBOOK_PAGES or [None])
def test_launch_buttons(site, docname):
    """Notebook pages offer Binder, Colab and Thebe (launch buttons exist on notebook pages
    only)."""
    if docname is None:
        pytest.skip("no notebook pages in _toc.yml")
    html = html_of(docname).read_text(encoding="utf-8")
    for name, url in launch_urls(docname, source_of(docname)).items():
        assert f'href="{url}"' in html, f"{name} launch link {url} missing"
    assert 'onclick="initThebeSBT()"' in html, "Thebe (live code) button missing"
