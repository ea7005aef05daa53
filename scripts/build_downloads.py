"""Build the website's downloads: the book's source archive and an l2lib wheel.

    python scripts/build_downloads.py [SITE_DIR]     # default: _build/html

writes SITE_DIR/downloads/l2book-src.tar.gz and SITE_DIR/downloads/l2lib-<version>-py3-none-any.whl.
The book build runs this itself (book/_ext/site_fixes.py, when Sphinx has written the site), so
`make book` and the test suite's build both produce them.

- ``l2book-src.tar.gz``: every file git tracks, as it is in the working tree, under ``l2book-src/``,
  plus ``l2book-src/SOURCE_FILES.txt`` listing them. Without git (or outside a git clone) the list
  comes from ``SOURCE_FILES.txt``, so an unpacked archive builds the same downloads; with neither,
  the build stops and says so.
- The wheel is built from the archive unpacked into a temporary directory (so the wheel holds
  exactly what a reader gets, and the working tree gains no ``build/`` or ``*.egg-info``), with
  ``pip wheel --no-deps`` and pip's default build isolation: pip fetches the build backend that
  pyproject.toml names, from PyPI or pip's cache.
"""
from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

ARCHIVE = "l2book-src.tar.gz"
TOP = "l2book-src"                 # the folder the archive unpacks into
LISTING = "SOURCE_FILES.txt"       # the archive's own file list (used when there is no git)
ROOT = Path(__file__).resolve().parents[1]


def wheel_name(root: Path = ROOT) -> str:
    """The wheel's file name, from pyproject.toml (a pure-Python package: py3-none-any)."""
    project = tomllib.loads((Path(root) / "pyproject.toml").read_text())["project"]
    return f"{project['name'].replace('-', '_')}-{project['version']}-py3-none-any.whl"


def source_files(root: Path = ROOT) -> list[str]:
    """The files of the book's source, as sorted paths relative to ``root``.

    In a git clone: what ``git ls-files`` lists (tracked files; those deleted from the working tree
    are left out). Otherwise the list in ``SOURCE_FILES.txt`` (an unpacked archive carries it).
    """
    root = Path(root).resolve()
    git = ["git", "-c", f"safe.directory={root}", "-C", str(root)]
    try:
        top = subprocess.run([*git, "rev-parse", "--show-toplevel"], capture_output=True, text=True)
        # a clone of the book, not a folder inside some other repository
        in_clone = top.returncode == 0 and Path(top.stdout.strip()).resolve() == root
        why = "not the top of a git clone" if top.returncode == 0 else top.stderr.strip()
    except FileNotFoundError:
        in_clone, why = False, "git is not installed"
    if in_clone:
        proc = subprocess.run([*git, "ls-files", "-z"], capture_output=True, text=True, check=True)
        names = [n for n in proc.stdout.split("\0") if n]
    elif (root / LISTING).is_file():
        names = (root / LISTING).read_text().splitlines()
    else:
        raise RuntimeError(f"{ARCHIVE} holds the files git tracks, and {root} is neither a git clone "
                           f"nor an unpacked {ARCHIVE} (no {LISTING}); {why}.")
    names = sorted({n for n in names if n and n != LISTING and (root / n).is_file()})
    if not names:
        raise RuntimeError(f"no source files found under {root}.")
    return names


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Same archive for everyone: no owner names or ids, permissions 644 or 755."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if info.isfile():
        info.mode = 0o755 if info.mode & 0o100 else 0o644
    return info


def build_archive(dest_dir: Path, root: Path = ROOT) -> Path:
    """Write ``dest_dir/l2book-src.tar.gz`` (every source file under ``l2book-src/``); return its path."""
    root, dest_dir = Path(root), Path(dest_dir)
    names = source_files(root)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / ARCHIVE
    tmp = target.with_suffix(".tmp")
    listing = ("\n".join(names) + "\n").encode()
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            tar.add(root / name, arcname=f"{TOP}/{name}", recursive=False, filter=_normalise)
        info = _normalise(tarfile.TarInfo(f"{TOP}/{LISTING}"))
        info.size, info.mode, info.mtime = len(listing), 0o644, int((root / names[0]).stat().st_mtime)
        tar.addfile(info, io.BytesIO(listing))
    os.replace(tmp, target)
    return target


def build_wheel(archive: Path, dest_dir: Path, python: str = sys.executable) -> Path:
    """Build l2lib's wheel from the unpacked ``archive`` into ``dest_dir``; return its path."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="l2book-wheel-") as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        src = Path(tmp) / TOP
        expected = wheel_name(src)
        for old in dest_dir.glob("*.whl"):
            old.unlink()
        cmd = [python, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
               str(src), "-w", str(dest_dir)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"`{' '.join(cmd)}` failed (pip fetches the build backend from PyPI "
                               f"or its cache):\n{(proc.stdout + proc.stderr)[-3000:]}")
    wheel = dest_dir / expected
    if not wheel.is_file():
        found = sorted(p.name for p in dest_dir.glob("*.whl"))
        raise RuntimeError(f"pip wheel made {found}, expected {expected}.")
    return wheel


def build_downloads(site_dir: Path, root: Path = ROOT) -> tuple[Path, Path]:
    """Write the archive and the wheel into ``site_dir/downloads``; return their paths."""
    dest = Path(site_dir) / "downloads"
    archive = build_archive(dest, root)
    return archive, build_wheel(archive, dest)


def main(argv: list[str]) -> int:
    site_dir = Path(argv[0]) if argv else ROOT / "_build" / "html"
    try:
        paths = build_downloads(site_dir)
    except RuntimeError as err:
        print(f"build_downloads: {err}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"{p}  {p.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
