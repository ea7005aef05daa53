"""The website, built with warnings as errors and tested in a real browser.

Every page listed in _toc.yml is opened in Debian's chromium (Playwright) with
every request outside the site blocked, twice: served over http://127.0.0.1 the
way a static host serves it, and opened from disk through file:// (README's
"open _build/html/index.html"). Each page must load with no console errors and
no outside request, render all its equations, load all its images (with alt
text), pass axe-core without serious or critical violations, and every slider on
it must change the figure; search must find its hits with no console error. The
page-weight budget is measured over http only (the server counts the bytes).
"""
from __future__ import annotations

import collections
import functools
import http.server
import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import HTML, MEASURED, PAGE_WEIGHTS, ROOT, Site, _StaticHandler, toc_files
from l2lib import conventions as C
from l2lib import converter as CV

PAGES = toc_files()
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]
MAX_PAGE_BYTES = 3_000_000   # transferred, as a static host sends it (text gzip-compressed)
SCHEMES = ["http", "file"]   # served by tests/conftest.py's server; opened from disk
AXE_JS = Path(__import__("axe_playwright_python").__file__).with_name("axe.min.js")


def test_book_builds_without_warnings(book_build):
    log = book_build.stdout + book_build.stderr
    assert book_build.returncode == 0, log[-5000:]
    assert "WARNING" not in log, [line for line in log.splitlines() if "WARNING" in line][:20]
    for doc in PAGES:
        assert (HTML / f"{doc}.html").is_file(), f"{doc} is in the toc but was not built"


def test_pages_leave_out_the_notebooks_fallback_images(book_build):
    """A stored figure carries its first frame again as an image for JupyterLab's sanitized view
    (l2lib.slider.FrameViewer.html); the website draws it inline, so its pages must not carry the copy."""
    for doc in PAGES:
        if not doc.startswith("notebooks/"):
            continue
        stored = json.loads((ROOT / f"{doc}.ipynb").read_text())
        outputs = "".join("".join(o.get("data", {}).get("text/html", "")) for c in stored["cells"]
                          for o in c.get("outputs", []))
        assert outputs.count('<img class="l2-fallback"') == outputs.count('<div class="l2-frames"') > 0, doc
        page = (HTML / f"{doc}.html").read_text()
        kept = page.count('<img class="l2-fallback"')
        assert page.count('class="l2-frames"') > 0 and "data:image/svg+xml" not in page, \
            f"{doc}.html carries the notebook's fallback images ({kept})"


class Visit:
    """One page opened with outside requests blocked, recording what happened.

    ``scheme`` "http" opens the page from the local server, "file" from disk (file://);
    ``bytes`` (what the server sent) is measured over http only.
    """

    def __init__(self, browser, site, doc: str, color_scheme: str = "light", scheme: str = "http",
                 viewport: tuple[int, int] = (1280, 900), scale: float = 1):
        assert scheme in SCHEMES, scheme
        self.scheme = scheme
        self.site = site.url if scheme == "http" else HTML.resolve().as_uri()
        self.ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                       device_scale_factor=scale, color_scheme=color_scheme)
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.requested: list[str] = []     # every URL of the site the page asked for, from its load on
        try:
            self.ctx.route("**/*", self._route)
            self.page = self.ctx.new_page()
            self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
            self.page.on("pageerror", lambda e: self.errors.append(str(e)))
            self.open_requests: set = set()     # started, not yet finished or failed (see settle)
            self.last_activity = time.monotonic()
            self.activity: collections.deque = collections.deque(maxlen=5)   # the last events, for a failure
            self.page.on("request", lambda r: self._activity("started", self.open_requests.add, r))
            self.page.on("requestfinished", lambda r: self._activity("finished", self.open_requests.discard, r))
            self.page.on("requestfailed", lambda r: self._activity("failed", self.open_requests.discard, r))
            site.reset_bytes()
            self.page.goto(f"{self.site}/{doc}.html", wait_until="load")
            self.math = self.page.evaluate(
                """async () => { if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
                     const m = Array.from(document.querySelectorAll('.math'));
                     return {n: m.length, rendered: m.filter(e => e.querySelector('mjx-container')).length,
                             errors: document.querySelectorAll('mjx-merror').length}; }""")
            self.settle(f"{doc} over {scheme}")
            # what the server sent for this page (a fresh context: no cache)
            self.bytes = site.bytes_sent() if scheme == "http" else None
        except BaseException:
            self.ctx.close()
            raise

    def _activity(self, event, record, request):
        record(request)
        self.last_activity = time.monotonic()
        self.activity.append((self.last_activity, event, request.url))

    def settle(self, what: str, quiet: float = 0.5, timeout: float = 120) -> None:
        """Wait until no request of the page is open and none has started or ended for ``quiet`` s,
        counted from this call at the earliest (so a request the page is about to make is waited for).

        The requests are counted from Playwright's request events. (Playwright's own "networkidle"
        once never came in CI for a page over file:// with no request open, so it is not used.)"""
        start = time.monotonic()
        while True:
            self.page.wait_for_timeout(100)          # Playwright delivers the page's events meanwhile
            now = time.monotonic()
            if not self.open_requests and now - max(self.last_activity, start) >= quiet:
                return
            if now - start > timeout:
                raise AssertionError(f"{what}: the page's network did not go quiet within {timeout:.0f} s; "
                                     f"requests still open: {sorted(r.url for r in self.open_requests)}; "
                                     f"the last events: {[(round(t - now, 1), e, u) for t, e, u in self.activity]}")

    def _route(self, route):
        if route.request.url.startswith(self.site + "/"):
            self.requested.append(route.request.url)
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self):
        self.ctx.close()


@pytest.fixture
def visit(browser, site):
    opened = []

    def _open(doc, **kw):
        v = Visit(browser, site, doc, **kw)
        opened.append(v)
        return v

    yield _open
    for v in opened:
        v.close()


# One visit of a page serves every check of it that takes ``page_visit``: the page is opened once per
# document and scheme (over http when a test does not choose one, as `scheme` below says) and shared.
# tests/conftest.py runs the checks of one page one after another, in the order they are written in
# this file, and the shared page is closed when the next page is opened, so one is open at a time.
# Checks that only read the page come first; the slider check, which moves the controls, is last.

class _SharedVisits:
    def __init__(self, browser, site):
        self.browser, self.site = browser, site
        self.key: tuple[str, str] | None = None
        self.visit: Visit | None = None

    def get(self, doc: str, scheme: str) -> Visit:
        if self.key != (doc, scheme):
            self.close()
            self.visit, self.key = Visit(self.browser, self.site, doc, scheme=scheme), (doc, scheme)
        return self.visit

    def close(self):
        if self.visit is not None:
            self.visit.close()
        self.visit = self.key = None


@pytest.fixture(scope="module")
def shared_visits(browser, site):
    visits = _SharedVisits(browser, site)
    yield visits
    visits.close()


@pytest.fixture
def scheme():
    """The scheme of a check of one page that is not parametrized over SCHEMES: http."""
    return "http"


@pytest.fixture
def page_visit(shared_visits, doc, scheme):
    """The page ``doc`` opened over ``scheme`` at 1280x900, shared by every check of that page."""
    return shared_visits.get(doc, scheme)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("doc", PAGES)
def test_page_loads_offline_and_renders(page_visit, doc, scheme):
    v = page_visit
    assert v.blocked == [], f"requests outside the site: {v.blocked}"
    assert v.errors == [], f"console errors: {v.errors}"
    assert v.math["rendered"] == v.math["n"] and v.math["errors"] == 0, v.math
    images = v.page.evaluate(
        """() => Array.from(document.images).map(i => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0,
                                                         alt: i.getAttribute('alt')}))""")
    broken = [i for i in images if not i["ok"]]
    no_alt = [i for i in images if not (i["alt"] or "").strip()]
    assert broken == [], broken
    assert no_alt == [], f"images without alt text: {no_alt}"
    if doc in CHAPTERS:
        assert v.math["n"] > 0, "a chapter without a single rendered equation"
    if scheme == "http":
        PAGE_WEIGHTS[doc] = (v.bytes / 1e6, v.math["n"], len(images))   # printed at the end of the run
        if doc in CHAPTERS:
            assert v.bytes <= MAX_PAGE_BYTES, f"{doc}: {v.bytes / 1e6:.2f} MB > 3 MB"


@pytest.mark.parametrize("doc", PAGES)
def test_accessibility_has_no_serious_violations(page_visit, doc):
    """axe over http only: over file:// the page is the same files, and axe is the costliest check of the
    browser suite (about 40 % of its time, its colour-contrast rule on pages full of MathJax)."""
    v = page_visit
    v.page.add_script_tag(path=str(AXE_JS))
    violations = v.page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(x => ({id: x.id, impact: x.impact, help: x.help, nodes: x.nodes.length,
                         where: x.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
    bad = [x for x in violations if x["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, indent=1)


def test_settle_waits_for_a_quiet_network_and_names_what_keeps_it_busy(visit):
    """Visit.settle, which every check of a page waits on, does not return while the page keeps asking
    for files, names them when it gives up, and returns once the page stops."""
    v = visit(PAGES[0])
    v.page.evaluate("() => { window.l2Poll = setInterval(() => fetch('l2-poll.txt').catch(() => {}), 100); }")
    with pytest.raises(AssertionError, match=r"did not go quiet within 3 s; .*l2-poll\.txt"):
        v.settle("a polling page", timeout=3)
    v.page.evaluate("() => clearInterval(window.l2Poll)")
    v.settle("the page once it stopped polling", timeout=10)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_search_finds_weight_decay(visit, scheme):
    """Search lists the chapters on weight decay with no console error. Over http each hit shows a
    summary (Sphinx fetches the hit's page); through file:// a browser refuses that fetch, so
    book/_static/l2book-search.js turns summaries off there and the hits come without them."""
    v = visit("search", scheme=scheme)
    v.page.goto(f"{v.site}/search.html?q=weight+decay")
    v.page.wait_for_function(
        "() => /found/.test((document.querySelector('#search-results p.search-summary') || {}).textContent || '')",
        timeout=30000)
    v.settle("search")
    v.page.wait_for_timeout(1000)      # summary fetches that fail do so within milliseconds
    hits = v.page.eval_on_selector_all("#search-results ul.search li > a", "as => as.map(a => a.href)")
    summaries = len(v.page.query_selector_all("#search-results ul.search li p.context"))
    MEASURED[f"search 'weight decay' over {scheme}"] = f"{len(hits)} hits, {summaries} with a summary, " \
                                                     f"{len(v.errors)} console errors"
    assert any("notebooks/" in h for h in hits), hits
    assert all(h.startswith(v.site + "/") for h in hits), hits
    assert v.errors == [], f"console errors: {v.errors}"
    assert v.blocked == [], v.blocked
    # Sphinx lists two kinds of hit: pages (a summary is fetched for each) and documented objects of the
    # l2lib reference (an anchor into that page; Sphinx shows their description, no summary).
    pages = [h for h in hits if "#" not in h]
    if scheme == "http":
        assert summaries == len(pages), f"{summaries} summaries for {len(pages)} page hits"
    else:
        assert summaries == 0


def test_chapters_have_numbers_prev_next_equation_links_and_ipynb_download(visit):
    v = visit(CHAPTERS[0])
    page = v.page
    title = page.inner_text("h1:has(.section-number)")
    assert re.match(r"^1\.", title), title
    assert page.query_selector(".prev-next-area a.left-prev") and page.query_selector(".prev-next-area a.right-next")
    eq = page.query_selector("#equation-ch1-cost")
    assert eq is not None and eq.query_selector("mjx-container")
    # a reference to the equation links to it
    assert page.query_selector("a[href='#equation-ch1-cost']")
    links = page.eval_on_selector_all("a[href$='.ipynb']", "as => as.map(a => a.getAttribute('href'))")
    assert links, "no .ipynb download link"
    target = (HTML / "notebooks" / links[0]).resolve()
    assert target.is_file() and json.loads(target.read_text())["cells"]


def test_figures_stay_legible_in_dark_mode(visit):
    """In dark mode every figure still shows dark ink on a light ground (figures draw an opaque white ground)."""
    import io

    from PIL import Image

    v = visit(CHAPTERS[0], color_scheme="dark")
    page = v.page
    page.evaluate("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark')")
    page.reload(wait_until="load")
    v.settle(f"{CHAPTERS[0]} reloaded in dark mode")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert sum(int(c) for c in re.findall(r"\d+", body)[:3]) < 150, f"page is not dark: {body}"
    imgs = page.query_selector_all(".cell_output img, svg.l2-svg")
    assert imgs
    for img in imgs:
        img.scroll_into_view_if_needed()
        shot = np.asarray(Image.open(io.BytesIO(img.screenshot())).convert("L"))
        ground = np.median(shot)   # the figure's ground
        ink = shot.min()
        assert ground > 150 and ink < 90, f"figure not legible in dark mode: ground {ground}, ink {ink}"


def test_page_weight_of_stored_notebooks_is_reviewable():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert nb.stat().st_size < 2_000_000, f"{nb.name} is {nb.stat().st_size / 1e6:.1f} MB"


# The converter's JavaScript alone (no built site needed: the page is set from l2lib's HTML).
def test_converter_in_a_browser_computes_what_python_computes(browser):
    """The page's JavaScript must print exactly the strings Python prints, and refuse bad input."""
    page = browser.new_page()
    page.route("**/*", lambda route: route.abort())                # nothing may be fetched
    page.set_content("<html><body>" + CV.converter(3.16, 100, 0.5, 20).html() + "</body></html>")

    def shown():
        return {o.get_attribute("data-l2-output"): o.inner_text() for o in page.query_selector_all("[data-l2-output]")}

    def expected(lam, m, lr, b):
        return {k: C.fmt4(C.from_book(lam, k, m=m, lr=lr, batch_size=b)) for k in C.CONVENTIONS}

    assert shown() == expected(3.16, 100, 0.5, 20)
    for lam, m, lr, b in [(0.25, 60000, 0.001, 128), (42.0, 7, 3.0, 7), (0.0, 1, 1.0, 1), (1e-7, 512, 0.01, 64)]:
        for name, v in (("lam", lam), ("m", m), ("lr", lr), ("B", b)):
            page.fill(f'input[data-l2-input="{name}"]', str(v))
        assert shown() == expected(lam, m, lr, b), (lam, m, lr, b)
    page.fill('input[data-l2-input="B"]', "9999")                   # B > m = 512
    assert set(shown().values()) == {"—"}
    assert "B must be" in page.inner_text(".l2-conv-status")
    page.close()


# Readability of the site: references, appendix letters, search, buttons, equations and code.

PHONE = (390, 844)      # a phone, at device scale factor 2
LAPTOP = (1280, 800)


def _appendix_docs() -> list[str]:
    """The documents _toc.yml lists under a part captioned "Appendix", in order (read from the toc)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc.get("parts", []) if part.get("caption", "").startswith("Appendi")
            for c in part.get("chapters", [])]


def test_references_show_no_raw_latex(visit):
    """Every entry of the bibliography reads as text: no TeX markup ($...$, \\emph, \\c{c}) on the page."""
    v = visit("book/references")
    text = v.page.inner_text("article.bd-article")
    entries = v.page.eval_on_selector_all(".citation, [role='listitem']", "es => es.length")
    assert entries >= 20, f"only {entries} bibliography entries on the page"
    raw = [line for line in text.splitlines() if "\\" in line or "$" in line]
    assert raw == [], f"raw LaTeX on the references page: {raw}"
    # the citation pop-ups (title attributes) in the chapters show the same entries
    v.page.goto(f"{v.site}/{CHAPTERS[-2]}.html", wait_until="load")
    titles = v.page.eval_on_selector_all("a[title]", "as => as.map(a => a.title)")
    assert [t for t in titles if "\\\\" in t or "$" in t] == []


def test_appendix_is_lettered_everywhere(visit):
    """The appendix is "A" wherever the site numbers it: its heading and sections, its equations,
    figures and exercises, the sidebar, the previous chapter's next link and cross-references."""
    docs = _appendix_docs()
    assert docs, "_toc.yml has no part captioned Appendix"
    first = docs[0]
    v = visit(first)
    page = v.page
    numbers = page.eval_on_selector_all("article .section-number", "es => es.map(e => e.textContent.trim())")
    assert numbers[0] == "A." and len(numbers) > 3, numbers
    assert all(re.fullmatch(r"A(\.\d+)*\.", n) for n in numbers), numbers
    eqnos = page.eval_on_selector_all("span.eqno", "es => es.map(e => e.textContent.trim())")
    assert eqnos and all(re.fullmatch(r"\(A\.\d+\)#?", e) for e in eqnos), eqnos
    eqrefs = page.eval_on_selector_all("a[href^='#equation-']:not(.headerlink)",
                                       "as => as.map(a => a.textContent.trim())")
    assert eqrefs and all(re.fullmatch(r"\(A\.\d+\)", e) for e in eqrefs), eqrefs
    captions = page.eval_on_selector_all("figcaption .caption-number, .exercise .admonition-title, "
                                         "p.admonition-title", "es => es.map(e => e.textContent.trim())")
    numbered = [c for c in captions if re.search(r"\b[A-Z0-9]+\.\d+", c)]      # "A.1" or "7.1"
    assert numbered and all(re.search(r"\bA\.\d+", c) for c in numbered), numbered
    # the chapter before the appendix: the sidebar's entry and the "next" link
    before = PAGES[PAGES.index(first) - 1]
    page.goto(f"{v.site}/{before}.html", wait_until="load")
    side = page.inner_text(f".bd-sidebar-primary a[href$='{Path(first).name}.html']")
    assert side.startswith("A. "), side
    nxt = page.inner_text(".prev-next-area a.right-next")
    assert "A. " in nxt, nxt
    body = page.inner_text("body")
    assert not re.search(r"\b7\. λ across", body), "the appendix is still numbered 7 somewhere on " + before


def _visible_search_entries(page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
                 '.search-button__button, form.bd-search input, input[type=search], input[name=q]'))
             .filter(e => e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
                          && e.getBoundingClientRect().width > 0 && !e.closest('dialog:not([open])'))
             .map(e => e.className + ' in ' + (e.parentElement.className || e.parentElement.tagName))""")


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280px", "390px"])
def test_one_search_entry_point(visit, size):
    """One search field or button on a page, at a laptop's and at a phone's width; on the phone,
    also with the site navigation opened."""
    v = visit(CHAPTERS[0], viewport=size, scale=2 if size == PHONE else 1)
    entries = _visible_search_entries(v.page)
    MEASURED[f"search entry points at {size[0]} px"] = str(len(entries))
    assert len(entries) == 1, entries
    if size == PHONE:
        v.page.click("button.primary-toggle >> visible=true")
        v.page.wait_for_timeout(400)
        assert v.page.evaluate("document.querySelector('.bd-sidebar-primary').checkVisibility()")
        entries = _visible_search_entries(v.page)
        assert len(entries) == 1, entries


@pytest.mark.parametrize("doc", PAGES)
def test_every_button_has_a_name(page_visit, doc):
    """A button's name comes from aria-label, aria-labelledby, title or its text (an icon's <svg>
    <title> is not enough for every screen reader): every <button> on the page has one."""
    v = page_visit
    v.page.wait_for_timeout(300)
    nameless = v.page.evaluate(
        """() => Array.from(document.querySelectorAll('button')).filter(b => {
                 const by = (b.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
                     .map(id => (document.getElementById(id) || {}).textContent || '').join('');
                 return !((b.getAttribute('aria-label') || '').trim() || by.trim() || (b.title || '').trim()
                          || (b.innerText || '').trim()); })
             .map(b => b.outerHTML.slice(0, 120))""")
    n = v.page.evaluate("document.querySelectorAll('button').length")
    assert n > 0
    assert nameless == [], f"{len(nameless)} of {n} buttons without a name: {nameless[:5]}"


def test_display_equations_fit_a_phone(visit):
    """At 390x844 (device scale 2) every display equation is either fully visible, or sits in a box
    that scrolls sideways and fades out at the edge that has more (classes l2-more-left/right and a
    CSS mask); scrolled to its end, the fade moves to the other edge. The page never scrolls sideways."""
    total, scrolling, problems = 0, 0, []
    for doc in PAGES:
        v = visit(doc, viewport=PHONE, scale=2)
        v.page.wait_for_timeout(200)
        res = v.page.evaluate(
            """async () => {
              const W = window.innerWidth, out = [];
              const pageScrolls = document.scrollingElement.scrollWidth > W + 1;
              for (const el of document.querySelectorAll('mjx-container[display="true"]')) {
                const r = el.getBoundingClientRect();
                let sc = null;
                for (let a = el; a && a !== document.body; a = a.parentElement) {
                  const s = getComputedStyle(a);
                  if (/(auto|scroll)/.test(s.overflowX) && a.scrollWidth > a.clientWidth + 1) { sc = a; break; }
                }
                const tex = (el.closest('.math') || el).textContent.slice(0, 60);
                if (!sc) {
                  let clipped = r.left < -0.5 || r.right > W + 0.5;
                  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
                    if (getComputedStyle(a).overflowX !== 'visible') {
                      const q = a.getBoundingClientRect();
                      if (r.left < q.left - 0.5 || r.right > q.right + 0.5) clipped = true;
                    }
                  }
                  out.push({kind: clipped ? 'clipped' : 'fits', tex});
                  continue;
                }
                const q = sc.getBoundingClientRect();
                const cl = sc.classList, style = getComputedStyle(sc);
                const mask = () => (style.maskImage || style.webkitMaskImage || 'none') !== 'none';
                sc.scrollLeft = 0; await new Promise(f => setTimeout(f, 60));
                const atStart = cl.contains('l2-more-right') && !cl.contains('l2-more-left') && mask();
                sc.scrollLeft = sc.scrollWidth; await new Promise(f => setTimeout(f, 60));
                const atEnd = cl.contains('l2-more-left') && !cl.contains('l2-more-right') && mask();
                sc.scrollLeft = 0;
                const inside = q.left >= -0.5 && q.right <= W + 0.5;
                out.push({kind: atStart && atEnd && inside ? 'scrolls' : 'no cue', tex, atStart, atEnd, inside});
              }
              return {pageScrolls, eqs: out};
            }""")
        assert not res["pageScrolls"], f"{doc}: the page scrolls sideways at {PHONE[0]} px"
        total += len(res["eqs"])
        scrolling += sum(e["kind"] == "scrolls" for e in res["eqs"])
        problems += [(doc, e) for e in res["eqs"] if e["kind"] not in ("fits", "scrolls")]
    fits = total - scrolling - len(problems)
    MEASURED[f"display equations at {PHONE[0]} px"] = \
        f"{total}: {fits} fit, {scrolling} scroll with a fade cue, {len(problems)} clipped or without cue"
    assert total > 0
    assert problems == [], problems[:10]


def test_no_visible_code_block_scrolls_at_1280px(visit):
    """At 1280x800 no visible code block (a cell's source or output, a code block in the text; a
    collapsed cell does not count) is wider than its box. A block that still scrolls is listed by
    page and code cell (counted from 0 among the page's rendered cells, with its first line), or by
    its caption for a code block in the text, with its longest line."""
    total, wide = 0, []
    for doc in PAGES:
        v = visit(doc, viewport=LAPTOP)
        blocks = v.page.evaluate(
            """() => { const cells = Array.from(document.querySelectorAll('div.cell'));
                 return Array.from(document.querySelectorAll('div.highlight pre'))
                   .filter(e => e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}))
                   .map(e => { const cell = e.closest('div.cell');
                     const line = e.textContent.split('\\n')
                                       .reduce((a, l) => l.length > a.length ? l : a, '');
                     const cap = e.closest('.literal-block-wrapper');
                     const src = cell && cell.querySelector('.cell_input pre');
                     return {cell: cell ? cells.indexOf(cell) : null, output: !!e.closest('.cell_output'),
                             caption: cap ? cap.querySelector('.caption-text').textContent : null,
                             first: src ? src.textContent.split('\\n')[0].slice(0, 50) : null,
                             font: parseFloat(getComputedStyle(e).fontSize),
                             over: e.scrollWidth - e.clientWidth, chars: line.length,
                             line: line.trim().slice(0, 60)}; }); }""")
        total += len(blocks)
        small = [b for b in blocks if b["font"] < 12]
        assert small == [], f"{doc}: code smaller than 12 px: {small[:3]}"
        for b in blocks:
            if b["over"] > 0:
                if b["cell"] is None:
                    where = f"code block in the text{' (' + b['caption'] + ')' if b['caption'] else ''}"
                else:
                    where = f"code cell {b['cell']} ({b['first']!r}) {'output' if b['output'] else 'source'}"
                wide.append(f"{doc}: {where}: {b['chars']} characters, {b['over']} px too wide: {b['line']!r}")
    MEASURED[f"visible code blocks scrolling sideways at {LAPTOP[0]} px"] = f"{len(wide)} of {total}"
    for line in wide:
        MEASURED[f"  wide at {LAPTOP[0]} px #{wide.index(line) + 1}"] = line
    assert total > 0
    assert wide == [], f"{len(wide)} code blocks scroll sideways at {LAPTOP[0]} px:\n" + "\n".join(wide)


# Page weight: what a reader's browser downloads for a chapter, its HTTP cache on. The theme's
# fontawesome.js is not loaded (its icons come from weight-icons.css's font subsets) and MathJax
# comes as the components the book uses (_config.yml); book/_ext/site_fixes.py does both.

FIRST_VISIT_BYTES = 1_200_000    # a chapter opened with an empty cache (text gzip-compressed)
SECOND_CHAPTER_BYTES = 600_000   # a chapter opened after another one, with that one's files cached
# The theme's icon faces: weight-icons.css replaces each with a subset (_static/weight-<face>.woff).
FA_FACES = {("Font Awesome 6 Free", "900"): "fa-solid-900", ("Font Awesome 6 Free", "400"): "fa-regular-400",
            ("Font Awesome 6 Brands", "400"): "fa-brands-400"}


class _CachingHandler(_StaticHandler):
    """tests/conftest.py's static host, with the cache header GitHub Pages sends (ten minutes)."""

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()


@pytest.fixture(scope="session")
def caching_site(site):
    """The built site served like ``site``, but cacheable, so a browser's cache works as on a host."""
    handler = functools.partial(_CachingHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.lock, server.sent = threading.Lock(), {}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Site(server)
    server.shutdown()
    server.server_close()


def _open_counting(page, site, doc) -> dict[str, int]:
    """Open ``doc`` in ``page`` until MathJax has typeset and the network is quiet; return the
    {path: bytes} the server sent meanwhile (what the page's context did not have cached)."""
    site.reset_bytes()
    page.goto(f"{site.url}/{doc}.html", wait_until="load")
    errors = page.evaluate("""async () => { if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
                                return document.querySelectorAll('mjx-merror').length; }""")
    assert errors == 0, f"{doc}: {errors} math errors"
    # Quiet: the fonts the page uses are loaded and the server sent nothing for a second. (Playwright's
    # "networkidle" does not come for a second page whose files come from the cache.)
    sent: dict[str, int] = {}
    for _ in range(120):
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_for_timeout(1000)
        with site.server.lock:
            now = dict(site.server.sent)
        if now == sent:
            return now
        sent = now
    raise AssertionError(f"{doc}: the page kept loading files for two minutes: {sorted(sent)}")


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_weight_first_visit_and_next_chapter(browser, caching_site, doc):
    """Opened with an empty cache a chapter transfers at most 1.2 MB; the chapter after it (after the
    last: the first), opened next with the first one's files cached, at most 0.6 MB. Neither fetches
    fontawesome.js or the theme's full icon fonts."""
    nxt = CHAPTERS[(CHAPTERS.index(doc) + 1) % len(CHAPTERS)]
    # No request routing here: Playwright turns the HTTP cache off for a context that routes requests.
    # chromium's --host-resolver-rules (conftest.py) keeps every request on this machine anyway.
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    outside, errors = [], []
    ctx.on("request", lambda r: None if r.url.startswith(caching_site.url + "/") else outside.append(r.url))
    page = ctx.new_page()
    # (the browser's own request for /favicon.ico, which the site does not have, is no page's error)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not (m.location.get("url") or "").endswith("/favicon.ico") else None)
    try:
        first = _open_counting(page, caching_site, doc)
        second = _open_counting(page, caching_site, nxt)
    finally:
        ctx.close()
    cold, warm = sum(first.values()), sum(second.values())
    MEASURED[f"page weight {doc.split('/')[-1]}"] = f"first visit {cold / 1e6:.2f} MB ({len(first)} files)"
    MEASURED[f"page weight {nxt.split('/')[-1]} after {doc.split('/')[-1]}"] = \
        f"{warm / 1e6:.2f} MB ({len(second)} files)"
    heavy = [p for p in [*first, *second] if "fontawesome" in p]
    assert heavy == [], f"the full Font Awesome was fetched: {heavy}"
    assert outside == [] and errors == [], (outside, errors)
    assert cold <= FIRST_VISIT_BYTES, f"{doc}: first visit {cold / 1e6:.3f} MB > {FIRST_VISIT_BYTES / 1e6} MB"
    assert warm <= SECOND_CHAPTER_BYTES, \
        f"{nxt} after {doc}: {warm / 1e6:.3f} MB > {SECOND_CHAPTER_BYTES / 1e6} MB: {sorted(second.items())}"


def _icons_drawn(page, base: str) -> list[dict]:
    """Every Font Awesome glyph the page draws (an ``<i class="fa-...">`` or a CSS ::before/::after
    in the icon font, shown or not), drawn on a canvas from the font the page uses and from the
    theme's full font (its .ttf, loaded here under another name), with how many pixels differ."""
    return page.evaluate(
        """async ([base, faces]) => {
             const seen = new Map();
             for (const el of document.querySelectorAll('*')) for (const pe of ['::before', '::after']) {
               const cs = getComputedStyle(el, pe);
               const family = (cs.fontFamily.match(/Font Awesome 6 (Free|Brands)/) || [])[0];
               if (!family || !/^".+"$/.test(cs.content)) continue;
               const ch = JSON.parse(cs.content);
               const key = [family, cs.fontWeight, ch].join('|');
               if (!seen.has(key)) seen.set(key, {family, weight: cs.fontWeight, ch, where: el.className.toString()});
             }
             const draw = (font, ch) => {
               const c = document.createElement('canvas'); c.width = c.height = 64;
               const x = c.getContext('2d'); x.font = font; x.fillStyle = '#000'; x.fillText(ch, 4, 52);
               return x.getImageData(0, 0, 64, 64).data; };
             // a first drawing makes the browser load what each glyph needs, as the page would
             // (document.fonts.load would load every face of the family, the full font's too)
             for (const icon of seen.values()) draw(`${icon.weight} 48px "${icon.family}"`, icon.ch);
             await document.fonts.ready;
             // each full font the icons need, added once (adding a face makes the browser restyle the page)
             const full = new Map();
             for (const icon of seen.values()) {
               const face = faces[icon.family + '|' + icon.weight];
               if (!full.has(face)) full.set(face, new FontFace('L2 full ' + face,
                   `url(${base}/_static/vendor/fontawesome/webfonts/${face}.ttf)`, {weight: icon.weight}));
             }
             for (const f of full.values()) document.fonts.add(f);
             await Promise.all(Array.from(full.values(), f => f.load()));
             const out = [];
             for (const icon of seen.values()) {
               const face = faces[icon.family + '|' + icon.weight];
               const mine = draw(`${icon.weight} 48px "${icon.family}"`, icon.ch);
               const ref = draw(`${icon.weight} 48px "L2 full ${face}"`, icon.ch);
               const fallback = draw('48px monospace', icon.ch);
               let ink = 0, diff = 0, same_as_fallback = true;
               for (let i = 3; i < mine.length; i += 4) {
                 ink += mine[i] > 0; diff += Math.abs(mine[i] - ref[i]) > 64; same_as_fallback &&= mine[i] === fallback[i]; }
               out.push({...icon, code: icon.ch.codePointAt(0).toString(16), face, ink, diff, same_as_fallback});
             }
             return out; }""", [base, {f"{fam}|{w}": face for (fam, w), face in FA_FACES.items()}])


@pytest.mark.parametrize("doc", PAGES)
def test_every_icon_renders_from_the_subset(page_visit, doc):
    """Every icon a page shows (theme buttons, admonition titles, ...) is drawn by the site's icon
    subset, glyph for glyph as the theme's full Font Awesome draws it. A glyph missing from the subset
    would still be drawn, from the theme's full font (the stylesheet's earlier face of the same
    name): so the page must never fetch that font's .woff2, nor fontawesome.js (from its load on)."""
    v = page_visit
    assert v.page.evaluate("document.querySelectorAll('svg.svg-inline--fa').length") == 0
    # decoration, as fontawesome.js marked the icons it drew: each icon's button or link has the name
    unmarked = v.page.eval_on_selector_all("i[class*='fa-']:not([aria-hidden='true'])", "es => es.map(e => e.className)")
    assert unmarked == [], f"{doc}: icons a screen reader would announce: {unmarked}"
    icons = _icons_drawn(v.page, v.site)
    fetched = [p for p in v.requested if "fontawesome.js" in p or re.search(r"fontawesome/.*\.woff2", p)]
    assert fetched == [], f"{doc} fetched {fetched}: the icon subset lacks a glyph the page draws"
    assert len(icons) >= 5, f"{doc}: only {len(icons)} icons found: {icons}"   # the header alone shows more
    wrong = [i for i in icons if i["ink"] < 20 or i["same_as_fallback"] or i["diff"] > 0.01 * i["ink"]]
    assert wrong == [], f"{doc}: icons not drawn as the theme draws them: {wrong}"
    MEASURED.setdefault("icons checked (distinct glyphs per page)", "")
    MEASURED["icons checked (distinct glyphs per page)"] += f"{doc.split('/')[-1]} {len(icons)}; "


# The sliders, moved as a reader moves them.

def _frame_state(page, root):
    """The frame shown, and the frame the controls' current values select (computed here, row-major):
    the slots' contents as the page holds them and as the frame's stored contents parse."""
    return page.evaluate(
        """r => { const d = JSON.parse(r.querySelector('script.l2-data').textContent);
                  let k = 0;
                  r.querySelectorAll('input[data-l2-dim]').forEach(el => {
                      const j = +el.dataset.l2Dim;
                      k = k * d.shape[j] + (el.type === 'checkbox' ? (el.checked ? 1 : 0) : +el.value); });
                  const svg = r.querySelector('svg.l2-wide');
                  const slots = Array.from(svg.querySelectorAll('g[data-l2-slot]'));
                  const parse = html => { const g = document.createElementNS('http://www.w3.org/2000/svg', 'g');
                                          g.innerHTML = html; return g.innerHTML; };
                  return {src: slots.map(s => s.innerHTML).join('|'), alt: svg.getAttribute('aria-label'),
                          expected: d.slots[k].map(parse).join('|'), expected_alt: d.alts[k],
                          n: d.slots.length}; }""", root)


def _move(page, inp, key):
    if inp.get_attribute("type") == "checkbox":
        inp.click()
    else:
        inp.focus()
        page.keyboard.press(key)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("doc", CHAPTERS)
def test_every_slider_changes_the_figure(page_visit, doc, scheme):
    """Every control, moved as a reader would (keyboard or click), shows the frame its values select,
    and every control changes the picture at least once. (The last check of its page: it moves the
    controls of the page the other checks share.)"""
    v = page_visit
    page = v.page
    # What the page's earlier checks logged is theirs: axe's stylesheet requests, which file:// refuses,
    # report asynchronously, so let the page go quiet first and count only what comes after.
    v.settle(doc)
    page.wait_for_timeout(500)
    n_errors = len(v.errors)
    roots = page.query_selector_all(".l2-frames:has(input[data-l2-dim])")    # figures with controls
    assert roots, f"{doc} has no interactive figure"
    # The stored note "Run the notebook's cells to move this slider" is for JupyterLab before Run All;
    # on the website the figure's script removes it, because the controls work here.
    notes = [n.inner_text() for n in page.query_selector_all(".l2-note") if n.is_visible()]
    assert notes == [], f"{doc}: the JupyterLab-only note is visible on the website: {notes}"
    for r_i, root in enumerate(roots):
        root.scroll_into_view_if_needed()
        inputs = root.query_selector_all("input[data-l2-dim]")
        assert inputs, f"{doc}: figure {r_i} has no control"
        assert _frame_state(page, root)["n"] >= 2
        changed = [False] * len(inputs)
        for key in ("End", "Home", "ArrowRight"):      # each control in turn, the others where they were left
            for i, inp in enumerate(inputs):
                before = _frame_state(page, root)
                _move(page, inp, key)
                after = _frame_state(page, root)
                assert after["src"] == after["expected"], f"{doc}: figure {r_i}: shows the wrong frame"
                assert after["alt"] == after["expected_alt"]
                changed[i] |= after["src"] != before["src"]
        assert all(changed), f"{doc}: figure {r_i}: controls {changed} never changed the picture"
    for conv in page.query_selector_all(".l2-converter"):
        outputs = lambda: [o.inner_text() for o in conv.query_selector_all("[data-l2-output]")]  # noqa: E731
        before = outputs()
        first = conv.query_selector("input[data-l2-input]")
        first.fill(str(float(first.input_value() or 1) * 10))
        first.dispatch_event("input")
        assert outputs() != before, f"{doc}: the converter did not react to a new value"
    assert v.errors[n_errors:] == [], f"{doc}: console errors while the controls moved: {v.errors[n_errors:]}"
    assert v.blocked == [], v.blocked
