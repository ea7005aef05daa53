"""Open the chapters in JupyterLab without touching the stored notebooks (``make lab``).

    python scripts/lab.py [jupyter lab options]

JupyterLab rewrites a notebook's metadata as soon as its kernel starts: the
kernelspec's display name becomes the installed kernel's ("Python 3 (ipykernel)")
and ``language_info.version`` the kernel's Python version (3.11.7 on one
machine, 3.12.x or 3.13.x on another); autosave then writes that into the file.
So ``make lab`` never opens notebooks/: the first run copies each
notebooks/*.ipynb into lab/, a folder that git ignores (lab/.gitignore holds
``*``), and JupyterLab opens lab/. Later runs keep the copies, with whatever the
reader ran or edited in them; a chapter whose stored notebook changed since its
copy was made is named, with how to get the new version (delete the copy).

To change a chapter itself, edit notebooks/NN_*.ipynb and store its outputs
with ``make execute`` (see CONTRIBUTING.md).

Options after the script's name go to ``jupyter lab`` (``make lab LAB_ARGS=...``);
``--allow-root`` is added when running as root, which Jupyter otherwise refuses.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "notebooks"
LAB = ROOT / "lab"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare(stored: Path = STORED, lab: Path = LAB) -> tuple[list[str], list[str]]:
    """Copy the stored chapters that lab/ lacks; return (copied, outdated) file names."""
    chapters = sorted(stored.glob("*.ipynb"))
    if not chapters:
        raise SystemExit(f"make lab: no notebooks in {stored}: run it from the book's folder.")
    lab.mkdir(exist_ok=True)
    ignore = lab / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Working copies made by `make lab` (scripts/lab.py): never committed.\n*\n")
    sources_file = lab / ".sources.json"   # name -> sha256 of the stored notebook each copy was made from
    try:
        sources = json.loads(sources_file.read_text())
    except (OSError, ValueError):
        sources = {}
    copied, outdated = [], []
    for nb in chapters:
        digest = _sha256(nb)
        copy = lab / nb.name
        if not copy.exists():
            shutil.copyfile(nb, copy)
            sources[nb.name] = digest
            copied.append(nb.name)
        elif sources.get(nb.name, digest) != digest:
            outdated.append(nb.name)
    sources_file.write_text(json.dumps(sources, indent=1, sort_keys=True) + "\n")
    return copied, outdated


def main(argv: list[str]) -> int:
    copied, outdated = prepare()
    rel = os.path.relpath(LAB)
    if copied:
        print(f"make lab: copied {len(copied)} chapter(s) from notebooks/ into {rel}/ (git-ignored working "
              f"copies; notebooks/ is never opened, so it stays as stored).")
    for name in outdated:
        print(f"make lab: notebooks/{name} changed since {rel}/{name} was copied; delete {rel}/{name} "
              f"and run make lab again to get the new version.")
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={LAB}", *argv]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in argv:
        cmd.append("--allow-root")
    sys.stdout.flush()
    os.execv(sys.executable, cmd)   # jupyter lab takes over this process (Ctrl-C stops it as usual)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
