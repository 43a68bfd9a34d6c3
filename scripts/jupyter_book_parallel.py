"""``jupyter-book`` with Sphinx's parallel build: the notebooks execute side by side.

Jupyter Book 1.x builds with one Sphinx process and has no option for more, although Sphinx can
read (and so execute, with myst-nb) several documents at once when every extension is parallel
safe, as ours are. This runs jupyter-book's own command line with ``jobs`` set to the CPUs this
process may really use (``dlinv._threads.available_cpus``: affinity and cgroup quota), or to
``DLINV_BUILD_JOBS`` when set (1 turns parallelism off). The labs run their BLAS single-threaded
(``dlinv._threads``), so two labs on two cores do not compete for threads.

Two extensions that jupyter-book loads itself do not declare whether they are parallel safe, so
Sphinx would fall back to a serial read (with a warning, an error under ``-W``). Both are, and are
declared so here: sphinx-multitoc-numbering 0.1.3 only replaces the section numbering, which runs
in the main process once every page has been read; sphinx-jupyterbook-latex 1.0 sets its
environment attributes at ``builder-inited`` (before Sphinx forks the readers) and its read-time
transforms change only the page's own doctree. And sphinx-proof 0.4's domain keeps no data of its
own (its results live in ``env.proof_list``, merged by its own ``env-merge-info`` handler) but
lacks the ``merge_domaindata`` that parallel reading calls; it gets the empty merge it needs. Cross-page glue (the theory pages' key-idea
figures from the labs) is resolved in the write phase, from the glue files every lab leaves, so
it does not depend on the order in which the pages are read.

    python scripts/jupyter_book_parallel.py build . -W -n --keep-going
"""

from __future__ import annotations

import functools
import os
import sys


def build_jobs() -> int:
    env = os.environ.get("DLINV_BUILD_JOBS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise SystemExit(f"DLINV_BUILD_JOBS must be a positive integer, not {env!r}")
        return int(env)
    from dlinv._threads import available_cpus

    return max(1, available_cpus())


UNDECLARED = ["sphinx_multitoc_numbering", "sphinx_jupyterbook_latex"]


def declare_parallel_safe(module_name: str) -> None:
    import importlib

    module = importlib.import_module(module_name)
    setup = module.setup

    def parallel_safe_setup(app):
        meta = setup(app) or {}
        return {**meta, "parallel_read_safe": True, "parallel_write_safe": True}

    module.setup = parallel_safe_setup


def give_proof_domain_its_merge() -> None:
    from sphinx_proof.domain import ProofDomain

    def merge_domaindata(self, docnames, otherdata) -> None:
        """Nothing to merge: the domain's data is only Sphinx's version stamp."""

    ProofDomain.merge_domaindata = merge_domaindata


def main() -> int:
    import jupyter_book.sphinx as jb_sphinx
    from jupyter_book.cli.main import main as jupyter_book

    for name in UNDECLARED:
        declare_parallel_safe(name)
    give_proof_domain_its_merge()
    jb_sphinx.build_sphinx = functools.partial(jb_sphinx.build_sphinx, jobs=build_jobs())
    return jupyter_book(args=sys.argv[1:], prog_name="jupyter-book")


if __name__ == "__main__":
    sys.exit(main())
