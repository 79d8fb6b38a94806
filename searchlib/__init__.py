"""searchlib: full-text search for news archives in Ukrainian, Russian and English.

The public API: `Index` (create/open/add/search), `Article`, the result types and the error tree.
Importing this package loads no dictionary, Whoosh or lxml; they load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from searchlib.errors import (
    ArticleNotFound,
    ClusterError,
    ConfigError,
    IndexCorrupt,
    IndexExists,
    IndexIncompatible,
    IndexLocked,
    IndexNotFound,
    InputError,
    NotAnArticle,
    OptionError,
    QueryError,
    RebuildRefused,
    SearchlibError,
    StoreError,
)
from searchlib.model import Article, Failure, IndexReport, Lang

if TYPE_CHECKING:
    from searchlib.api import Index
    from searchlib.ingest import read_articles
    from searchlib.query import Filters, Hit, SearchOptions, SearchResults, Snippet

__all__ = [
    "Index",
    "Article",
    "Lang",
    "Failure",
    "IndexReport",
    "SearchResults",
    "SearchOptions",
    "Filters",
    "Hit",
    "Snippet",
    "read_articles",
    "SearchlibError",
    "InputError",
    "NotAnArticle",
    "QueryError",
    "StoreError",
    "IndexNotFound",
    "IndexExists",
    "IndexLocked",
    "IndexIncompatible",
    "IndexCorrupt",
    "RebuildRefused",
    "ArticleNotFound",
    "ClusterError",
    "ConfigError",
    "OptionError",
]

_LAZY = {
    "Index": "searchlib.api",
    "SearchResults": "searchlib.query",
    "SearchOptions": "searchlib.query",
    "Filters": "searchlib.query",
    "Hit": "searchlib.query",
    "Snippet": "searchlib.query",
    "read_articles": "searchlib.ingest",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'searchlib' has no attribute {name!r}")
