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
from searchlib.analysis.memo import clear_word_caches
from searchlib.analysis.morph import cache_stats, lemmatise
from searchlib.analysis.morph import clear_caches as _clear_morph_caches

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


def clear_caches() -> None:
    """Empty the word, lemma and stem caches and reset the statistics (benchmarks of a cold
    start)."""
    clear_word_caches()
    _clear_morph_caches()
