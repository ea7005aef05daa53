"""Page weight of each built chapter, as a browser loads it.

The site built by ``bench_book.py`` (``benchmarks/results/build/_build/html``) is served on
127.0.0.1 by a throw-away ``http.server`` (no compression, like opening the files), and Debian's
chromium, driven by Playwright, opens every chapter page in a fresh browser context (an empty cache).
For each page it records:

* ``html`` — bytes of the page's HTML file (the interactive figures' frames are inline data URIs,
  so they are counted here);
* ``own`` — the HTML plus the files under ``_images/`` it loads (the chapter's own weight, the
  number the book's 3 MB rule is about);
* ``total`` — the sum of every response body the browser received for the page, including the
  theme's CSS/JS/fonts and MathJax, which the whole site shares and a browser caches after the
  first page.

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

HTML = RESULTS / "build" / "_build" / "html"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - no access log on stderr
        pass


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

    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for page_path in pages:
                ctx = browser.new_context()
                page = ctx.new_page()
                responses = []
                page.on("response", lambda r: responses.append(r))
                page.goto(f"http://127.0.0.1:{port}/{page_path}", wait_until="networkidle", timeout=120_000)
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
                out.append({"page": page_path, "html_bytes": html_bytes, "own_bytes": own, "total_bytes": total,
                            "requests": n, "by_category": by_cat, "interactive_figures": frames})
                print(f"{page_path}: html {html_bytes / 1e6:.2f} MB, own {own / 1e6:.2f} MB, "
                      f"total {total / 1e6:.2f} MB in {n} requests", flush=True)
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
                    "requests": None, "by_category": {}, "interactive_figures": len(soup.select(".l2-frames"))})
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
