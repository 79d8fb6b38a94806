"""Index stage: the on-disk Whoosh index (schema, batched writer, lock, rebuild, check, stats).

Not here: query parsing, ranking and rendering (`searchlib.query`), reading files (`ingest`).
"""

from searchlib.store.check import CheckReport
from searchlib.store.columns import MISSING_DATE, Column
from searchlib.store.lock import LockHolder
from searchlib.store.schema import LANGS, SCHEMA_VERSION, text_field, title_field
from searchlib.store.store import (
    DEFAULT_BATCH_SIZE,
    DeleteReport,
    IndexStats,
    OptimizeReport,
    RebuildReport,
    Store,
)

__all__ = [
    "Store",
    "IndexStats",
    "DeleteReport",
    "OptimizeReport",
    "RebuildReport",
    "CheckReport",
    "Column",
    "MISSING_DATE",
    "LockHolder",
    "DEFAULT_BATCH_SIZE",
    "SCHEMA_VERSION",
    "LANGS",
    "text_field",
    "title_field",
]
