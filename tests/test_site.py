"""The built book in a real browser: every page of ``_build/html`` loads and renders, offline.

Headless Debian Chromium (``/usr/bin/chromium``, ``$LNL_CHROMIUM`` overrides it) driven by
playwright opens each page from a local ``http.server`` on 127.0.0.1 and checks that it

- loads (HTTP 200), and so does every file it asks for, with no console error from our own files
  and no uncaught script error;
- shows no traceback, ``Error`` or ``Exception`` in a cell output;
- has every ``<img>`` decoded (``naturalWidth > 0``);
- has every math element typeset by MathJax (``mjx-container``), no TeX error and no raw ``$$``,
  ``\\(`` or ``\\[`` left in its text;
- makes no request that leaves 127.0.0.1 (every request is recorded; external ones are blocked).

Each notebook page also needs its Colab launch button, pointing at the ``.ipynb`` that is paired
with its source in the repository.

The test skips, saying why, when the book has not been built (``make book``) or Chromium or
playwright is missing, so that ``make test`` passes on a machine with only Python; with
``LNL_REQUIRE_SITE=1`` (as ``.ci/run`` sets) it fails instead.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SRC = ROOT / "_build" / "src"
CHROMIUM = os.environ.get("LNL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ERROR_TEXT = re.compile(r"Traceback|\b\w*Error\b|\b\w*Exception\b")
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
               if not {"_static", "_sources", "_images"} & set(p.relative_to(HTML).parts))


def _unavailable(reason: str) -> None:
    if os.environ.get("LNL_REQUIRE_SITE") == "1":
        pytest.fail(f"{reason} (LNL_REQUIRE_SITE=1)")
    pytest.skip(reason)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def site():
    """``(base URL, browser)``: the built HTML served on 127.0.0.1 and a headless Chromium."""
    if not (HTML / "index.html").exists():
        _unavailable("the book has not been built: run `make book` (or `make test`) first")
    if not Path(CHROMIUM).exists():
        _unavailable(f"the site check needs Chromium, which is not at {CHROMIUM} "
                     "(Debian: apt-get install chromium; $LNL_CHROMIUM names another)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test,book]'")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield base, browser
        finally:
            browser.close()
            server.shutdown()
            server.server_close()


_CHECKS_JS = """
async () => {
  // Images: load lazy ones too, then every <img> must have decoded to a non-empty bitmap.
  const imgs = Array.from(document.images);
  imgs.forEach(img => { img.loading = "eager"; });
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  const brokenImages = imgs.filter(img => !(img.complete && img.naturalWidth > 0))
                           .map(img => img.getAttribute("src"));
  // Math: wait for MathJax's first typesetting pass, then look for anything left raw.
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const mathNodes = Array.from(document.querySelectorAll(".math"));
  const untypeset = mathNodes.filter(el => !el.querySelector("mjx-container"))
                             .map(el => el.textContent.trim().slice(0, 80));
  const article = (document.querySelector("main") || document.body).cloneNode(true);
  article.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight")
         .forEach(el => el.remove());
  const text = article.textContent;
  const rawTex = ["$$", "\\\\(", "\\\\["].filter(s => text.includes(s));
  // Cell outputs as the reader sees them.
  // A listing of library code (lnl.book.source: highlighted HTML) is not an output to scan for
  // error text: a function that raises ValueError names it.
  const listing = el => el.matches(".output.text_html") && el.querySelector(".highlight");
  const outputs = Array.from(document.querySelectorAll(".cell_output, .output"))
                       .filter(el => !listing(el))
                       .map(el => {
                         const copy = el.cloneNode(true);
                         copy.querySelectorAll(".output.text_html").forEach(o => { if (listing(o)) o.remove(); });
                         return copy.textContent;
                       });
  return {
    brokenImages, untypeset, rawTex, outputs,
    mathCount: mathNodes.length,
    mjxCount: document.querySelectorAll("mjx-container").length,
    mathErrors: document.querySelectorAll("mjx-merror").length,
    mathjaxLoaded: !!(window.MathJax && window.MathJax.startup),
  };
}
"""


@pytest.mark.parametrize("rel", PAGES or ["(no pages built)"])
def test_page_renders_offline(site, rel):
    base, browser = site
    url = base + rel
    context = browser.new_context()
    requests, external, console_errors, page_errors, http_errors = [], [], [], [], []

    def route(r):
        req_url = r.request.url
        requests.append(req_url)
        parsed = urlparse(req_url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname != "127.0.0.1":
            external.append(req_url)
            return r.abort()
        return r.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: console_errors.append(m) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("response", lambda r: http_errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        response = page.goto(url, wait_until="networkidle", timeout=60_000)
        assert response is not None and response.status == 200, f"{rel}: HTTP {response and response.status}"
        found = page.evaluate(_CHECKS_JS)
        page.wait_for_load_state("networkidle")  # fonts and anything MathJax fetched
    finally:
        context.close()

    problems = []
    ours = [f"{m.text} ({m.location.get('url')})" for m in console_errors
            if (m.location.get("url") or "").startswith(base)]
    if ours:
        problems.append(f"console errors from our files: {ours}")
    if page_errors:
        problems.append(f"uncaught script errors: {page_errors}")
    if http_errors:
        problems.append(f"files that failed to load: {http_errors}")
    if external:
        problems.append(f"requests left 127.0.0.1: {sorted(set(external))}")
    bad_outputs = [o.strip()[:200] for o in found["outputs"] if ERROR_TEXT.search(o)]
    if bad_outputs:
        problems.append(f"error text in cell outputs: {bad_outputs}")
    if found["brokenImages"]:
        problems.append(f"images that did not load: {found['brokenImages']}")
    if found["rawTex"]:
        problems.append(f"raw TeX delimiters left in the text: {found['rawTex']}")
    if found["mathCount"] and not found["mathjaxLoaded"]:
        problems.append("has math but MathJax did not load")
    if found["mathCount"] and not found["mjxCount"]:
        problems.append("has math but no mjx-container")
    if found["untypeset"]:
        problems.append(f"math not typeset by MathJax: {found['untypeset']}")
    if found["mathErrors"]:
        problems.append(f"MathJax reported {found['mathErrors']} TeX error(s)")
    assert not problems, f"{rel}:\n  " + "\n  ".join(problems)


def test_notebook_pages_have_a_colab_button_to_the_repository_notebook():
    if not (HTML / "index.html").exists() or not SRC.is_dir():
        _unavailable("the book has not been built: run `make book` (or `make test`) first")
    config = yaml.safe_load((SRC / "_config.yml").read_text())
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    branch = config["repository"].get("branch", "main")
    notebooks = sorted(p.relative_to(SRC) for p in SRC.rglob("*.ipynb")
                       if not {"_build", ".ipynb_checkpoints"} & set(p.relative_to(SRC).parts))
    assert notebooks, "the built book has no notebook page"
    for rel in notebooks:
        html = (HTML / rel.with_suffix(".html")).read_text()
        expected = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{rel.as_posix()}"
        assert f'href="{expected}"' in html, f"{rel.with_suffix('.html')}: no Colab button to {expected}"
        assert (ROOT / rel).exists(), f"the Colab button opens {rel}, which is not in the repository"
