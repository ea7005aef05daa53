"""The test suite's own rules (tests/conftest.py): what a missing Playwright does (README: browser
tests fail in CI or with L2_REQUIRE_BROWSER, skip elsewhere). Each runs pytest in a subprocess."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _pytest(args, cwd, env_extra=None, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("required", [False, True], ids=["skips", "fails-when-required"])
def test_missing_playwright_skips_or_fails_with_a_clear_message(tmp_path, required):
    # a package named playwright that cannot be imported, first on the path; chromium "exists"
    (tmp_path / "hide" / "playwright").mkdir(parents=True)
    (tmp_path / "hide" / "playwright" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'playwright'\", name='playwright')\n")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_tiny.py").write_text("def test_needs_a_browser(browser):\n    pass\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "hide"), str(TESTS)]), "L2_CHROMIUM": sys.executable}
    if required:
        env["L2_REQUIRE_BROWSER"] = "1"
    proc = _pytest(["-p", "conftest", "-rs", "--rootdir", str(tmp_path / "t"), "test_tiny.py"],
                   tmp_path / "t", env, drop=("CI", "L2_REQUIRE_BROWSER"))
    out = proc.stdout + proc.stderr
    assert "Playwright cannot be imported (No module named 'playwright')" in out, out
    if required:
        assert proc.returncode == 1 and "1 error" in out and "L2_REQUIRE_BROWSER is set" in out, out
    else:
        assert proc.returncode == 0 and "1 skipped" in out, out

