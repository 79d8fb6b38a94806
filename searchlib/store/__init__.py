"""Index stage: the on-disk Whoosh index (schema, batched writer, lock, statistics).

Not here: query parsing, ranking and rendering (`searchlib.query`), reading files (`ingest`).
"""

from searchlib.store.schema import LANGS, SCHEMA_VERSION, text_field, title_field
from searchlib.store.store import DEFAULT_BATCH_SIZE, IndexStats, Store

__all__ = [
    "Store",
    "IndexStats",
    "DEFAULT_BATCH_SIZE",
    "SCHEMA_VERSION",
    "LANGS",
    "text_field",
    "title_field",
]
