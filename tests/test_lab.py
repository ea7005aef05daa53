"""The local path in a real client: ``make lab``, JupyterLab, Chromium and a live kernel.

Every test here starts JupyterLab exactly as ``make lab`` does, through
scripts/lab.py (the Makefile's ``lab`` recipe; checked with ``make -n``), in a
temporary git repository laid out like this one (Makefile, scripts/lab.py,
notebooks/), so the real tree is never touched. Config, data, runtime, settings
and workspace folders are temporary too, so the user's Jupyter setup is not
touched either. The server listens on 127.0.0.1 (free port, random token, no
browser); Debian's Chromium is driven through Playwright (never ``playwright
install``) with every request that does not go to 127.0.0.1 blocked.

1. Opening a stored chapter leaves the repository as it was. JupyterLab rewrites
   a notebook's metadata as soon as its kernel starts (kernelspec display name,
   language_info.version of the reader's Python) and autosave writes it, so
   ``make lab`` opens git-ignored working copies in lab/. The test opens
   chapter 1, waits for its kernel, saves it (what autosave would do later) and
   checks that ``git status`` is empty and notebooks/ unchanged byte for byte.
   Before anything ran, the stored slider must show its figure and the one-line
   note saying that running the cells makes it live (JupyterLab shows a stored
   output sanitized: its script does not run and its controls are disabled).
2. A slider redraws from a live kernel: a working copy of chapter 1 stripped of
   its stored outputs is run with Run → Run All Cells and saved, no cell may
   raise, and moving the λ slider of the live ipywidgets output with the
   keyboard must put the precomputed frame of the new λ into the widget's
   ``<img>``. Only the kernel can swap that frame (the slider's ``observe``
   callback assigns the SVG to the Image widget), so this shows the round trip
   browser → kernel → browser worked. Then a λ off the grid is typed into the
   "or type λ" box: the status must say the kernel is computing it while it
   trains, and the image must become a new frame for that λ.
3. Where the static output's script does run (the website), the note and the
   fallback image are gone and the controls swap frames; with JavaScript off
   both stay.

Without /usr/bin/chromium (or Playwright) the browser tests are skipped, unless
``CI`` or ``L2_REQUIRE_BROWSER`` is set (``make test`` sets it): then they fail
and say why.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import secrets
import shutil
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
LAB_SCRIPT = Path("scripts") / "lab.py"   # what the Makefile's lab recipe runs, relative to the repository
NOTE = "Run the notebook's cells to move this slider."   # chapter 1's slider has one λ control
SERVER_START_S = 60      # jupyter lab answering /api/status
UI_TIMEOUT_MS = 45_000   # default wait for a selector or an action
RUN_ALL_TIMEOUT_S = 180  # chapter 1 in the live kernel: 25-45 s measured with 2 busy cores
FRAME_TIMEOUT_MS = 20_000  # slider moved → new frame from the kernel
OFF_GRID_TIMEOUT_MS = 120_000  # a typed λ in chapter 1: one network trained for 4,000 epochs, then drawn
SAVE_TIMEOUT_S = 30      # File → Save Notebook → the file on disk changed


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


def _git(repo: Path, *args: str) -> str:
    git = shutil.which("git")
    if git is None:
        pytest.fail("git not found: the make lab tests check `git status` in a temporary repository")
    proc = subprocess.run([git, "-c", "user.name=test_lab", "-c", "user.email=test_lab@localhost",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


def _repo_copy(tmp: Path) -> Path:
    """A git repository laid out as this one where ``make lab`` looks: Makefile, scripts/lab.py,
    .gitignore and notebooks/*.ipynb as they are in the working tree, committed."""
    repo = tmp / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "scripts").mkdir()
    for rel in ["Makefile", ".gitignore", str(LAB_SCRIPT)]:
        if (ROOT / rel).exists():
            shutil.copyfile(ROOT / rel, repo / rel)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copyfile(nb, repo / "notebooks" / nb.name)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "stored chapters")
    return repo


def _lab_command(repo: Path) -> list[str]:
    """The command ``make lab`` runs (``make -n``, setup assumed done), with this interpreter.

    Checks that the Makefile's lab recipe is still ``$(PY) scripts/lab.py``; called again once
    lab/ exists, it also catches a ``lab`` target that stopped being phony (make would call the
    folder up to date and run nothing)."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("make not found: the make lab tests read the lab recipe from the Makefile")
    proc = subprocess.run([make, "-n", "-o", "setup", "lab", f"PYTHON={sys.executable}"], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"make -n lab failed:\n{proc.stdout}{proc.stderr}"
    lines = [ln for ln in proc.stdout.splitlines() if LAB_SCRIPT.as_posix() in ln]
    assert len(lines) == 1 and re.fullmatch(r"\S*python\S* scripts/lab\.py\s*", lines[0]), \
        f"make lab no longer runs `$(PY) scripts/lab.py`; make -n lab printed:\n{proc.stdout}"
    return [sys.executable, str(repo / LAB_SCRIPT)]


class LabServer:
    """A ``jupyter lab`` process and what is needed to talk to it."""

    def __init__(self, proc: subprocess.Popen, base: str, token: str, root: Path, log: Path):
        self.proc, self.base, self.token, self.root, self.log = proc, base, token, root, log

    def url(self, path: str) -> str:
        return f"{self.base}{path}?token={self.token}"

    def api(self, path: str, method: str = "GET"):
        return _api(self.base, self.token, path, method)


def _start_server(repo: Path, tmp: Path) -> LabServer:
    """``make lab`` in ``repo``: scripts/lab.py, which opens JupyterLab on the working copies in lab/."""
    cmd0 = _lab_command(repo)
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")]:
        (tmp / sub).mkdir(parents=True)
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
        cmd = [*cmd0, "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.expose_app_in_browser=True"]
        with open(log, "ab") as fh:
            proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        server = LabServer(proc, f"http://127.0.0.1:{port}", token, repo / "lab", log)
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
def start_lab(tmp_path):
    """``start_lab(repo)`` runs ``make lab``'s command in ``repo``; every server is shut down afterwards."""
    servers: list[LabServer] = []

    def start(repo: Path) -> LabServer:
        servers.append(_start_server(repo, tmp_path / f"jupyter{len(servers)}"))
        return servers[-1]

    try:
        yield start
    finally:
        for server in servers:
            _stop_server(server)


@pytest.fixture
def lab_page(browser):
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


# ---------------------------------------------------------------------- shared steps
def _open_notebook(page, server: LabServer, name: str) -> None:
    """Open lab/<name> in JupyterLab and wait until its kernel (python3 of this environment) is idle."""
    page.goto(server.url(f"/lab/tree/{name}"))
    tab = page.locator(f'.lm-TabBar-tab[data-type="document-title"].lm-mod-current:has-text("{name}")')
    tab.wait_for()
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell").first.wait_for()
    page.wait_for_function("""() => { const w = window.jupyterapp?.shell?.currentWidget;
        return w?.sessionContext?.session?.kernel?.status === 'idle'; }""", polling=250)


def _save_notebook(page, path: Path) -> bool:
    """File → Save Notebook through the menu bar; wait until the file on disk changed (False: it did not)."""
    mtime0 = path.stat().st_mtime_ns
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.locator('.lm-Menu .lm-Menu-item[data-command="docmanager:save"]').click()
    page.locator(f'.lm-TabBar-tab[data-type="document-title"].lm-mod-current:has-text("{path.name}")'
                 ":not(.jp-mod-dirty)").wait_for()
    deadline = time.monotonic() + SAVE_TIMEOUT_S
    while path.stat().st_mtime_ns == mtime0 and time.monotonic() < deadline:
        time.sleep(0.1)
    return path.stat().st_mtime_ns != mtime0


# ---------------------------------------------------------------------- the live kernel
def _frames_of_last_slider(nb: dict) -> tuple[list[list[str]], list[str]]:
    """Each frame's slot contents (what differs between its SVG frames) and the value labels, from the
    text/html bundle of the last interactive figure."""
    for cell in reversed(nb["cells"]):
        for out in cell.get("outputs", []):
            html = "".join(out.get("data", {}).get("text/html", ""))
            m = re.search(r'<script type="application/json" class="l2-data">(.*?)</script>', html, re.S)
            if m and "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
                data = json.loads(m.group(1))
                return data["slots"], data["labels"][0]
    raise AssertionError("The saved notebook has no live interactive figure (widget + text/html frames).")


def _shown_frame(img, frames: list[list[str]]) -> int | None:
    """Index of the one precomputed frame whose every slot is in the SVG the widget's <img> shows
    (None: none of them, or more than one)."""
    svg = _img_bytes(img).decode("utf-8")
    hits = [k for k, slots in enumerate(frames) if all(s in svg for s in slots)]
    return hits[0] if len(hits) == 1 else None


def _img_bytes(img) -> bytes:
    """The bytes behind the widget's <img> (a blob: URL made from the kernel's SVG)."""
    b64 = img.evaluate("""async (el) => {
        const buf = new Uint8Array(await (await fetch(el.src)).arrayBuffer());
        let s = ""; for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
        return btoa(s); }""")
    return base64.b64decode(b64)


@pytest.mark.browser
@pytest.mark.slow   # starts JupyterLab
def test_lab_slider_redraws_from_live_kernel(request, tmp_path):
    request.getfixturevalue("browser")  # before the server starts: a missing browser fails (CI) or skips here
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    name, t0 = NOTEBOOK.name, time.monotonic()
    repo = _repo_copy(tmp_path)
    # A working copy stripped of its outputs (make lab keeps a copy it finds in lab/): every
    # output the test sees comes from the live kernel.
    nb = json.loads((repo / "notebooks" / name).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (repo / "lab").mkdir()
    (repo / "lab" / name).write_text(json.dumps(nb, indent=1))
    lab_server = request.getfixturevalue("start_lab")(repo)
    page, refused = request.getfixturevalue("lab_page")

    def phase(what: str) -> None:  # shown by pytest only when the test fails
        print(f"{time.monotonic() - t0:6.1f} s  {what}")

    _open_notebook(page, lab_server, name)
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
    assert _save_notebook(page, saved), f"File → Save Notebook did not write {saved}"
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

    # Off the grid: a λ typed into the "or type λ" box is computed by the kernel (chapter 1 trains the
    # network again), which says so while it works, then shows the new frame and the time it took.
    typed = "0.37"
    assert typed not in labels
    box = widget.locator("input[type=number]").first
    box.fill(typed)
    box.press("Enter")
    widget.get_by_text(f"computing λ = {typed} …").wait_for(state="visible", timeout=FRAME_TIMEOUT_MS)
    phase(f"typed λ = {typed}: the status says it is computing")
    widget.get_by_text(re.compile(rf"^λ = {re.escape(typed)} \(computed in [0-9.e+-]+ s\)$")).wait_for(
        state="visible", timeout=OFF_GRID_TIMEOUT_MS)
    svg = _img_bytes(img).decode("utf-8")
    assert f"λ = {typed}:" in svg and _shown_frame(img, frames) is None, \
        f"after typing λ = {typed} the image is not a new frame for it"
    phase(f"typed λ = {typed}: new frame computed")

    assert lab_server.proc.poll() is None, "the server died during the test:\n" + _log_tail(lab_server.log)
    assert not refused, f"the page tried to reach beyond 127.0.0.1: {refused}"


# ---------------------------------------------------------------------- opening a stored chapter
def _stored_slider(nb: dict) -> int:
    """Index of the first cell with an interactive figure (a figure with controls)."""
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            if 'class="l2-controls"' in "".join(out.get("data", {}).get("text/html", "")):
                return i
    raise AssertionError("the stored chapter has no interactive figure")


@pytest.mark.browser
@pytest.mark.slow   # starts JupyterLab
def test_make_lab_leaves_git_status_clean_and_explains_stored_sliders(request, tmp_path):
    """Open a stored chapter as make lab does, let its kernel start, save: git status stays empty.
    Before anything ran, the stored slider shows its figure and the note saying how to make it live."""
    request.getfixturevalue("browser")  # before the server starts: a missing browser fails (CI) or skips here
    name, t0 = NOTEBOOK.name, time.monotonic()

    def phase(what: str) -> None:  # shown by pytest only when the test fails
        print(f"{time.monotonic() - t0:6.1f} s  {what}")

    repo = _repo_copy(tmp_path)
    stored = {p.name: p.read_bytes() for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    server = request.getfixturevalue("start_lab")(repo)
    page, refused = request.getfixturevalue("lab_page")
    copy = repo / "lab" / name
    assert server.root == repo / "lab" and copy.read_bytes() == stored[name], \
        "make lab did not put a copy of the stored chapter into lab/"
    phase("make lab: server up on lab/")

    _open_notebook(page, server, name)
    phase("notebook open, kernel idle")

    # The stored slider, before any cell ran: its figure and the note, no live widget.
    cell = _stored_slider(json.loads(stored[name]))
    page.evaluate("async (i) => { await window.jupyterapp.shell.currentWidget.content.scrollToItem(i, 'start'); }",
                  cell)
    figure = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output "
                          ".l2-frames:has(.l2-controls)").first
    figure.scroll_into_view_if_needed()
    # JupyterLab's sanitizer drops inline SVG (and every script) from an output it does not trust, so
    # before the cells run the stored figure is shown by its fallback image (the first frame as an SVG
    # data URI, which the sanitizer keeps), once, with its controls and the note.
    fallback = figure.locator("img.l2-fallback")
    assert fallback.count() == 1 and fallback.is_visible(), "the stored slider shows no figure before its cells ran"
    assert fallback.evaluate("i => i.complete && i.naturalWidth > 100"), "the fallback image did not decode"
    shown = figure.evaluate("r => Array.from(r.querySelectorAll('svg, img')).filter(e => e.getClientRects().length)"
                            ".map(e => e.tagName.toLowerCase())")
    assert shown == ["img"], f"the stored slider draws its figure not exactly once: {shown}"
    note = figure.locator(".l2-note")
    assert note.is_visible(), "the stored slider shows no note saying how to make it live"
    assert note.inner_text().strip() == NOTE
    assert note.locator("em").evaluate("el => el.getClientRects().length") == 1, "the note takes more than one line"
    assert figure.locator('input[type="range"]').count() == 1   # the stored control (sanitized: data-* dropped)
    assert page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-vbox").count() == 0
    phase("stored slider: its first frame (fallback image), controls and note visible")

    # What autosave would write after its interval (120 s by default), written now.
    written = _save_notebook(page, copy)
    phase(f"saved lab/{name}: {written}; metadata now {json.dumps(json.loads(copy.read_text())['metadata'])}")
    assert server.proc.poll() is None, "the server died during the test:\n" + _log_tail(server.log)
    _stop_server(server)

    status = _git(repo, "status", "--porcelain", "--untracked-files=all")
    assert status == "", f"opening {name} with make lab changed the repository:\n{status}"
    assert written, f"File → Save Notebook did not write the working copy lab/{name}"
    _lab_command(repo)   # a second make lab, now that lab/ exists, still runs scripts/lab.py
    ignored = _git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all")
    assert f"!! lab/{name}" in ignored.splitlines(), f"lab/{name} is not an ignored working copy:\n{ignored}"
    changed = [n for n, b in stored.items() if (repo / "notebooks" / n).read_bytes() != b]
    assert not changed, f"make lab changed stored notebooks: {changed}"
    assert not refused, f"the page tried to reach beyond 127.0.0.1: {refused}"


# ---------------------------------------------------------------------- the note where the script runs
def _viewers():
    import matplotlib.pyplot as plt   # Agg: tests/conftest.py sets it for the session

    import l2lib as L

    def render(lam, flag=False):
        fig, ax = plt.subplots(figsize=(1.5, 1))
        ax.plot([0, 1], [0, lam + (1 if flag else 0)])
        ax.set_ylim(0, 4)
        return fig

    return [L.lambda_slider(render, [0.0, 1.0, 2.0], alt="line at λ = {lam}"),
            L.interactive_figure(render, {"lam": [0.0, 1.0], "flag": [False, True]}, alt="{lam} {flag}"),
            L.interactive_figure(lambda lam, m: render(lam + m), {"lam": [0.0, 1.0], "m": [0.0, 2.0]}, alt="{lam} {m}")]


def test_static_slider_note_shows_only_where_its_script_cannot_run(browser):
    """The website (script runs): no note, no fallback image, the controls swap frames. JavaScript off:
    the note and the fallback image (the first frame as an SVG data URI) stay."""
    viewers = _viewers()
    page_html = "<html><body>" + "".join(v.html() for v in viewers) + "</body></html>"
    notes = [NOTE, "Run the notebook's cells to use these controls.", "Run the notebook's cells to move these sliders."]

    ctx = browser.new_context(java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.set_content(page_html)
        shown = page.locator(".l2-note")
        assert shown.count() == 3 and all(shown.nth(i).is_visible() for i in range(3))
        assert [shown.nth(i).inner_text().strip() for i in range(3)] == notes
        images = page.locator("img.l2-fallback")
        assert images.count() == 3 and images.evaluate_all("a => a.every(i => i.complete && i.naturalWidth > 50)")
    finally:
        ctx.close()

    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.set_content(page_html)
        assert page.locator(".l2-note").count() == 0, "the note is still on a page where the slider is live"
        assert page.locator("img.l2-fallback").count() == 0, "the fallback image is still on a live page"
        root = page.locator(".l2-frames:has(.l2-controls)").first
        root.locator("input[data-l2-dim]").focus()
        page.keyboard.press("End")
        assert root.get_attribute("data-frame") == "2"
        same = root.evaluate("""(r) => {
            const d = JSON.parse(r.querySelector('script.l2-data').textContent);
            const parse = html => { const g = document.createElementNS('http://www.w3.org/2000/svg', 'g');
                                    g.innerHTML = html; return g.innerHTML; };
            const shown = Array.from(r.querySelectorAll('svg.l2-wide g[data-l2-slot]'), g => g.innerHTML);
            return shown.length > 0 && shown.join('|') === d.slots[2].map(parse).join('|'); }""")
        assert same, "the page does not show the slots of frame 2"
        assert root.locator("output").inner_text() == "2"
    finally:
        ctx.close()


# ---------------------------------------------------------------------- scripts/lab.py without a browser
def _lab_module():
    spec = importlib.util.spec_from_file_location("l2_scripts_lab", ROOT / LAB_SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lab_script_copies_once_keeps_edits_and_names_outdated_copies(tmp_path):
    lab_mod = _lab_module()
    repo = tmp_path / "repo"
    stored, lab = repo / "notebooks", repo / "lab"
    stored.mkdir(parents=True)
    (stored / "a.ipynb").write_text('{"a": 1}\n')
    (stored / "b.ipynb").write_text('{"b": 1}\n')
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "stored")

    assert lab_mod.prepare(stored, lab) == (["a.ipynb", "b.ipynb"], [])
    assert (lab / "a.ipynb").read_text() == '{"a": 1}\n' and (lab / "b.ipynb").read_text() == '{"b": 1}\n'
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""   # lab/ ignores itself

    (lab / "a.ipynb").write_text('{"a": "run by the reader"}\n')
    assert lab_mod.prepare(stored, lab) == ([], [])
    assert (lab / "a.ipynb").read_text() == '{"a": "run by the reader"}\n'

    (stored / "b.ipynb").write_text('{"b": 2}\n')      # a new version of the chapter
    assert lab_mod.prepare(stored, lab) == ([], ["b.ipynb"])
    assert (lab / "b.ipynb").read_text() == '{"b": 1}\n'
    (lab / "b.ipynb").unlink()                          # what the message tells the reader to do
    assert lab_mod.prepare(stored, lab) == (["b.ipynb"], [])
    assert (lab / "b.ipynb").read_text() == '{"b": 2}\n'
    assert lab_mod.prepare(stored, lab) == ([], [])

    with pytest.raises(SystemExit, match="no notebooks in"):
        lab_mod.prepare(tmp_path / "empty", lab)


def test_every_stored_slider_carries_the_note():
    """Each stored interactive figure (what JupyterLab shows before Run All) has its one-line note."""
    notes = {NOTE, "Run the notebook's cells to use these controls.", "Run the notebook's cells to move these sliders."}
    found, missing = 0, []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                html = "".join(data.get("text/html", ""))
                if 'class="l2-frames"' not in html or 'class="l2-controls"' not in html:
                    continue                               # not a figure, or a figure without controls
                found += 1
                assert "application/vnd.jupyter.widget-view+json" not in data, f"{path.name} cell {i}: widget view"
                m = re.search(r'<p class="l2-note"><em>(.*?)</em></p>', html)
                if not m or m.group(1).replace("&#x27;", "'") not in notes:
                    missing.append(f"{path.name} cell {i}")
    assert found >= 7, f"only {found} stored interactive figures"
    assert not missing, f"stored sliders without the note (run make execute): {missing}"
