"""The rendered book in a real browser (headless Chromium driven by Selenium).

Run after building the book:

    jupyter-book build --all -W --keep-going .
    pytest -m browser tests/test_browser.py

The test serves a copy of ``_build/html`` on a loopback port, with MathJax served from
a local copy (``npm install --prefix _build/mathjax mathjax@3``; the test runs it when
missing) because the machines that test have no network. Screenshots of every page at
1280 px and 390 px go to ``_build/screenshots/``. Without Chromium, chromedriver or
selenium the test is skipped, except under CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import ast
import base64
import functools
import http.server
import json
import os
import re
import shutil
import socketserver
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
MATHJAX_DIR = ROOT / "_build" / "mathjax"
MATHJAX_JS = MATHJAX_DIR / "node_modules" / "mathjax" / "es5" / "tex-mml-chtml.js"
SKIP_PAGES = {"genindex.html", "search.html"}
# TeX that MathJax should have replaced: $$, \(, \[ or an inline $...$ pair.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\[|(?<![\w$])\$[^$\s][^$]*\$")


def _missing(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {why}")
    pytest.skip(why)


def pages() -> list[Path]:
    return sorted(
        p for p in HTML.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(HTML).parts) and p.name not in SKIP_PAGES
    )


# -- static checks of the built HTML (no browser needed) ---------------------------------
class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])


@functools.cache
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").exists():
        _missing("no built book: run `jupyter-book build --all -W --keep-going .` first")
    return HTML


def test_every_internal_link_and_anchor_resolves(site):
    broken = []
    for page in sorted(site.rglob("*.html")):
        if "_static" in page.parts:
            continue
        for href in _parse(page).hrefs:
            url = urlparse(href)
            if url.scheme or href.startswith(("mailto:", "javascript:")):
                continue
            path, frag = urldefrag(href)
            target = (page.parent / unquote(path)).resolve() if path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href} (no such file)")
            elif frag and target.suffix == ".html" and unquote(frag) not in _parse(target).ids:
                broken.append(f"{page.relative_to(site)} -> {href} (no such anchor)")
    assert not broken, "\n".join(broken)


def test_colab_buttons_point_to_each_chapter_notebook(site):
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = urlparse(cfg["repository"]["url"]).path.strip("/")
    branch = cfg["repository"].get("branch", "main")
    notebooks = sorted((ROOT / "book").glob("*.ipynb"))
    assert notebooks
    for nb in notebooks:
        page = site / "book" / f"{nb.stem}.html"
        expected = f"https://colab.research.google.com/github/{repo}/blob/{branch}/book/{nb.name}"
        assert expected in _parse(page).hrefs, f"{page.name}: no Colab button to {expected}"


PAGE_LIMIT = 5_000_000  # bytes: a chapter page with every image it shows


def page_weight(page: Path) -> int:
    """A page's HTML plus the local images it shows (the theme's shared files are not counted)."""
    html = page.read_text(encoding="utf-8")
    images = {(page.parent / unquote(src)).resolve() for src in re.findall(r'<img[^>]+src="([^":]+)"', html)}
    return len(html.encode()) + sum(p.stat().st_size for p in images if p.is_file())


def test_every_chapter_page_stays_under_the_size_limit(site):
    heavy = {p.name: page_weight(p) for p in sorted((site / "book").glob("*.html"))}
    assert heavy, "no chapter pages"
    over = {name: f"{w / 1e6:.2f} MB" for name, w in heavy.items() if w > PAGE_LIMIT}
    assert not over, f"pages over {PAGE_LIMIT / 1e6:.0f} MB: {over}"


def _calls(nb: Path) -> tuple[list[ast.Call], list[ast.Call]]:
    """The ``explorer(...)`` and ``twin(...)`` calls of a notebook's code cells."""
    found: dict[str, list[ast.Call]] = {"explorer": [], "twin": []}
    for cell in json.loads(nb.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in found:
                    found[name].append(node)
    return found["explorer"], found["twin"]


def test_every_explorer_has_its_twin_and_every_chapter_a_control(site):
    """Every ``explorer(...)`` of a chapter names its page grid, and the page shows one twin for
    each explorer and each ``twin(...)`` call; every chapter page has something to move: a
    twin, or at least an animation player."""
    problems = []
    for nb in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        explorers, direct = _calls(nb)
        for call in explorers:
            if "page" not in {k.arg for k in call.keywords}:
                problems.append(f"{nb.stem}: the explorer on line {call.lineno} of its cell has no page= (no twin)")
        html = (site / "book" / f"{nb.stem}.html").read_text(encoding="utf-8")
        twins = html.count('<figure class="twin"')
        if twins != len(explorers) + len(direct):
            problems.append(f"{nb.stem}: {len(explorers)} explorers and {len(direct)} twin() calls, "
                            f"but {twins} twins on the page")
        if not twins and 'class="animation"' not in html:
            problems.append(f"{nb.stem}: nothing on the page responds to a control without a kernel")
        ids = re.findall(r'<figure class="twin" id="([^"]+)"', html)
        if len(ids) != len(set(ids)):
            problems.append(f"{nb.stem}: two twins share an id")
    assert not problems, "\n".join(problems)


def test_every_chapter_with_figures_shows_them(site):
    """A figure cell (``plt.show()``) must leave an image on the page: a kernel under a
    non-interactive MPLBACKEND draws nothing, and the page silently loses every figure."""
    bare = []
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        sources = ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
        if any("plt.show()" in src for src in sources):
            html = (site / "book" / f"{nb.stem}.html").read_text(encoding="utf-8")
            if not re.search(r'<img[^>]+src="[^"]*_images/[^"]+\.(?:png|svg|jpg)"', html):
                bare.append(nb.stem)
    assert not bare, f"pages without a single figure image: {bare}"


# -- the browser ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(site, tmp_path_factory):
    """A copy of the site with MathJax from a local copy, served on 127.0.0.1."""
    if not MATHJAX_JS.exists() and shutil.which("npm"):
        subprocess.run(["npm", "install", "--silent", "--prefix", str(MATHJAX_DIR), "mathjax@3"], check=False)
    if not MATHJAX_JS.exists():
        _missing("no local MathJax 3 (npm install --prefix _build/mathjax mathjax@3)")
    root = tmp_path_factory.mktemp("site") / "html"
    shutil.copytree(site, root)
    shutil.copytree(MATHJAX_JS.parent, root / "_static" / "mathjax")  # the script and its fonts
    cdn = re.compile(r"https://cdn\.jsdelivr\.net/npm/mathjax@3/es5/tex-mml-chtml\.js")
    for page in root.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if cdn.search(text):
            depth = len(page.relative_to(root).parts) - 1
            page.write_text(cdn.sub("../" * depth + "_static/mathjax/tex-mml-chtml.js", text), encoding="utf-8")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep the test's output readable
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def driver():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install selenium)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        _missing("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(chromedriver), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _load(driver, url: str) -> None:
    driver.get(url)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const wait = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
        "  ? MathJax.startup.promise.then(() => done(true), () => done(false))"
        "  : (document.readyState === 'complete' ? setTimeout(() => done(null), 300) : setTimeout(wait, 100));"
        "wait();"
    )


def _full_page_screenshot(driver, path: Path, max_height: int = 30000) -> None:
    """The whole page (up to max_height CSS pixels), not only the viewport."""
    width, height = driver.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": min(height, max_height), "scale": 1},
    })
    path.write_bytes(base64.b64decode(shot["data"]))


def _js_errors(driver) -> list[str]:
    errors = []
    for entry in driver.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        msg = entry["message"]
        # The test machine is offline: a failed load of a resource on another host (e.g. an
        # optional CDN script) is the network's fault, not the page's. Everything served by
        # the book itself must load and run.
        external = re.search(r"https?://(?!127\.0\.0\.1)[^\s]+ - Failed to load resource", msg)
        if external or ("net::ERR_" in msg and "127.0.0.1" not in msg):
            continue
        errors.append(msg)
    return errors


def test_every_page_renders_cleanly(served, driver, site):
    from selenium.webdriver.common.by import By

    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for page in pages():
        rel = page.relative_to(site).as_posix()
        driver.set_window_size(1280, 900)
        _load(driver, f"{served}/{rel}")
        for msg in _js_errors(driver):
            problems.append(f"{rel}: JavaScript error: {msg}")
        # images have loaded and say what they show
        for img in driver.find_elements(By.CSS_SELECTOR, "article img"):
            src = img.get_attribute("src")
            if not driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img):
                problems.append(f"{rel}: image did not load: {src}")
            in_player = driver.execute_script("return !!arguments[0].closest('.animation')", img)
            alt = (img.get_attribute("alt") or "").strip()
            caption = driver.execute_script(
                "const f = arguments[0].closest('figure'); return f ? (f.querySelector('figcaption') || {}).textContent || '' : ''",
                img,
            ).strip()
            meaningful_alt = alt and not re.search(r"\.(png|svg|jpe?g|gif)$", alt, re.I)
            if not in_player and not (meaningful_alt or caption):
                problems.append(f"{rel}: image without alt text or caption: {src}")
        # math is typeset: MathJax output exists where there is math, no raw delimiters remain
        text = driver.execute_script(
            "const a = document.querySelector('article').cloneNode(true);"
            "a.querySelectorAll('pre, code, script, mjx-container, .highlight').forEach(e => e.remove());"
            "return a.textContent;"
        )
        raw = RAW_TEX.search(text)
        if raw:
            context = text[max(0, raw.start() - 40) : raw.end() + 40]
            problems.append(f"{rel}: raw TeX left untypeset: {context!r}")
        n_math = len(driver.find_elements(By.CSS_SELECTOR, "article .math"))
        n_typeset = len(driver.find_elements(By.CSS_SELECTOR, "article mjx-container"))
        if n_math and n_typeset < n_math:
            problems.append(f"{rel}: {n_math} math elements but {n_typeset} typeset by MathJax")
        # every visible code block fits its box at 1280 px (hidden cells, inside closed toggles, are exempt)
        wide = driver.execute_script(
            "return [...document.querySelectorAll('article pre')]"
            ".filter(p => p.getClientRects().length && !p.closest('details:not([open])'))"
            ".filter(p => p.scrollWidth > p.clientWidth + 1)"
            ".map(p => p.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b).slice(0, 70));"
        )
        for line in wide:
            problems.append(f"{rel}: a visible code block scrolls sideways at 1280 px: {line!r}")
        name = rel.replace("/", "_").removesuffix(".html")
        _full_page_screenshot(driver, SHOTS / f"{name}-1280.png")
        driver.set_window_size(390, 844)
        _full_page_screenshot(driver, SHOTS / f"{name}-390.png")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        if width > 400:
            problems.append(f"{rel}: the page scrolls sideways on a phone ({width}px wide at 390px)")
    assert not problems, "\n".join(problems)


def test_animations_step_forward(served, driver, site):
    from selenium.webdriver.common.by import By

    found = 0
    for page in pages():
        if 'class="animation"' not in page.read_text(encoding="utf-8"):
            continue
        _load(driver, f"{served}/{page.relative_to(site).as_posix()}")
        for player in driver.find_elements(By.CSS_SELECTOR, ".animation"):
            found += 1
            img = player.find_element(By.CSS_SELECTOR, "img")
            pause = player.find_element(By.CSS_SELECTOR, "button[title='Pause']")
            driver.execute_script("arguments[0].click()", pause)
            first = player.find_element(By.CSS_SELECTOR, "button[title='First frame']")
            driver.execute_script("arguments[0].click()", first)
            before = img.get_attribute("src")
            nxt = player.find_element(By.CSS_SELECTOR, "button[title='Next frame']")
            driver.execute_script("arguments[0].click()", nxt)
            assert img.get_attribute("src") != before, f"{page.name}: 'Next frame' did not change the frame"
    assert found, "no to_jshtml animation found in the book"


def _sweep(driver, field) -> list[str]:
    """Move a control through every value as a reader would (arrow keys on a slider, each
    option of a selector) and back to where it started; the frame's source after each move."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    img = driver.execute_script("return arguments[0].closest('figure.twin').querySelector('img.twin-frame')", field)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", field)
    seen = []
    if field.tag_name == "select":
        menu = Select(field)
        start = int(field.get_attribute("value"))
        for i in [*range(len(menu.options)), start]:
            menu.select_by_index(i)
            seen.append(img.get_attribute("src"))
    else:
        start, top = int(field.get_attribute("value")), int(field.get_attribute("max"))
        keys = [Keys.ARROW_RIGHT] * (top - start) + [Keys.ARROW_LEFT] * top + [Keys.ARROW_RIGHT] * start
        for key in keys:
            field.send_keys(key)
            seen.append(img.get_attribute("src"))
    return seen


def _twin_states(html: str) -> dict[str, dict]:
    """{twin id: the state its script reads (frames, index, shape, text)}, from the page's HTML."""
    found = re.findall(r'const S=(\{.*?\});const root=document\.getElementById\("([^"]+)"\)', html)
    return {twin_id: json.loads(state) for state, twin_id in found}


def test_every_twin_responds_to_every_control(served, driver, site):
    """Each control of each twin, moved at 1280 px and at 390 px, changes the frame and its
    alt text, returns to the first frame when moved back, and the twin fits a phone. With
    every control away from its start, the frame and the read-outs are the ones the state
    holds for that setting (the script's index is the Python's)."""
    from selenium.webdriver.common.by import By

    problems, found = [], 0
    for page in pages():
        text = page.read_text(encoding="utf-8")
        if '<figure class="twin"' not in text:
            continue
        states = _twin_states(text)
        rel = page.relative_to(site).as_posix()
        for width in (1280, 390):
            driver.set_window_size(width, 844)
            _load(driver, f"{served}/{rel}")
            for fig in driver.find_elements(By.CSS_SELECTOR, "figure.twin"):
                found += width == 1280
                name = f"{rel} {fig.get_attribute('id')} at {width}px"
                img = fig.find_element(By.CSS_SELECTOR, "img.twin-frame")
                first, alt = img.get_attribute("src"), img.get_attribute("alt")
                for field in fig.find_elements(By.CSS_SELECTOR, "[data-k]"):
                    seen = _sweep(driver, field)
                    label = field.get_attribute("aria-label")
                    if not any(src != first for src in seen):
                        problems.append(f"{name}: moving {label!r} never changes the frame")
                    if seen[-1] != first or img.get_attribute("alt") != alt:
                        problems.append(f"{name}: moving {label!r} back does not bring the first frame back")
                if " = " not in alt:
                    problems.append(f"{name}: the alt text does not say the setting: {alt!r}")
                state, fields = states[fig.get_attribute("id")], fig.find_elements(By.CSS_SELECTOR, "[data-k]")
                flat, chosen = 0, []
                for k, field in enumerate(fields):
                    start = int(field.get_attribute("value"))
                    i = state["shape"][k] - 1 if start != state["shape"][k] - 1 else 0  # away from the start
                    driver.execute_script(
                        "arguments[0].value = arguments[1];"
                        "arguments[0].dispatchEvent(new Event(arguments[0].tagName === 'SELECT' ? 'change' : 'input'))",
                        field, str(i))
                    flat = flat * state["shape"][k] + i
                    chosen.append(state["text"][k][i])
                expected = "data:image/png;base64," + state["frames"][state["index"][flat]]
                if img.get_attribute("src") != expected:
                    problems.append(f"{name}: at {chosen} the page shows another setting's frame")
                shown = [o.text for o in fig.find_elements(By.CSS_SELECTOR, "output")]
                wanted = [t for f, t in zip(fields, chosen, strict=True) if f.tag_name == "input"]
                if shown != wanted:
                    problems.append(f"{name}: the sliders' read-outs say {shown}, not {wanted}")
                over = driver.execute_script(
                    "const f = arguments[0], r = f.getBoundingClientRect();"
                    "return f.scrollWidth > f.clientWidth + 1 || r.right > document.documentElement.clientWidth + 1;",
                    fig)
                if over:
                    problems.append(f"{name}: the twin is wider than the page")
        for msg in _js_errors(driver):
            problems.append(f"{rel}: JavaScript error: {msg}")
    assert found, "no twin found in the book"
    assert not problems, "\n".join(problems)


def test_solutions_are_hidden_until_clicked(served, driver, site):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    found = 0
    for page in pages():
        if "tag_solution" not in page.read_text(encoding="utf-8"):
            continue
        _load(driver, f"{served}/{page.relative_to(site).as_posix()}")
        for cell in driver.find_elements(By.CSS_SELECTOR, ".tag_solution"):
            found += 1
            details = cell.find_element(By.CSS_SELECTOR, "details")
            body = details.find_element(By.CSS_SELECTOR, ":scope > :not(summary)")
            assert not body.is_displayed(), f"{page.name}: a solution is visible before the click"
            summary = details.find_element(By.CSS_SELECTOR, "summary")
            assert "solution" in summary.text.lower(), f"{page.name}: toggle says {summary.text!r}"
            driver.execute_script("arguments[0].scrollIntoView()", summary)
            summary.click()
            try:
                WebDriverWait(driver, 5).until(lambda d, b=body: b.is_displayed())
            except TimeoutException:
                pytest.fail(f"{page.name}: a solution stays hidden after the click")
    assert found, "no solution cell found in the book"


def test_search_finds_a_chapter(served, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{served}/search.html?q=discriminator")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results li"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#search-results li")) >= 2
