"""The local path in a real client: JupyterLab, Chromium and a live kernel.

``make lab`` promises that a chapter's λ slider redraws from a live kernel. This
test checks that promise end to end, the way a reader would meet it:

1. start ``jupyter lab`` from this environment on 127.0.0.1 (free port, random
   token, no browser) in a temporary root holding a copy of chapter 1 stripped
   of its stored outputs, with config, data, runtime, settings and workspace
   folders also temporary, so neither the repository nor the user's Jupyter
   setup is touched and every output on the page comes from the live kernel;
2. drive Debian's Chromium through Playwright (never ``playwright install``),
   with every request that does not go to 127.0.0.1 blocked;
3. open the notebook, run it with Run → Run All Cells, wait for the kernel to
   go idle, save it, and check that no cell produced an error;
4. move the λ slider of the live ipywidgets output with the keyboard and check
   that the ``<img>`` of the widget received a new frame. Only the kernel can
   swap that frame (the slider's ``observe`` callback assigns the PNG to the
   Image widget), so a new ``src`` whose bytes are the precomputed frame of the
   new λ shows the round trip browser → kernel → browser worked.

Without /usr/bin/chromium (or Playwright) the test is skipped, unless ``CI`` or
``L2_REQUIRE_BROWSER`` is set (``make test`` sets it): then it fails and says why.
"""
from __future__ import annotations

import base64
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_cost_and_overfitting.ipynb"
SERVER_START_S = 60      # jupyter lab answering /api/status
UI_TIMEOUT_MS = 45_000   # default wait for a selector or an action
RUN_ALL_TIMEOUT_S = 180  # chapter 1 in the live kernel: 25-45 s measured with 2 busy cores
FRAME_TIMEOUT_MS = 20_000  # slider moved → new frame from the kernel


# ---------------------------------------------------------------------- helpers
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET", timeout: float = 5.0):
    req = urllib.request.Request(f"{base}{path}", method=method, data=b"" if method != "GET" else None,
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
    return json.loads(body) if body else None


def _log_tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "<no server log>"


class LabServer:
    """A ``jupyter lab`` process and what is needed to talk to it."""

    def __init__(self, proc: subprocess.Popen, base: str, token: str, root: Path, log: Path):
        self.proc, self.base, self.token, self.root, self.log = proc, base, token, root, log

    def url(self, path: str) -> str:
        return f"{self.base}{path}?token={self.token}"

    def api(self, path: str, method: str = "GET"):
        return _api(self.base, self.token, path, method)


def _start_server(tmp: Path) -> LabServer:
    root = tmp / "root"
    root.mkdir()
    nb = json.loads(NOTEBOOK.read_text())
    for cell in nb["cells"]:  # start blank: every output the test sees comes from the live kernel
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (root / NOTEBOOK.name).write_text(json.dumps(nb, indent=1))
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")]:
        (tmp / sub).mkdir()
        env[var] = str(tmp / sub)
    env.pop("JUPYTER_TOKEN", None)
    env["PYTHONHASHSEED"] = "0"
    # Not asked about news or updates: nothing to fetch, no toast over the notebook.
    notif = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    token = secrets.token_hex(24)
    log = tmp / "server.log"
    last = None
    for _attempt in range(3):  # the free port can be taken between probe and bind: retry
        port = _free_port()
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
               f"--IdentityProvider.token={token}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers often run as root; jupyter refuses without it
        with open(log, "ab") as fh:
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        server = LabServer(proc, f"http://127.0.0.1:{port}", token, root, log)
        try:
            deadline = time.monotonic() + SERVER_START_S
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    server.api("/api/status")
                    return server
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                    last = exc
                    time.sleep(0.25)  # a short poll, not a synchronisation
        except BaseException:  # interrupted while waiting: do not leave the server behind
            _stop_server(server)
            raise
        _stop_server(server)
        if "already in use" not in _log_tail(log, 5):
            break
    raise RuntimeError(f"jupyter lab did not answer on 127.0.0.1 ({last!r}). Server log:\n{_log_tail(log)}")


def _stop_server(server: LabServer) -> None:
    """Shut the server down (kernels first), then make sure it and its kernels are gone."""
    proc = server.proc
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    if proc.poll() is None:
        try:
            server.api("/api/shutdown", method="POST")  # stops the kernels, then the server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    for child in children:  # kernels this server started, by pid (psutil guards against reuse)
        try:
            if child.is_running():
                child.kill()
                child.wait(timeout=5)
        except psutil.Error:
            pass


# ---------------------------------------------------------------------- fixtures
@pytest.fixture
def lab_server(browser, tmp_path_factory):
    """JupyterLab on 127.0.0.1 serving a temporary copy of chapter 1; always shut down afterwards."""
    server = _start_server(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        _stop_server(server)


@pytest.fixture
def lab_page(browser, lab_server):
    """A Chromium page that may only talk to 127.0.0.1, and the list of requests it refused.

    ``browser`` (tests/conftest.py) fails when chromium is missing and CI or
    L2_REQUIRE_BROWSER is set, and skips otherwise."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, service_workers="block")
    blocked: list[str] = []

    def only_local(route):
        url = urllib.parse.urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or url.hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    pg = context.new_page()
    pg.set_default_timeout(UI_TIMEOUT_MS)
    try:
        yield pg, blocked
    finally:
        context.close()


# ---------------------------------------------------------------------- the test
def _frames_of_last_slider(nb: dict) -> tuple[list[bytes], list[str]]:
    """PNG frames and value labels from the text/html bundle of the last interactive figure."""
    for cell in reversed(nb["cells"]):
        for out in cell.get("outputs", []):
            html = "".join(out.get("data", {}).get("text/html", ""))
            m = re.search(r'<script type="application/json" class="l2-data">(.*?)</script>', html, re.S)
            if m and "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
                data = json.loads(m.group(1))
                return [base64.b64decode(f) for f in data["frames"]], data["labels"][0]
    raise AssertionError("The saved notebook has no live interactive figure (widget + text/html frames).")


def _shown_frame(img, frames: list[bytes]) -> int | None:
    """Index of the precomputed frame the widget's <img> shows (None: none of them)."""
    data = _img_bytes(img)
    return frames.index(data) if data in frames else None


def _img_bytes(img) -> bytes:
    """The bytes behind the widget's <img> (a blob: URL made from the kernel's PNG)."""
    b64 = img.evaluate("""async (el) => {
        const buf = new Uint8Array(await (await fetch(el.src)).arrayBuffer());
        let s = ""; for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
        return btoa(s); }""")
    return base64.b64decode(b64)


def test_lab_slider_redraws_from_live_kernel(request):
    request.getfixturevalue("browser")  # before the server starts: a missing browser fails (CI) or skips here
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    lab_server = request.getfixturevalue("lab_server")
    page, refused = request.getfixturevalue("lab_page")
    name, t0 = NOTEBOOK.name, time.monotonic()

    def phase(what: str) -> None:  # shown by pytest only when the test fails
        print(f"{time.monotonic() - t0:6.1f} s  {what}")

    page.goto(lab_server.url(f"/lab/tree/{name}"))
    tab = page.locator(f'.lm-TabBar-tab[data-type="document-title"].lm-mod-current:has-text("{name}")')
    tab.wait_for()
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell").first.wait_for()
    # The kernel the notebook asks for (python3 of this environment) is up.
    page.wait_for_function("""() => { const w = window.jupyterapp?.shell?.currentWidget;
        return w?.sessionContext?.session?.kernel?.status === 'idle'; }""", polling=250)
    phase("notebook open, kernel idle")

    # Run → Run All Cells, through the menu bar as a reader would.
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator('.lm-Menu .lm-Menu-item[data-command="runmenu:run-all"]').click()
    # The copy had no execution counts: done when every code cell has one and the kernel is
    # idle; stop early on an error output (Run All stops there) or a dead kernel.
    state = page.wait_for_function("""() => { const w = window.jupyterapp.shell.currentWidget;
        const status = w.sessionContext.session?.kernel?.status;
        if (status === 'dead') return 'the kernel died';
        const cells = w.content.model.cells; let ran = true;
        for (let i = 0; i < cells.length; i++) { const c = cells.get(i);
            if (c.type !== 'code') continue;
            for (let j = 0; j < c.outputs.length; j++)
                if (c.outputs.get(j).type === 'error') return 'an error output';
            if (!c.executionCount) ran = false; }
        return ran && status === 'idle' && 'done'; }""",
                                   timeout=RUN_ALL_TIMEOUT_S * 1000, polling=250).json_value()
    phase(f"Run All Cells: {state}")

    # File → Save Notebook, then read the saved copy back: every code cell ran, none raised.
    saved = lab_server.root / name
    mtime0 = saved.stat().st_mtime_ns
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.locator('.lm-Menu .lm-Menu-item[data-command="docmanager:save"]').click()
    page.locator(f'.lm-TabBar-tab[data-type="document-title"].lm-mod-current:has-text("{name}")'
                 ":not(.jp-mod-dirty)").wait_for()
    deadline = time.monotonic() + 30
    while saved.stat().st_mtime_ns == mtime0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert saved.stat().st_mtime_ns != mtime0, "File → Save Notebook did not write the notebook"
    nb = json.loads(saved.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(nb["cells"])
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, "the chapter raised in JupyterLab:\n" + "\n".join(errors)
    assert state == "done", f"Run All Cells ended with {state}. Server log:\n{_log_tail(lab_server.log)}"
    assert code and all(c.get("execution_count") for c in code), "the saved notebook has cells that never ran"
    frames, labels = _frames_of_last_slider(nb)
    assert len(frames) == len(labels) >= 3
    phase(f"saved: {len(code)} code cells, no errors, {len(frames)} slider frames")

    # The live widget: a SelectionSlider (a noUiSlider handle) next to an Image widget.
    widget = page.locator(".jp-OutputArea-output .widget-vbox:has(.widget-slider):has(img.widget-image)").last
    widget.scroll_into_view_if_needed()
    handle = widget.locator(".widget-slider .noUi-handle").first
    readout = widget.locator(".widget-slider .widget-readout").first
    img = widget.locator("img.widget-image").first
    img.wait_for(state="visible")
    src = img.get_attribute("src")
    assert src and src.startswith(("blob:", "data:")), src
    assert readout.inner_text().strip() == labels[0]
    assert _shown_frame(img, frames) == 0, "the live widget does not show the frame of the first λ"

    # Keyboard on the slider handle: one step right, then to the end. Each time the
    # kernel's callback must put the frame of the new λ into the <img>.
    for key, k in [("ArrowRight", 1), ("End", len(frames) - 1)]:
        before = img.get_attribute("src")
        handle.press(key)
        try:
            page.wait_for_function("([el, old]) => el.src && el.src !== old", arg=[img.element_handle(), before],
                                   timeout=FRAME_TIMEOUT_MS, polling=100)
            redrawn = True
        except PlaywrightTimeout:
            redrawn = False
        assert redrawn, (f"after {key} on the slider (readout now {readout.inner_text().strip()!r}) the image did "
                         f"not change within {FRAME_TIMEOUT_MS / 1000:g} s: no new frame came from the kernel")
        assert float(handle.get_attribute("aria-valuenow")) == k
        assert readout.inner_text().strip() == labels[k]
        assert _shown_frame(img, frames) == k, f"after {key} the image is not the frame for λ = {labels[k]}"
        phase(f"{key}: new frame for λ = {labels[k]}")

    assert lab_server.proc.poll() is None, "the server died during the test:\n" + _log_tail(lab_server.log)
    assert not refused, f"the page tried to reach beyond 127.0.0.1: {refused}"
