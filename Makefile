# The book's two commands: `make book` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The book's matrices are small: one BLAS thread is several times faster than two
# (threads spin on tiny products) and makes sums reproducible. Override from the
# environment if you like.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# -n: nitpicky, -W: warnings are errors. The build renders stored outputs only.
JB_FLAGS := -n -W --keep-going

.PHONY: help setup book test lab execute bench clean

help:
	@echo "make book     set up and build the website into _build/html"
	@echo "make test     set up and run every test (unit, doctest, nbval, build, browser)"
	@echo "make lab      open the notebooks in JupyterLab (sliders drive a live kernel)"
	@echo "make execute  re-run the notebooks and store their outputs"
	@echo "make bench    run the benchmarks and write BENCHMARKS.md"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# The build also writes the site's downloads (book/_ext/site_fixes.py runs scripts/build_downloads.py):
# _build/html/downloads/l2book-src.tar.gz (every tracked file) and the l2lib wheel.
book: setup
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	@echo "The website is in _build/html: open _build/html/index.html"
	@echo "Its downloads: $$(ls _build/html/downloads/* | tr '\n' ' ')"

test: setup
	L2_REQUIRE_BROWSER=1 $(PY) -m pytest tests l2lib benchmarks/test_bench_helpers.py notebooks --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -v
# Again on numpy's baseline code path, every dispatched SIMD feature off (found at run time and checked
# by scripts/cpu_features.py): nbval, and every stored figure against a fresh run (tests/test_frames.py).
	$(PY) scripts/cpu_features.py --run $(PY) -m pytest notebooks tests/test_frames.py --nbval --nbval-current-env \
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

clean:
	rm -rf _build
