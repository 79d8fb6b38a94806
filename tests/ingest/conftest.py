"""Ingest test helpers: the repository root on sys.path, so tests share the benchmark's gold
loader and F1 (`benchmarks/extraction.py`) whether pytest runs as `pytest` or `python -m pytest`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
