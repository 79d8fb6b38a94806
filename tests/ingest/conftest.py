"""Ingest test helpers: the repository root and this folder on sys.path, so tests share the
benchmark's gold loader and F1 (`benchmarks/extraction.py`) and the test pages (`ingest_pages.py`)
whether pytest runs as `pytest` or `python -m pytest`, in prepend or importlib import mode.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# The repository root for `benchmarks`, this folder for `ingest_pages`, under any import mode.
for folder in (ROOT, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
