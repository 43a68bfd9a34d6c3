# dlinv course: environment, book, tests and checks.
#
#   make book        build the book (executes every notebook), open _build/html/index.html
#   make test        ruff (lint) + unit tests + every notebook under chapters/ (nbval)
#   make student     student edition of the labs (solutions -> stubs) in _build/student/chapters
#   make instructor  instructor edition (book + homework solutions), after `make book`
#   make lint        ruff over dlinv/, tests/, checks/, scripts/ and the labs (part of make test)
#   make site-check  browser check of the built book + a live JupyterLab session (needs /usr/bin/chromium)
#   make bench       GD step time against the matrix-product floor
#   make lab         JupyterLab on the course notebooks (installs jupyterlab into .venv once)
#   make clean       remove build output and caches (make distclean: also .venv and _offline)
#
# Needs Python 3.11+ (override with `make PYTHON=python3.11 ...`), node/npm, network access
# to PyPI and npm the first time. CI runs .ci/run, which calls these same targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# written last by scripts/fetch_offline_assets.sh: its presence means _offline/ is complete
ASSETS := _offline/widgets/widget-paths.js

# The venv goes first on PATH for everything that starts Jupyter kernels, so `python3`
# and the `python3` kernel resolve to the venv (which also carries its own python3
# kernelspec, installed by `make venv`).
VENV_PATH := PATH="$(CURDIR)/$(BIN):$$PATH"

# The test command: README and CI (.ci/run -> make test) use exactly this.
TEST_CMD := $(BIN)/python -m pytest tests chapters --nbval-lax --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg
BOOK_CMD := $(BIN)/jupyter-book build . -W -n --keep-going
SITE_CMD := $(BIN)/python -m pytest checks -v
# ruff: settings in pyproject.toml [tool.ruff]; the labs get 79 columns from chapters/.ruff.toml
LINT_CMD := $(BIN)/ruff check dlinv tests checks scripts chapters

.PHONY: help venv assets book student instructor test lint site-check bench lab clean distclean

help:
	@sed -n '3,/^#$$/{/^#$$/d;s/^# \{0,1\}//p;}' $(firstword $(MAKEFILE_LIST))

# ---- environment --------------------------------------------------------------------------
venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: PYTHON=$(PYTHON) is not Python 3.11 or newer" \
	       "(found: $$($(PYTHON) --version 2>&1 || echo 'not installed'))." >&2; \
	  echo "       Install Python 3.11+ or point make at it: make PYTHON=/path/to/python3.11 venv" >&2; \
	  exit 1; }
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
	  echo "error: the existing $(VENV) uses $$($(BIN)/python --version 2>&1); remove it (make distclean) and retry" >&2; \
	  exit 1; fi
	@if [ ! -x $(BIN)/python ]; then \
	  echo "+ $(PYTHON) -m venv $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	    echo "error: '$(PYTHON) -m venv' failed (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }; \
	fi
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	@# A python3 kernelspec inside the venv (absolute path to .venv/bin/python): Jupyter prefers
	@# it over user-level kernelspecs, so jupyter-book, nbclient and JupyterLab run the venv.
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)"
	@touch $@

# ---- offline MathJax / widget JS (git-ignored _offline/, served via html_extra_path) ---------
assets: $(ASSETS)

$(ASSETS): scripts/fetch_offline_assets.sh
	@command -v npm >/dev/null || { echo "error: npm is required to fetch the offline assets (install node/npm)" >&2; exit 1; }
	bash scripts/fetch_offline_assets.sh

# ---- book -----------------------------------------------------------------------------------
book: venv assets
	rm -rf _build
	@echo "+ $(BOOK_CMD)"
	@$(VENV_PATH) $(BOOK_CMD) || { rc=$$?; \
	  for f in $$(find _build/html/reports -name '*.err.log' 2>/dev/null); do \
	    echo "===== notebook execution report: $$f"; cat "$$f"; done; \
	  echo "make book: FAILED (exit $$rc); warnings are errors (-W), see the log above" >&2; exit $$rc; }
	@echo
	@echo "Book built. Open: $(CURDIR)/_build/html/index.html"

# ---- student edition -------------------------------------------------------------------------
# The committed labs are the instructor edition; this writes the student edition (cells tagged
# `solution`: the code between `# BEGIN SOLUTION` and `# END SOLUTION` becomes a stub).
student: venv
	$(BIN)/python scripts/make_student.py

# ---- instructor edition -------------------------------------------------------------------------
# _toc.yml + each chapter's problem-solutions page, built to _build/instructor/_build/html. Reuses
# the notebooks executed by `make book` (jupyter-cache seeded from _build/jupyter_execute).
instructor: venv assets
	@$(VENV_PATH) $(BIN)/python scripts/make_instructor.py

# ---- tests ------------------------------------------------------------------------------------
lint: venv
	@echo "+ $(LINT_CMD)"
	@$(LINT_CMD)

# ruff first, then pytest (both always run; either failing fails the target)
test: venv
	@echo "+ $(LINT_CMD)"
	@$(LINT_CMD); lint=$$?; \
	echo "+ $(TEST_CMD)"; \
	$(VENV_PATH) $(TEST_CMD); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected NO tests (exit 5)" >&2; fi; \
	if [ $$lint -ne 0 ]; then echo "make test: ruff found problems (see above; make lint)" >&2; fi; \
	if [ $$rc -ne 0 ]; then exit $$rc; fi; exit $$lint

site-check: venv
	@echo "+ $(SITE_CMD)"
	@$(VENV_PATH) $(SITE_CMD); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make site-check: pytest collected NO tests (exit 5)" >&2; fi; \
	exit $$rc

bench: venv
	$(BIN)/python -m dlinv.bench
	$(BIN)/python -m dlinv.bench_widgets --threads

# JupyterLab on the course notebooks (pinned in requirements.txt).
lab: venv
	$(VENV_PATH) $(BIN)/jupyter lab

# ---- cleaning ---------------------------------------------------------------------------------
clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o \
	  \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf _offline $(VENV)
