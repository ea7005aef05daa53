"""Every figure of every chapter in a real browser, at a laptop's and a phone's width with
devicePixelRatio 2: vector (inline SVG: sharp at any pixel density), its smallest text at least
l2lib's MIN_TEXT_PX CSS px, and every λ slider dense (≥ 25 positions) and computed on demand off its
grid in a live kernel (its ``compute``). What is measured per figure and per slider — text size,
positions, range, the time a move takes in the page — is printed in the run's summary; the time is
reported, not asserted (the house measures speed in ``make bench``, see benchmarks/bench_pages.py).
"""
from __future__ import annotations

import json

import pytest

from conftest import MEASURED, toc_files
from l2lib.slider import MIN_TEXT_PX

CHAPTERS = [p for p in toc_files() if p.startswith("notebooks/")]
WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}
MIN_POSITIONS = 25

# The smallest text of each visible inline SVG figure, in CSS px: per <text>, its base size (the largest
# size among its parts: mathtext's sub- and superscripts count with their text) times the SVG's scale.
MEASURE = """() => Array.from(document.querySelectorAll('.cell_output .l2-frames')).map((root, i) => {
    const svg = root.querySelector('svg.l2-svg');
    const outputImgs = root.closest('.cell_output').querySelectorAll('img').length;
    if (!svg) return {i, kind: 'no svg', imgs: outputImgs};
    const box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal, scale = box.width / vb.width;
    let min = Infinity;
    for (const t of svg.querySelectorAll('text')) {
        let fs = parseFloat(t.style.fontSize) || 0;
        for (const s of t.querySelectorAll('tspan')) fs = Math.max(fs, parseFloat(s.style.fontSize) || 0);
        if (fs) min = Math.min(min, fs * scale);
    }
    const d = JSON.parse(root.querySelector('script.l2-data').textContent);
    return {i, kind: 'svg', width: box.width, page: document.documentElement.clientWidth,
            overflow: box.right > document.documentElement.clientWidth + 1, min_px: min,
            stacked: root.classList.contains('l2-stacked'), panels: d.panels.length,
            live: d.live, shape: d.shape, names: d.names, labels: d.labels};
})"""

SWAP = """async root => {
    for (let t = 0; t < 100 && !root.dataset.parsed; t++) await new Promise(r => setTimeout(r, 50));
    const d = JSON.parse(root.querySelector('script.l2-data').textContent);
    const inp = root.querySelectorAll('input[data-l2-dim]')[d.live];
    const times = [];
    for (let i = 0; i <= +inp.max; i++) {
        const t0 = performance.now();
        inp.value = i; inp.dispatchEvent(new Event('input'));
        root.getBoundingClientRect(); document.body.offsetHeight;       // style and layout done
        times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {p50: times[times.length >> 1], p95: times[Math.floor(0.95 * (times.length - 1))],
            frame: +root.dataset.frame};
}"""


def open_page(browser, site, doc, size):
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=2)
    blocked = []

    def route(r):
        if r.request.url.startswith(site.url):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site.url}/{doc}.html", wait_until="load")
    return ctx, page, blocked, errors


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("doc", CHAPTERS)
def test_every_figure_is_vector_and_its_text_legible(browser, site, doc, width):
    ctx, page, blocked, errors = open_page(browser, site, doc, WIDTHS[width])
    try:
        raster = page.evaluate("() => Array.from(document.querySelectorAll('.cell_output img'))"
                               ".map(i => i.getAttribute('alt') || i.src.slice(0, 60))")
        figs = page.evaluate(MEASURE)
    finally:
        ctx.close()
    assert not blocked and not errors, (blocked, errors)
    assert figs, f"{doc} has no figure"
    name = doc.split("/")[-1]
    MEASURED[f"figures {name} at {WIDTHS[width][0]} px"] = "; ".join(
        f"#{f['i']} {f['kind']} text ≥ {f.get('min_px', 0):.1f} px" + (" stacked" if f.get("stacked") else "")
        for f in figs) + (f"; raster images: {len(raster)}" if raster else "")
    assert raster == [], f"{doc}: figures drawn as raster images, not through l2lib's SVG: {raster}"
    bad = [f for f in figs if f["kind"] != "svg" or f["min_px"] < MIN_TEXT_PX or f["overflow"]]
    assert bad == [], f"{doc} at {width} width: figures with text under {MIN_TEXT_PX} px or wider than " \
                      f"the page: {[(f['i'], f.get('min_px'), f.get('width')) for f in bad]}"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_every_lambda_slider_is_dense_and_computes_off_its_grid(browser, site, doc):
    ctx, page, blocked, errors = open_page(browser, site, doc, WIDTHS["laptop"])
    try:
        figs = [f for f in page.evaluate(MEASURE) if f["kind"] == "svg" and f["shape"]]
        swaps = []
        for root, f in zip([r for r in page.query_selector_all(".cell_output .l2-frames")
                            if r.query_selector("input[data-l2-dim]")], figs):
            if f["live"] is not None:
                root.scroll_into_view_if_needed()
                swaps.append(page.evaluate(SWAP, root))
            else:
                swaps.append(None)
    finally:
        ctx.close()
    assert not blocked and not errors, (blocked, errors)
    assert figs, f"{doc} has no slider"
    name = doc.split("/")[-1]
    for f, s in zip(figs, swaps):
        j = f["live"]
        label = f"slider {name} #{f['i']}"
        assert j is not None, f"{label}: its λ control does not compute off the grid (no compute=): {f['names']}"
        labels = f["labels"][j]
        MEASURED[label] = (f"{f['names'][j]}: {len(labels)} positions, {labels[0]} to {labels[-1]}; "
                           f"move in the page p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms (reported, not asserted)")
        assert len(labels) >= MIN_POSITIONS, f"{label}: {len(labels)} positions of {f['names'][j]}, " \
                                             f"at least {MIN_POSITIONS} wanted"
