"""Shared fixtures: the built website, a local server for it, and Debian's chromium.

The website is built into _build/html, or into $L2_BUILD_OUT/_build/html when that variable names
another folder (so two checkouts, or two people, can run the browser tests at the same time).
"""
from __future__ import annotations

import functools
import gzip
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import matplotlib
import pytest
import yaml

# Figures drawn in the test process go to Agg, set once here for the whole session. Not through
# MPLBACKEND: the environment reaches the kernels nbval and nbclient start, and ipykernel keeps its
# inline backend (the stored figures) only when MPLBACKEND is unset.
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
BUILD_OUT = Path(os.environ.get("L2_BUILD_OUT") or ROOT).resolve()
HTML = BUILD_OUT / "_build" / "html"
CHROMIUM = os.environ.get("L2_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network: no background services that would try to reach the internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-breakpad", "--disable-crash-reporter",
                 # Defence in depth next to each test's request routing: no host name resolves,
                 # so nothing (websockets included) can leave the machine.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


PAGE_WEIGHTS: dict[str, tuple[float, int, int]] = {}   # doc -> (MB transferred, equations, images)
MEASURED: dict[str, str] = {}   # other figures the tests measure (downloads, round trip, search), printed at the end


def pytest_terminal_summary(terminalreporter):
    """Print what each page of the website transferred, as measured by tests/test_site.py."""
    if PAGE_WEIGHTS:
        terminalreporter.section("page weight (bytes sent by the server, text gzip-compressed, fresh cache)")
        for doc, (mb, n_eq, n_img) in PAGE_WEIGHTS.items():
            terminalreporter.write_line(f"{mb:6.2f} MB  {n_eq:4d} equations  {n_img:3d} images  {doc}")
    if MEASURED:
        terminalreporter.section("measured by the site and download tests")
        for what, value in MEASURED.items():
            terminalreporter.write_line(f"{what}: {value}")


# What tests/test_frames.py needs from a chapter's run (appended as one more cell): the kernel's
# environment, the settings of `make execute` it ran with, and which numpy code path it ran on.
PROBE = """import json, os, sys
try:
    from numpy._core import _multiarray_umath as _um
except ImportError:
    from numpy.core import _multiarray_umath as _um
print(json.dumps({"prefix": sys.prefix, "on": {k: bool(_um.__cpu_features__.get(k)) for k in _um.__cpu_dispatch__},
                  "env": {k: os.environ.get(k) for k in ("PYTHONHASHSEED", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                         "MKL_NUM_THREADS", "NPY_DISABLE_CPU_FEATURES")}}))"""

# nbval's own run of each notebook in this session: path -> {"outputs": {code cell: outputs}, "complete":
# every code cell ran and passed, "probe": PROBE's output in that kernel after the last cell}. nbval
# executes every chapter anyway; tests/test_frames.py compares the figures of that run instead of
# executing the chapter a second time (and executes it itself where nbval did not run it in full).
NBVAL_RUNS: dict[str, dict] = {}


def _keep_nbval_runs(items) -> None:
    """Wrap each nbval cell's ``runtest`` so that its outputs (``test_outputs``, which nbval keeps for
    nbdime) are recorded in NBVAL_RUNS; after a notebook's last code cell, PROBE runs in its kernel."""
    cells = [i for i in items if type(i).__name__ == "IPyNbCell"]
    last = {i.parent: i for i in cells}
    for item in cells:
        item.runtest = functools.partial(_run_and_keep, item, item.runtest, last[item.parent] is item)


def _run_and_keep(item, runtest, last: bool) -> None:
    run = NBVAL_RUNS.setdefault(str(item.path), {"outputs": {}, "complete": True, "probe": None})
    try:
        runtest()
    except BaseException:                 # a failure, an error or a skip: the run is not complete
        run["complete"] = False
        raise
    finally:
        run["outputs"][item.cell_num] = item.test_outputs
    if last and run["complete"]:
        try:
            run["probe"] = _kernel_stdout(item.parent.kernel, PROBE)
        except Exception as exc:          # not this cell's failure: test_frames then runs the chapter itself
            run["probe"] = None
            print(f"nbval's kernel did not answer the probe after {item.path.name} ({exc!r})")


def _kernel_stdout(kernel, code: str, timeout: float = 60) -> str:
    """Run ``code`` in nbval's kernel and return what it printed (nbval's own message loop, shortened)."""
    msg_id = kernel.execute_cell_input(code, allow_stdin=False)
    kernel.await_reply(msg_id, timeout=timeout)
    text = []
    while True:
        msg = kernel.get_message("iopub", timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            text.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            raise RuntimeError(f"the probe failed in nbval's kernel: {msg['content']['ename']}")
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(text)


def pytest_collection_modifyitems(items):
    """Mark each test by what it needs, from the fixtures it requests (directly or through other
    fixtures): `book` for the built website, `browser` for chromium, and `slow` for the website
    build (`book_build`) and a fresh venv (`fresh_venv`). A test that asks for one at run time
    (request.getfixturevalue), or executes whole notebooks or starts JupyterLab, carries its
    markers itself. pyproject.toml registers the markers; its default `-m` leaves all three out
    (a plain `pytest` and `make check` are the fast loop), `make test` passes `-m ""` (everything),
    `make test-pythons` deselects only `book` and `browser`."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "book_build" in names:
            item.add_marker(pytest.mark.book)
        if "book_build" in names or "fresh_venv" in names:
            item.add_marker(pytest.mark.slow)
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
    _group_checks_of_one_page(items)
    _keep_nbval_runs(items)


def _group_checks_of_one_page(items):
    """tests/test_site.py's checks that share one visit of a page (the ``page_visit`` fixture: the
    same ``doc`` over the same ``scheme``, http when the test has no such parameter) run one after
    another, where the first of them stood, in the order they are written; everything else keeps
    its place. So each page is opened once for all its checks, and one shared page is open at a time."""
    def key(item):
        if "page_visit" not in getattr(item, "fixturenames", ()):
            return None
        params = item.callspec.params
        return params["doc"], params.get("scheme", "http")

    groups: dict[tuple[str, str], list] = {}
    for item in items:
        if key(item) is not None:
            groups.setdefault(key(item), []).append(item)
    ordered = []
    for item in items:
        k = key(item)
        if k is None:
            ordered.append(item)
        elif k in groups:
            ordered.extend(groups.pop(k))
    items[:] = ordered


def toc_files() -> list[str]:
    """Every document the table of contents lists, root first, as paths without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("chapters"))
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


@pytest.fixture(scope="session")
def book_build():
    """Build the website from scratch once per session, warnings as errors; return the process."""
    jb = Path(sys.executable).with_name("jupyter-book")
    shutil.rmtree(BUILD_OUT / "_build", ignore_errors=True)   # a clean build: no stale environment or caches
    out = ["--path-output", str(BUILD_OUT)] if BUILD_OUT != ROOT else []
    proc = subprocess.run([str(jb), "build", str(ROOT), *out, "-n", "-W", "--keep-going"], cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)
    return proc


class Site:
    """The built site served on 127.0.0.1 the way a static host serves it (gzip for text),
    counting the bytes it sends, so a test can measure what a page transfers."""

    def __init__(self, server):
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"

    def reset_bytes(self) -> None:
        with self.server.lock:
            self.server.sent.clear()

    def bytes_sent(self) -> int:
        with self.server.lock:
            return sum(self.server.sent.values())


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    COMPRESS = {".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".ipynb"}

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404, "File not found")
            return
        body = path.read_bytes()
        gz = "gzip" in self.headers.get("Accept-Encoding", "") and path.suffix in self.COMPRESS
        if gz:
            body = _gzip(str(path), path.stat().st_mtime)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with self.server.lock:
            self.server.sent[self.path] = len(body)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    # A chapter page asks for about 46 files at once. With socketserver's default listen backlog of 5,
    # a busy machine can drop connections, and the browser retries a dropped handshake only after
    # seconds.
    request_queue_size = 128


@functools.lru_cache(maxsize=None)
def _gzip(path: str, mtime: float) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


@pytest.fixture(scope="session")
def site(book_build):
    """Serve the built site on 127.0.0.1 and yield a :class:`Site`."""
    if book_build.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    handler = functools.partial(_StaticHandler, directory=str(HTML))
    server = _Server(("127.0.0.1", 0), handler)
    server.lock, server.sent = threading.Lock(), {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(server)
    server.shutdown()
    server.server_close()


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("L2_REQUIRE_BROWSER"))


def _browser_missing(msg: str) -> None:
    """The README's rule for a missing browser: fail in CI or with L2_REQUIRE_BROWSER, else skip."""
    if browser_required():
        pytest.fail(f"{msg}; CI or L2_REQUIRE_BROWSER is set, so browser tests fail instead of skipping",
                    pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright. A missing chromium or Playwright fails in CI (or with
    L2_REQUIRE_BROWSER, which `make test` sets) and skips elsewhere."""
    if not Path(CHROMIUM).exists():
        _browser_missing(f"chromium not found at {CHROMIUM} (install Debian's 'chromium' package; .ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        _browser_missing(f"Playwright cannot be imported ({e}); it is pinned in requirements.txt: "
                         f"`make test` installs it into .venv")

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
