"""The Makefile's set-up logic, run for real with `make` but with stand-in interpreters.

A stand-in is a small Python script at its own path that claims a version: asked ``-c CODE`` it
runs CODE with ``sys.executable``, ``sys.version_info`` and ``platform.python_version()`` set to
its own path and version; asked ``-m venv DIR`` it makes DIR/bin/python, a stand-in "pip" that
logs every command line to a file and fails the ones that contain ``$FAIL_PIP``. So these tests
exercise the Makefile's own shell and make code (interpreter check, stamp, rebuilds) in a copy
of the Makefile in a temporary folder, in about a second, without installing anything.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

import tomllib

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")

STANDIN = '''#!{python}
import os, platform, sys
here, args = os.path.abspath(__file__), sys.argv[1:]
if args[0] == "-c":
    sys.executable, sys.version_info = here, {info!r}
    platform.python_version = lambda: {version!r}
    exec(args[1])
elif args[:2] == ["-m", "venv"]:
    os.makedirs(os.path.join(args[2], "bin"))
    pip = os.path.join(args[2], "bin", "python")
    with open(pip, "w") as f:
        f.write({pip!r})
    os.chmod(pip, 0o755)
    with open({log!r}, "a") as f:
        f.write("venv " + here + "\\n")
else:
    sys.exit("stand-in interpreter: unexpected arguments %r" % (args,))
'''

PIP = '''#!{python}
import os, sys
line = " ".join(sys.argv[1:])
with open({log!r}, "a") as f:
    f.write(line + "\\n")
sys.exit(1 if os.environ.get("FAIL_PIP") and os.environ["FAIL_PIP"] in line else 0)
'''


@pytest.fixture
def work(tmp_path):
    """tmp_path/repo with copies of the Makefile and the files its stamp depends on, dated an hour
    ago; the stand-in interpreters and their log live in tmp_path."""
    if MAKE is None:
        pytest.fail("GNU make is needed for `make book` and `make test` and these tests")
    repo = tmp_path / "repo"
    repo.mkdir()
    past = time.time() - 3600
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, repo / name)
        os.utime(repo / name, (past, past))
    return repo


def standin(folder: Path, name: str, version: str) -> Path:
    """A stand-in interpreter claiming `version`, at folder/name."""
    log = folder / "calls.log"
    info = tuple(int(p) for p in version.split(".")) + ("final", 0)
    path = folder / name
    pip = PIP.format(python=sys.executable, log=str(log))
    path.write_text(STANDIN.format(python=sys.executable, info=info, version=version, pip=pip, log=str(log)))
    path.chmod(0o755)
    return path


def make(folder: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    full_env.update(env or {})
    return subprocess.run([MAKE, "--no-print-directory", "-C", str(folder), *args], capture_output=True,
                          text=True, env=full_env, timeout=60)


def calls(folder: Path) -> list[str]:
    log = folder / "calls.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


# ------------------------------------------------------------ the interpreter check
@pytest.mark.parametrize("version", ["3.11.2", "3.11.4", "3.10.13", "3.14.0", "2.7.18"])
def test_unsupported_python_gets_one_line_naming_range_and_version(work, version):
    py = standin(work.parent, f"python-{version}", version)
    run = make(work, "book", f"PYTHON={py}")
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert f"Python {version} found at {py.resolve()}" in lines[0]
    assert "needs Python 3.11.5 to 3.13" in lines[0] and "set PYTHON=" in lines[0]
    assert run.stdout == "" and calls(work.parent) == []   # stopped before anything was built
    assert not (work / ".venv").exists()


def test_missing_python_gets_one_line(work):
    run = make(work, "setup", "PYTHON=/nonexistent/python3")
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Python runs as /nonexistent/python3" in lines[0], run.stderr
    assert "needs Python 3.11.5 to 3.13" in lines[0]


def test_real_interpreter_running_this_test_passes_the_check(work):
    run = make(work, "check-python", f"PYTHON={sys.executable}")
    assert run.returncode == 0, run.stderr
    assert run.stdout == run.stderr == ""


@pytest.mark.parametrize("version", ["3.11.5", "3.12.1", "3.13.0", "3.13.11"])
def test_supported_python_builds_the_venv_and_writes_the_stamp(work, version):
    py = standin(work.parent, f"python-{version}", version)
    run = make(work, "setup", f"PYTHON={py}")
    assert run.returncode == 0, run.stderr
    assert f"building .venv with Python {version}" in run.stdout
    log = calls(work.parent)
    assert log[0] == f"venv {py.resolve()}"
    assert "-m pip install --quiet -r requirements.txt" in log
    assert "-m pip install --quiet --no-deps -e ." in log    # build isolation: no --no-build-isolation
    assert not any("no-build-isolation" in line for line in log)
    assert (work / ".venv" / ".installed").read_text().split() == [str(py.resolve()), version]


def test_range_in_makefile_is_requires_python():
    """The Makefile's check and pyproject's requires-python accept exactly the same versions."""
    text = (ROOT / "Makefile").read_text()
    check = re.search(r"^PY_CHECK := (.+)$", text, re.M).group(1)
    stated = re.search(r"^PY_RANGE := (.+)$", text, re.M).group(1)
    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    assert stated == "3.11.5 to 3.13"
    versions = ["3.10.13", "3.11.0", "3.11.2", "3.11.4", "3.11.5", "3.11.7", "3.12.0", "3.12.1",
                "3.13.0", "3.13.99", "3.14.0", "3.14.1", "4.0.0"]
    for v in versions:
        info = tuple(int(p) for p in v.split("."))
        in_make = eval(check, {"sys": type("S", (), {"version_info": info})})
        assert in_make == (v in spec), v
    assert [v for v in versions if v in spec] == ["3.11.5", "3.11.7", "3.12.0", "3.12.1", "3.13.0", "3.13.99"]


# ------------------------------------------------------------------- rebuilds
def test_venv_is_reused_while_nothing_changed(work):
    py = standin(work.parent, "python-3.12.1", "3.12.1")
    assert make(work, "setup", f"PYTHON={py}").returncode == 0
    calls(work.parent)
    run = make(work, "setup", f"PYTHON={py}")
    assert run.returncode == 0 and run.stdout == "", run.stdout + run.stderr
    assert calls(work.parent) == []


def test_changing_python_rebuilds_the_venv(work):
    old = standin(work.parent, "python-3.12.1", "3.12.1")
    new = standin(work.parent, "python-3.13.0", "3.13.0")
    assert make(work, "setup", f"PYTHON={old}").returncode == 0
    (work / ".venv" / "left-over").write_text("from the 3.12 venv")
    calls(work.parent)
    run = make(work, "setup", f"PYTHON={new}")
    assert run.returncode == 0, run.stderr
    assert f".venv was built with {old.resolve()} 3.12.1, PYTHON is {new.resolve()} 3.13.0" in run.stdout
    assert calls(work.parent)[0] == f"venv {new.resolve()}"
    assert not (work / ".venv" / "left-over").exists()          # removed, not installed over
    assert (work / ".venv" / ".installed").read_text().split() == [str(new.resolve()), "3.13.0"]


def test_failed_install_is_not_reused_but_rebuilt(work):
    py = standin(work.parent, "python-3.12.1", "3.12.1")
    run = make(work, "setup", f"PYTHON={py}", env={"FAIL_PIP": "-r requirements.txt"})
    assert run.returncode != 0
    assert not (work / ".venv" / ".installed").exists()
    assert (work / ".venv").is_dir()                            # what a failed install leaves behind
    (work / ".venv" / "left-over").write_text("half installed")
    calls(work.parent)
    run = make(work, "setup", f"PYTHON={py}")
    assert run.returncode == 0, run.stderr
    assert ".venv has no finished install; removing it" in run.stdout
    log = calls(work.parent)
    assert log[0] == f"venv {py.resolve()}" and "-m pip install --quiet --no-deps -e ." in log
    assert not (work / ".venv" / "left-over").exists()


def test_new_pins_rebuild_the_venv(work):
    py = standin(work.parent, "python-3.12.1", "3.12.1")
    assert make(work, "setup", f"PYTHON={py}").returncode == 0
    calls(work.parent)
    future = time.time() + 60
    os.utime(work / "requirements.txt", (future, future))
    run = make(work, "setup", f"PYTHON={py}")
    assert run.returncode == 0 and "requirements.txt or pyproject.toml changed" in run.stdout
    assert calls(work.parent)[0] == f"venv {py.resolve()}"


def test_clean_keeps_the_venv_and_distclean_removes_it(work):
    for d in ("_build/html", ".venv/bin"):
        (work / d).mkdir(parents=True)
    assert make(work, "clean").returncode == 0
    assert not (work / "_build").exists() and (work / ".venv").exists()
    (work / "_build").mkdir()
    assert make(work, "distclean").returncode == 0
    assert not (work / "_build").exists() and not (work / ".venv").exists()
    assert "distclean" in make(work, "help").stdout


# ------------------------------------------------------- the 3.12 and 3.13 passes
def _pass(want: str, python: str, ci: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(["bash", str(ROOT / "scripts" / "test_python.sh"), want, python],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("python", ["/nonexistent/python3.12", sys.executable])
def test_missing_interpreter_skips_its_pass_with_a_message(python):
    if sys.version_info[:2] == (3, 12) and python == sys.executable:
        python = "/nonexistent/python3.12"      # this interpreter *is* a 3.12: use a missing one
    run = _pass("3.12", python, ci=None)
    assert run.returncode == 0, run.stderr
    assert f"no Python 3.12 at PY312={python}" in run.stdout
    assert "the Python 3.12 pass is NOT run" in run.stdout


def test_missing_interpreter_fails_in_ci():
    run = _pass("3.13", "/nonexistent/python3.13", ci="true")
    assert run.returncode == 1
    assert "no Python 3.13 at PY313=/nonexistent/python3.13" in run.stderr and "FAILED" in run.stderr


# ------------------------------------------------------------------ the pins
def test_every_dependency_of_a_pinned_package_is_pinned():
    """requirements.txt pins the whole environment: whatever a pinned package requires (markers
    evaluated for this interpreter, no extras) is pinned too, so no interpreter gets a version
    chosen by pip on the day. Read from the installed packages' own metadata."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", line
            pins[canonicalize_name(req.name)] = next(iter(req.specifier)).version
    assert "setuptools" in pins and pins["setuptools"] != "65.5.0"
    unpinned = []
    for name in pins:
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            pytest.fail(f"{name} is pinned in requirements.txt but not installed in {sys.prefix}")
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                if canonicalize_name(req.name) not in pins:
                    unpinned.append(f"{req.name} (required by {name})")
    assert unpinned == []


# ------------------------------------------------------- make test's passes, side by side
def test_make_test_runs_its_four_passes_through_the_runner():
    """`make test` (and `make test-pythons`) hand their passes to scripts/test_passes.sh, test-main's
    output streamed; each pass is a target of its own that runs its pytest."""
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test: setup\n((?:\t.*\n)+)", text, re.M).group(1)
    assert recipe.split() == ['@MAKE="$(MAKE)"', "scripts/test_passes.sh", "--stream", "test-main",
                              "test-baseline", "test-py312", "test-py313"], recipe
    pythons = re.search(r"^test-pythons:\n((?:\t.*\n)+)", text, re.M).group(1)
    assert pythons.split()[-2:] == ["test-py312", "test-py313"], pythons
    main = re.search(r"^test-main: setup\n((?:\t.*\n)+)", text, re.M).group(1)
    assert "L2_REQUIRE_BROWSER=1" in main and '-m ""' in main and "notebooks" in main
    baseline = re.search(r"^test-baseline: setup\n((?:\t.*\n)+)", text, re.M).group(1)
    assert "scripts/cpu_features.py --run" in baseline and "tests/test_frames.py" in baseline


RUNNER_MAKEFILE = """\
setup:
\t@echo setup ran
first:
\t@for i in 1 2 3; do echo "first line $$i"; sleep 0.3; done
fails:
\t@echo "fails says hello"; sleep 0.5; echo "fails says bye"; exit 3
quick:
\t@echo "quick says hello"
slow:
\t@sleep 1.5; echo "slow says hello"
"""


def _runner(folder: Path, *targets: str, jobs: str = "2") -> subprocess.CompletedProcess:
    (folder / "scripts").mkdir(exist_ok=True)
    shutil.copy(ROOT / "scripts" / "test_passes.sh", folder / "scripts" / "test_passes.sh")
    (folder / "Makefile").write_text(RUNNER_MAKEFILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env.update(MAKE=MAKE or "make", L2_TEST_JOBS=jobs)
    return subprocess.run(["bash", str(folder / "scripts" / "test_passes.sh"), *targets], cwd=folder,
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("jobs", ["1", "2", "4"])
def test_runner_runs_every_pass_and_fails_when_one_fails(tmp_path, jobs):
    if MAKE is None:
        pytest.fail("GNU make is needed for `make test` and these tests")
    run = _runner(tmp_path, "--stream", "first", "fails", "quick", "slow", jobs=jobs)
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "setup ran" not in out                                   # the caller did the set-up
    # the streamed pass's output comes first, whole; every other log after it, whole and once
    lines = out.splitlines()
    assert lines[:3] == ["first line 1", "first line 2", "first line 3"], out
    for name, said in (("fails", ["fails says hello", "fails says bye"]), ("quick", ["quick says hello"]),
                       ("slow", ["slow says hello"])):
        opened = lines.index(f"======== make test: {name} (log of a pass run in the background) ========")
        assert lines[opened + 1:opened + 1 + len(said)] == said, out
        assert sum(line == said[0] for line in lines) == 1, out
    assert re.search(r"^======== make test: fails FAILED in \d+ s \(exit status 2\) ========$", out, re.M), out
    assert re.search(r"^======== make test: quick passed in \d+ s \(exit status 0\) ========$", out, re.M), out
    summary = lines[lines.index("make test: summary") + 1:]
    assert [line.split()[:2] for line in summary] == [["first", "passed"], ["fails", "FAILED"],
                                                       ["quick", "passed"], ["slow", "passed"]], out


def test_runner_passes_when_every_pass_passes_and_checks_its_jobs(tmp_path):
    if MAKE is None:
        pytest.fail("GNU make is needed for `make test` and these tests")
    run = _runner(tmp_path, "quick", "slow")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "quick says hello" in run.stdout and "slow says hello" in run.stdout
    bad = _runner(tmp_path, "quick", jobs="0")
    assert bad.returncode == 2 and "L2_TEST_JOBS must be a whole number >= 1, got '0'" in bad.stderr
