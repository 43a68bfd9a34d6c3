"""Write the instructors' schedule (chapters/study-time.md) when a build starts.

The hours of study are computed from the pages themselves (scripts/study_time.py), so they are
regenerated at every build instead of being committed: the page that includes the table can
never disagree with the chapters it describes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def write_schedule(app):
    script = Path(app.srcdir) / "scripts" / "study_time.py"
    spec = importlib.util.spec_from_file_location("dlinv_study_time", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = Path(app.srcdir) / "chapters" / "study-time.md"
    text = module.page()
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", write_schedule)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
