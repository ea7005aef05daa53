"""Page weight of each built chapter, as a browser loads it.

The site built by ``bench_book.py`` (``benchmarks/results/build/_build/html``) is served on
127.0.0.1 the way a static host serves it (tests/conftest.py's server: text gzip-compressed; here
also cacheable for ten minutes, as GitHub Pages sends it), and Debian's chromium, driven by
Playwright, opens every chapter page in a fresh browser context (an empty cache), then the next
chapter in the same context. For each page it records:

* ``html`` — bytes of the page's HTML file (the interactive figures' frames are inline data URIs,
  so they are counted here);
* ``own`` — the HTML plus the files under ``_images/`` it loads (the chapter's own weight, the
  number the book's 3 MB rule is about);
* ``total`` — the sum of every response body the browser received for the page, including the
  theme's CSS/JS/fonts and MathJax, which the whole site shares and a browser caches after the
  first page;
* ``first_visit_transfer_bytes`` — what the server sent for the page, compressed (the budget of
  tests/test_site.py: 1.2 MB);
* ``next`` — the next chapter (after the last: the first) and what the server sent for it when it is
  opened after this one, with this one's files cached (the budget: 0.6 MB).

Writes ``results/pages.json``.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_result  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests"

HTML = RESULTS / "build" / "_build" / "html"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


def _static_host(root: Path):
    """tests/conftest.py's static host (gzip for text, counting the bytes it sends per path), with
    ``Cache-Control: max-age=600`` as GitHub Pages sends it, so a browser's cache works."""
    sys.path.insert(0, str(TESTS))
    from conftest import _StaticHandler

    class Cacheable(_StaticHandler):
        def end_headers(self):
            self.send_header("Cache-Control", "max-age=600")
            super().end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Cacheable, directory=str(root)))
    server.lock, server.sent = threading.Lock(), {}
    return server


def _sent(server, page, reset: bool = False) -> dict[str, int]:
    """{path: bytes} the server sent since the last reset, once the page is quiet (its fonts loaded and
    nothing sent for a second; Playwright's "networkidle" does not come for pages served from cache)."""
    if reset:
        with server.lock:
            server.sent.clear()
        return {}
    sent: dict[str, int] = {}
    for _ in range(120):
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_for_timeout(1000)
        with server.lock:
            now = dict(server.sent)
        if now == sent:
            break
        sent = now
    return sent


def _category(path: str) -> str:
    p = path.lower()
    if "/_images/" in p:
        return "images"
    if "mathjax" in p:
        return "mathjax"
    for ext, cat in ((".html", "html"), (".js", "js"), (".css", "css"), (".woff2", "fonts"), (".woff", "fonts"),
                     (".ttf", "fonts"), (".png", "images"), (".svg", "images"), (".jpg", "images")):
        if p.endswith(ext):
            return cat
    return "other"


def measure(pages: list[str], root: Path = HTML) -> list[dict]:
    from playwright.sync_api import sync_playwright

    server = _static_host(root)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for i, page_path in enumerate(pages):
                ctx = browser.new_context()
                page = ctx.new_page()
                responses = []
                page.on("response", lambda r: responses.append(r))
                _sent(server, page, reset=True)
                page.goto(f"http://127.0.0.1:{port}/{page_path}", wait_until="networkidle", timeout=120_000)
                first = _sent(server, page)
                by_cat: dict[str, int] = {}
                total, own, n = 0, 0, 0
                for r in responses:
                    if not r.url.startswith(f"http://127.0.0.1:{port}/"):
                        continue
                    try:
                        size = len(r.body())
                    except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
                        continue
                    path = urlparse(r.url).path
                    cat = _category(path)
                    by_cat[cat] = by_cat.get(cat, 0) + size
                    total += size
                    n += 1
                    if path.lstrip("/") == page_path or "/_images/" in path:
                        own += size
                html_bytes = (root / page_path).stat().st_size
                frames = page.evaluate("document.querySelectorAll('.l2-frames').length")
                nxt = pages[(i + 1) % len(pages)]
                _sent(server, page, reset=True)
                page.goto(f"http://127.0.0.1:{port}/{nxt}", wait_until="load", timeout=120_000)
                second = _sent(server, page)
                out.append({"page": page_path, "html_bytes": html_bytes, "own_bytes": own, "total_bytes": total,
                            "requests": n, "by_category": by_cat, "interactive_figures": frames,
                            "first_visit_transfer_bytes": sum(first.values()),
                            "next": {"page": nxt, "transfer_bytes": sum(second.values()), "requests": len(second)}})
                print(f"{page_path}: html {html_bytes / 1e6:.2f} MB, own {own / 1e6:.2f} MB, "
                      f"total {total / 1e6:.2f} MB in {n} requests; transferred {sum(first.values()) / 1e6:.2f} MB, "
                      f"then {nxt}: {sum(second.values()) / 1e6:.2f} MB", flush=True)
                ctx.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


def measure_on_disk(pages: list[str], root: Path = HTML) -> list[dict]:
    """Without a browser: the HTML file plus the local ``_images/`` files its ``<img>`` tags name."""
    from bs4 import BeautifulSoup

    out = []
    for page_path in pages:
        f = root / page_path
        soup = BeautifulSoup(f.read_text(encoding="utf-8"), "html.parser")
        imgs = {(f.parent / im["src"]).resolve() for im in soup.find_all("img", src=True)
                if "_images/" in im["src"] and not im["src"].startswith("data:")}
        own = f.stat().st_size + sum(p.stat().st_size for p in imgs if p.exists())
        out.append({"page": page_path, "html_bytes": f.stat().st_size, "own_bytes": own, "total_bytes": None,
                    "requests": None, "by_category": {}, "interactive_figures": len(soup.select(".l2-frames")),
                    "first_visit_transfer_bytes": None, "next": None})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", default=str(HTML), help="built site (default: the one bench_book.py made)")
    args = ap.parse_args(argv)
    root = Path(args.html)
    if not (root / "index.html").exists():
        print(f"no built site in {root}: run benchmarks/bench_book.py first", file=sys.stderr)
        return 1
    pages = sorted(str(p.relative_to(root)) for p in (root / "notebooks").glob("*.html"))
    if Path("/usr/bin/chromium").exists():
        res = {"pages": measure(pages, root), "browser": "chromium (Playwright)", "machine": machine()}
    else:
        print("no /usr/bin/chromium: measuring the files on disk instead of a browser load", file=sys.stderr)
        res = {"pages": measure_on_disk(pages, root), "browser": None, "machine": machine()}
    write_result("pages", res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
