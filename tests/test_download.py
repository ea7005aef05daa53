"""The website's downloads, used the way a reader uses them.

1. The "Running locally" page links ``l2book-src.tar.gz`` and the l2lib wheel; Chromium
   (Playwright's download API) follows both links on the served site. The archive holds every
   file git tracks, byte for byte, under ``l2book-src/``; the wheel holds every tracked file of
   ``l2lib/`` (the dataset included) and carries pyproject.toml's version in its name.
2. Every page's download menu and footer link the same two files, and the links resolve.
3. A fresh virtual environment (the base interpreter of the one running the tests) gets the
   archive's ``requirements.txt``. Without l2lib, the import cell of each chapter's ``.ipynb`` as
   the website serves it stops with the one sentence that names the download.
4. ``pip install .`` in the unpacked archive, a kernel of that environment registered with
   ``ipykernel install --prefix`` in a temporary folder, and nbclient runs a chapter from the
   unpacked archive: no cell may fail, l2lib must come from the fresh environment, and the
   slider output (the live widget and the static frames) must be there.
5. The wheel installs into that environment and l2lib finds its dataset there.
6. An unpacked archive (no git there) rebuilds the same archive from its SOURCE_FILES.txt, which is
   what ``make book`` does in it; with neither git nor that list the build stops and says why.

Installing the pinned requirements into the fresh environment takes about a minute with pip's
cache warm (measured times are printed at the end of the run); it needs PyPI or pip's cache.
Without chromium these tests skip, unless ``CI`` or ``L2_REQUIRE_BROWSER`` is set: then they fail.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient

from conftest import HTML, MEASURED, ROOT, toc_files

ARCHIVE = "l2book-src.tar.gz"
TOP = "l2book-src"
RUNNING_LOCALLY = "book/running_locally"
CHAPTERS = [p for p in toc_files() if p.startswith("notebooks/")]
# The quickest chapter to run (measured with nbclient on 2 shared cores: A 4.1 s, 04 4.5 s, 02 6.1 s,
# 06 7.3 s, 03 8.1 s, 01 9.9 s); it has sliders like every chapter.
ROUND_TRIP_CHAPTER = "notebooks/A_lambda_across_frameworks"
GUARD = ("ModuleNotFoundError: This chapter needs the book's helper package l2lib, which is not "
         "installed in this Python: download l2book-src.tar.gz from the 'Running locally' page of the "
         "book's website and follow the commands there.")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # 127.0.0.1 directly, whatever *_proxy say


def _tracked_files() -> list[str]:
    """What git tracks in this checkout (files deleted from the working tree left out)."""
    proc = subprocess.run(["git", "-c", f"safe.directory={ROOT}", "-C", str(ROOT), "ls-files", "-z"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"git ls-files failed; the tests run in a git clone: {proc.stderr}"
    return sorted(n for n in proc.stdout.split("\0") if n and (ROOT / n).is_file())


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd, timeout=900, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                          env=_clean_env(), **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{(proc.stdout + proc.stderr)[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def downloads(browser, site, tmp_path_factory) -> dict[str, Path]:
    """Click the archive's and the wheel's links on the Running locally page; return the saved files."""
    folder = tmp_path_factory.mktemp("downloads")
    ctx = browser.new_context(accept_downloads=True)
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(site.url) else r.abort())
    page = ctx.new_page()
    page.goto(f"{site.url}/{RUNNING_LOCALLY}.html", wait_until="load")
    saved = {}
    for kind, selector in (("archive", f"article a[href$='/{ARCHIVE}']"), ("wheel", "article a[href$='.whl']")):
        link = page.locator(selector).first
        assert link.count() == 1, f"the Running locally page has no link to the {kind} ({selector})"
        with page.expect_download() as info:
            link.click()
        dl = info.value
        assert dl.failure() is None, f"{kind}: download failed: {dl.failure()}"
        saved[kind] = folder / dl.suggested_filename
        dl.save_as(saved[kind])
    ctx.close()
    assert saved["archive"].name == ARCHIVE
    MEASURED["l2book-src.tar.gz"] = f"{saved['archive'].stat().st_size / 1e6:.2f} MB"
    MEASURED[saved["wheel"].name] = f"{saved['wheel'].stat().st_size / 1e6:.3f} MB"
    return saved


@pytest.fixture(scope="module")
def unpacked(downloads, tmp_path_factory) -> Path:
    """The archive unpacked as ``tar xzf`` would; return the ``l2book-src`` folder."""
    folder = tmp_path_factory.mktemp("unpacked")
    _run(["tar", "xzf", downloads["archive"], "-C", folder])
    return folder / TOP


class FreshVenv:
    def __init__(self, path: Path):
        self.path = path
        self.python = path / "bin" / "python"

    def has_l2lib(self) -> bool:
        code = "import importlib.util, sys; sys.exit(importlib.util.find_spec('l2lib') is None)"
        return subprocess.run([self.python, "-c", code], env=_clean_env(), cwd=self.path).returncode == 0


@pytest.fixture(scope="module")
def fresh_venv(unpacked, tmp_path_factory) -> FreshVenv:
    """A new virtual environment with the archive's pinned requirements (not l2lib)."""
    base = getattr(sys, "_base_executable", sys.executable)
    venv = FreshVenv(tmp_path_factory.mktemp("venv") / "env")
    t0 = time.perf_counter()
    _run([base, "-m", "venv", venv.path])
    t1 = time.perf_counter()
    _run([venv.python, "-m", "pip", "install", "--quiet", "-r", unpacked / "requirements.txt"])
    t2 = time.perf_counter()
    MEASURED["round trip: python -m venv"] = f"{t1 - t0:.1f} s"
    MEASURED["round trip: pip install -r requirements.txt"] = f"{t2 - t1:.1f} s"
    return venv


def test_archive_holds_every_tracked_file(downloads):
    tracked = _tracked_files()
    with tarfile.open(downloads["archive"]) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert all(name.startswith(f"{TOP}/") for name in members), "everything unpacks into l2book-src/"
        files = {name[len(TOP) + 1:] for name, m in members.items() if m.isfile()}
        assert files == set(tracked) | {"SOURCE_FILES.txt"}, (
            f"missing: {sorted(set(tracked) - files)}; not tracked: {sorted(files - set(tracked))}")
        for name in tracked:
            assert tar.extractfile(f"{TOP}/{name}").read() == (ROOT / name).read_bytes(), f"{name} differs"
        assert tar.extractfile(f"{TOP}/SOURCE_FILES.txt").read().decode().splitlines() == tracked
        assert members[f"{TOP}/.ci/run"].mode & 0o111, ".ci/run lost its executable bit"


def test_wheel_holds_l2lib_and_its_data(downloads):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    wheel = downloads["wheel"]
    assert wheel.name == f"l2lib-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"l2lib-{version}.dist-info/METADATA").decode()
    package = {n for n in _tracked_files() if n.startswith("l2lib/")}
    assert "l2lib/datasets/breast_cancer_wisconsin.csv" in package
    assert package <= names, f"not in the wheel: {sorted(package - names)}"
    assert {n for n in names if not n.startswith(f"l2lib-{version}.dist-info/")} == package
    assert f"\nVersion: {version}\n" in metadata


def _links(doc: str, selector: str) -> list[str]:
    soup = BeautifulSoup((HTML / f"{doc}.html").read_text(encoding="utf-8"), "html.parser")
    return [a["href"] for a in soup.select(selector)]


@pytest.mark.parametrize("doc", toc_files())
def test_every_page_offers_the_downloads(site, downloads, doc):
    """The page's download menu (top right) and its footer link the files Running locally links."""
    menu = _links(doc, ".dropdown-download-buttons a")
    footer = _links(doc, ".extra_footer a")
    wheel = downloads["wheel"].name
    to_page = [] if doc == RUNNING_LOCALLY else ["running_locally.html"]   # on that page: its own "#"
    for links, want in ((menu, [ARCHIVE, wheel]), (footer, [ARCHIVE, *to_page])):
        for name in want:
            hits = [h for h in links if h.split("/")[-1] == name]
            assert hits, f"{doc}: no link to {name} in {links}"
            url = urllib.parse.urljoin(f"{site.url}/{doc}.html", hits[0])
            with _HTTP.open(url) as resp:
                body = resp.read()
            if name in (ARCHIVE, wheel):
                kind = "archive" if name == ARCHIVE else "wheel"
                assert body == downloads[kind].read_bytes(), f"{doc}: {url} is not the file Running locally links"
            else:
                assert b"Running the notebooks yourself" in body


def _first_code_cell(site, doc: str) -> str:
    """The first code cell of the chapter's .ipynb as the page's download menu serves it."""
    hrefs = [h for h in _links(doc, ".dropdown-download-buttons a") if h.endswith(".ipynb")]
    assert hrefs, f"{doc}: no .ipynb in the download menu"
    with _HTTP.open(urllib.parse.urljoin(f"{site.url}/{doc}.html", hrefs[0])) as resp:
        nb = nbformat.reads(resp.read().decode(), as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("doc", CHAPTERS)
def test_a_chapter_without_l2lib_stops_with_one_sentence(site, fresh_venv, tmp_path, doc):
    if fresh_venv.has_l2lib():        # the round trip below installed it: this test needs it gone
        _run([fresh_venv.python, "-m", "pip", "uninstall", "--quiet", "--yes", "l2lib"])
    assert not fresh_venv.has_l2lib()
    source = _first_code_cell(site, doc)
    proc = subprocess.run([fresh_venv.python, "-c", source], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env=_clean_env())
    assert proc.returncode != 0, f"{doc}: the import cell ran without l2lib"
    assert proc.stderr.strip().splitlines()[-1] == GUARD, proc.stderr[-2000:]
    # one error, not a chain of tracebacks ("During handling of the above exception ...")
    assert proc.stderr.count("Traceback (most recent call last)") == 1, proc.stderr


def test_archive_round_trip_runs_a_chapter(unpacked, fresh_venv, tmp_path, monkeypatch):
    t0 = time.perf_counter()
    _run([fresh_venv.python, "-m", "pip", "install", "--quiet", "."], cwd=unpacked)
    t1 = time.perf_counter()
    prefix = tmp_path / "jupyter"
    _run([fresh_venv.python, "-m", "ipykernel", "install", "--prefix", prefix, "--name", "l2book-fresh"])
    kernels = prefix / "share" / "jupyter"
    spec = json.loads((kernels / "kernels" / "l2book-fresh" / "kernel.json").read_text())
    assert Path(spec["argv"][0]).parent.parent == fresh_venv.path, spec["argv"]
    monkeypatch.setenv("JUPYTER_PATH", str(kernels))
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        monkeypatch.delenv(var, raising=False)

    path = unpacked / f"{ROUND_TRIP_CHAPTER}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys, l2lib\nprint(sys.prefix)\nprint(l2lib.__file__)"))
    t2 = time.perf_counter()
    NotebookClient(nb, kernel_name="l2book-fresh", timeout=600, allow_errors=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    t3 = time.perf_counter()
    MEASURED["round trip: pip install . (l2lib)"] = f"{t1 - t0:.1f} s"
    MEASURED[f"round trip: {ROUND_TRIP_CHAPTER} executed in the fresh venv"] = f"{t3 - t2:.1f} s"

    prefix_out, l2lib_file = nb.cells[-1].outputs[0]["text"].split()
    assert Path(prefix_out) == fresh_venv.path
    assert Path(l2lib_file).is_relative_to(fresh_venv.path), f"l2lib came from {l2lib_file}"
    sliders = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if 'class="l2-controls"' in o.get("data", {}).get("text/html", "")]   # figures with controls
    assert sliders, "the chapter produced no slider output"
    for out in sliders:
        assert out["data"].get(WIDGET_VIEW, {}).get("model_id"), "no live widget in the slider output"
        frames = json.loads(BeautifulSoup(out["data"]["text/html"], "html.parser")
                            .select_one("script.l2-data").string)["slots"]
        assert len(frames) >= 2


def test_the_wheel_installs_with_its_data(downloads, fresh_venv, tmp_path):
    """Running locally's single-chapter route: the wheel installs and l2lib finds its dataset
    (the CSV has 569 rows, 212 of them malignant: UCI's description of the data)."""
    _run([fresh_venv.python, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", downloads["wheel"]])
    code = ("import l2lib; from l2lib.data import load_breast_cancer; d = load_breast_cancer(); "
            "print(l2lib.__file__, d.X.shape[0], d.X.shape[1], int(d.y.sum()))")
    where, rows, cols, malignant = _run([fresh_venv.python, "-c", code], cwd=tmp_path).stdout.split()
    assert Path(where).is_relative_to(fresh_venv.path), where
    assert (int(rows), int(cols), int(malignant)) == (569, 30, 212)


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_an_unpacked_archive_rebuilds_the_same_archive_without_git(site, tmp_path):
    original = HTML / "downloads" / ARCHIVE
    _run(["tar", "xzf", original, "-C", tmp_path])
    src = tmp_path / TOP
    assert not (src / ".git").exists()
    spec = importlib.util.spec_from_file_location("unpacked_build_downloads", src / "scripts" / "build_downloads.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    again = module.build_archive(tmp_path / "again", root=src)
    assert _members(again) == _members(original)
    (src / "SOURCE_FILES.txt").unlink()
    with pytest.raises(RuntimeError, match="neither a git clone nor an unpacked l2book-src.tar.gz"):
        module.build_archive(tmp_path / "none", root=src)
