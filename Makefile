# The book's two commands: `make book` and `make test` (see README.md); `make check` is the fast loop.
# PYTHON builds .venv; PY312 and PY313 are the other interpreters `make test` runs on (test-pythons).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The supported interpreters, as pyproject.toml's requires-python states them (">=3.11.5,<3.14";
# tests/test_makefile.py checks that both agree). 3.11.2 lacks what soupsieve needs.
PY_RANGE := 3.11.5 to 3.13
PY_CHECK := (3, 11, 5) <= sys.version_info[:3] < (3, 14)
PYENV_VERSIONS := $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions
PY312 ?= $(or $(lastword $(sort $(wildcard $(PYENV_VERSIONS)/3.12.*/bin/python))),python3.12)
PY313 ?= $(or $(lastword $(sort $(wildcard $(PYENV_VERSIONS)/3.13.*/bin/python))),python3.13)
# The book's matrices are small: one BLAS thread is several times faster than two
# (threads spin on tiny products) and makes sums reproducible. Override from the
# environment if you like.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# -n: nitpicky, -W: warnings are errors. The build renders stored outputs only.
JB_FLAGS := -n -W --keep-going

.PHONY: help check-python setup book check test test-main test-baseline test-pythons test-py312 test-py313 lab execute bench clean distclean

help:
	@echo "make book     set up and build the website into _build/html"
	@echo "make test     set up and run every test (unit, doctest, nbval, build, browser; Python 3.12, 3.13)"
	@echo "              in four passes side by side: test-main, test-baseline, test-py312, test-py313"
	@echo "make check    the fast loop: l2lib unit tests and doctests (no notebooks, build or browser)"
	@echo "make lab      open the notebooks in JupyterLab (sliders drive a live kernel)"
	@echo "make execute  re-run the notebooks and store their outputs"
	@echo "make bench    run the benchmarks and write BENCHMARKS.md"
	@echo "make test-pythons  the part of make test on Python 3.12 and 3.13 (PY312=..., PY313=...)"
	@echo "make clean    remove the website (_build)"
	@echo "make distclean  remove _build and .venv (the next command builds .venv again)"
	@echo ".venv is built with PYTHON=$(PYTHON); Python $(PY_RANGE) is supported"

# The interpreter check comes first: one line naming the range and what PYTHON is (make stops).
# The Python code also runs on old interpreters, so that they get the message, not a traceback.
python_problem = $(shell $(1) -c 'import os, platform, sys; sys.stdout.write("" if $(PY_CHECK) \
  else "Python %s found at %s" % (platform.python_version(), sys.executable))' 2>/dev/null || echo "no Python runs as $(1)")
check-python:
	@$(eval PYTHON_PROBLEM := $(call python_problem,$(PYTHON)))$(if $(PYTHON_PROBLEM),$(error $(PYTHON_PROBLEM); this book needs Python $(PY_RANGE) — set PYTHON=/path/to/python)):

# .venv is reused only when its stamp, written after the last install step succeeded, names the
# interpreter PYTHON is now (real path and version) and is newer than requirements.txt and
# pyproject.toml. Otherwise (another PYTHON, a failed or interrupted install, new pins) .venv is
# removed and built again. l2lib is installed editable, built in isolation by pyproject's setuptools.
PYTHON_ID := import os, platform, sys; print(os.path.realpath(sys.executable), platform.python_version())
setup: check-python
	@want="$$($(PYTHON) -c '$(PYTHON_ID)')"; have="$$(cat $(STAMP) 2>/dev/null)"; \
	if [ "$$have" = "$$want" ] && [ $(STAMP) -nt requirements.txt ] && [ $(STAMP) -nt pyproject.toml ]; then exit 0; fi; \
	if [ ! -e $(VENV) ]; then echo "make: building $(VENV) with Python $${want#* } ($${want% *})"; \
	elif [ -z "$$have" ]; then echo "make: $(VENV) has no finished install; removing it and building it again with $$want"; \
	elif [ "$$have" != "$$want" ]; then echo "make: $(VENV) was built with $$have, PYTHON is $$want; removing it and building it again"; \
	else echo "make: requirements.txt or pyproject.toml changed; removing $(VENV) and building it again"; fi; \
	set -e; rm -rf $(VENV); \
	$(PYTHON) -m venv $(VENV); \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet -r requirements.txt; \
	$(PY) -m pip install --quiet --no-deps -e .; \
	echo "$$want" > $(STAMP)

# The build also writes the site's downloads (book/_ext/site_fixes.py runs scripts/build_downloads.py):
# _build/html/downloads/l2book-src.tar.gz (every tracked file) and the l2lib wheel.
book: setup
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	@echo "The website is in _build/html: open _build/html/index.html"
	@echo "Its downloads: $$(ls _build/html/downloads/* | tr '\n' ' ')"

# The fast loop: pyproject.toml's default -m leaves out tests marked slow, book or browser (notebook
# execution, JupyterLab, the website build, fresh venvs, chromium); nbval is not run.
check: setup
	$(PY) -m pytest tests l2lib benchmarks/test_bench_helpers.py -q

# make test runs four passes, each also a command of its own: test-main, test-baseline, test-py312 and
# test-py313 (below). scripts/test_passes.sh runs them side by side, at most as many at a time as the
# machine has processors (L2_TEST_JOBS=n to choose), test-main first: its output is shown as it runs,
# every other pass's output is kept and shown in full, with its result, once that pass has ended and
# test-main is over. Every pass runs to its end; make test fails if any pass fails.
test: setup
	@MAKE="$(MAKE)" scripts/test_passes.sh --stream test-main test-baseline test-py312 test-py313

# Every test on .venv's Python. -m "" replaces pyproject.toml's default -m: slow, book and browser
# included; L2_REQUIRE_BROWSER=1: a browser test fails (not skips) when chromium is missing.
# notebooks/ comes first and PYTHONHASHSEED=0 is make execute's setting: tests/test_frames.py then
# compares the figures of nbval's run instead of executing each chapter again (tests/conftest.py).
test-main: setup
	PYTHONHASHSEED=0 L2_REQUIRE_BROWSER=1 $(PY) -m pytest notebooks tests l2lib benchmarks/test_bench_helpers.py -m "" \
	  --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -v
# Again on numpy's baseline code path, every dispatched SIMD feature off (found at run time and checked
# by scripts/cpu_features.py): nbval, and every stored figure against a fresh run (tests/test_frames.py).
test-baseline: setup
	PYTHONHASHSEED=0 $(PY) scripts/cpu_features.py --run $(PY) -m pytest notebooks tests/test_frames.py -m "" --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -v

# JupyterLab on working copies, never on the stored chapters: as soon as a notebook's kernel starts,
# JupyterLab rewrites its metadata (kernelspec display_name; language_info.version, which is the
# reader's Python: 3.11.x, 3.12.x, 3.13.x) and autosave writes it. The first run copies notebooks/
# into lab/ (git-ignored by its own .gitignore); later runs keep the copies (delete one for a fresh
# copy). See scripts/lab.py; LAB_ARGS go to jupyter lab. tests/test_lab.py checks git status stays clean.
lab: setup
	$(PY) scripts/lab.py $(LAB_ARGS)

execute: setup
	PYTHONHASHSEED=0 $(PY) scripts/execute_notebooks.py

# Benchmarks (see BENCHMARKS.md). Nothing is installed beyond the book's requirements: PyTorch, the
# training benchmark's reference, is used if importable (CPU build only); without it that benchmark
# prints how to install the CPU build (benchmarks/requirements.txt) and the others run.
bench: setup
	PYTHONHASHSEED=0 $(PY) benchmarks/run.py

# Python 3.12 and 3.13: l2lib's tests (those that need neither the built book nor a browser) and
# nbval on every notebook, each in a throw-away venv. An interpreter that is missing skips its
# pass with a message, except in CI (CI set), where it fails. test-pythons runs both side by side
# (scripts/test_passes.sh, as make test does); both run to their end even if one fails.
test-pythons:
	@MAKE="$(MAKE)" scripts/test_passes.sh test-py312 test-py313
test-py312:
	@scripts/test_python.sh 3.12 "$(PY312)"
test-py313:
	@scripts/test_python.sh 3.13 "$(PY313)"

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) build l2lib.egg-info
