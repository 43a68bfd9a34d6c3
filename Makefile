# Shortcuts for the course's commands. Every target calls `python tasks.py <target>`, which
# needs only Python (no make, no node): on a machine without make, run those commands directly.
#
#   make book        build the book (executes every notebook) -> _build/html/index.html
#   make test        every test: unit tests, every lab (nbval), student edition, ruff
#   make pdf         the PDF edition (after make book; needs TeX Live with xelatex)
#   make student     the student edition of the labs (solutions -> stubs) in _build/student/
#   make instructor  the instructor edition, with the homework solutions (after make book)
#   make assets      offline MathJax, widget JS and axe-core (needs node/npm)
#   make site-check  browser checks of the built book (needs /usr/bin/chromium)
#   make lint        ruff (also part of make test)
#   make bench       the benchmarks
#   make lab         JupyterLab on the labs
#   make clean       remove build output and caches (make distclean: also .venv, _offline, .axe)

PYTHON ?= python3
TASKS := venv assets book pdf test lint student instructor site-check bench lab clean

.PHONY: help $(TASKS) distclean
.DEFAULT_GOAL := help

help:
	@sed -n '4,15s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

$(TASKS):
	$(PYTHON) tasks.py $@

distclean: clean
	rm -rf .venv _offline .axe
