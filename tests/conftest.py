"""Shared fixtures: the built website, a local server for it, and Debian's chromium."""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = os.environ.get("L2_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network: no background services that would try to reach the internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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
    shutil.rmtree(ROOT / "_build", ignore_errors=True)   # a clean build: no stale environment or caches
    proc = subprocess.run([str(jb), "build", str(ROOT), "-n", "-W", "--keep-going"], cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)
    return proc


@pytest.fixture(scope="session")
def site(book_build):
    """Serve the built site on 127.0.0.1 and yield its base URL."""
    if book_build.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("L2_REQUIRE_BROWSER"))


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright. Missing chromium fails in CI, skips elsewhere."""
    if not Path(CHROMIUM).exists():
        msg = f"chromium not found at {CHROMIUM} (install Debian's 'chromium' package; .ci/run does)"
        if browser_required():
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
