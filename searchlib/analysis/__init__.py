"""Analysis stage: Whoosh tokenizers, filters and the named, versioned analyzer chains.

Shared by indexing, querying and highlighting. Imports Whoosh; pymorphy3 dictionaries and
PyStemmer load lazily on the first word analysed. Does not read or write the index.
"""

from searchlib.analysis.analyzers import (
    ANALYZER_VERSION,
    ANALYZERS,
    build_analyzer,
    build_exact_analyzer,
    build_translit_analyzer,
)
from searchlib.analysis.morph import cache_stats, clear_caches, lemmatise

__all__ = [
    "ANALYZER_VERSION",
    "ANALYZERS",
    "build_analyzer",
    "build_exact_analyzer",
    "build_translit_analyzer",
    "lemmatise",
    "cache_stats",
    "clear_caches",
]
