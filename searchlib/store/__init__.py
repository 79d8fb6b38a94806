"""Index stage: the on-disk Whoosh index (schema, batched writer, lock, rebuild, check, stats).

Not here: query parsing, ranking and rendering (`searchlib.query`), reading files (`ingest`).
"""

from typing import TYPE_CHECKING, Any

from searchlib.store.columns import (
    MISSING_DATE,
    Column,
    FastVarBytesColumn,
    fast_column,
    open_stored,
)
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

if TYPE_CHECKING:
    from searchlib.store.check import CheckReport

__all__ = [
    "Store",
    "IndexStats",
    "DeleteReport",
    "OptimizeReport",
    "RebuildReport",
    "CheckReport",
    "Column",
    "MISSING_DATE",
    "FastVarBytesColumn",
    "fast_column",
    "open_stored",
    "LockHolder",
    "DEFAULT_BATCH_SIZE",
    "SCHEMA_VERSION",
    "LANGS",
    "text_field",
    "title_field",
]


def __getattr__(name: str) -> Any:
    if name == "CheckReport":  # its module loads on first use (issue 7: a search never checks)
        from searchlib.store.check import CheckReport

        return CheckReport
    raise AttributeError(f"module 'searchlib.store' has no attribute {name!r}")
