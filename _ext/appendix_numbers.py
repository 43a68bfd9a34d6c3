"""Number the appendix's results A.1, A.2, ... so they cannot be mistaken for a chapter's.

The appendix is an unnumbered part of the book, so Sphinx numbers its theorems, lemmas,
equations and figures 1, 2, ... per page, like nothing else in the book. After Sphinx has
assigned the numbers, this prefixes every number of a page under ``chapters/appendix/`` with
"A" (sphinx-proof, sphinx-exercise, numref and equation references all join the number tuple
with dots, so ``("A", 3)`` renders as "A.3" in the result's title and in every reference).
"""

from __future__ import annotations

APPENDIX_PREFIX = "chapters/appendix/"
LETTER = "A"


def prefix_appendix_numbers(app, env):
    for docname, by_type in env.toc_fignumbers.items():
        if not docname.startswith(APPENDIX_PREFIX):
            continue
        for numbers in by_type.values():
            for key, number in numbers.items():
                if number and number[0] != LETTER:
                    numbers[key] = (LETTER, *number)
    return []


def setup(app):
    # after Sphinx's own TocTreeCollector has assigned the numbers (default priority 500)
    app.connect("env-get-updated", prefix_appendix_numbers, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
