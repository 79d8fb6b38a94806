"""Query stage: parse, filter, rank, highlight, count, export -> plain data.

Not here: rendering for a terminal or formats (`searchlib.cli`), index writes (`store`).
"""

from typing import TYPE_CHECKING, Any

from searchlib.query.highlight import Snippet, make_snippet
from searchlib.query.parse import FIELDS, parse_query
from searchlib.query.search import (
    FACETS,
    SORTS,
    Filters,
    Hit,
    SearchOptions,
    SearchResults,
    search,
)

if TYPE_CHECKING:
    from searchlib.query.counting import BREAKDOWNS, Count, count
    from searchlib.query.exporting import (
        DEFAULT_FIELDS,
        EXPORT_FIELDS,
        Export,
        Provenance,
        export,
    )
    from searchlib.query.similarity import SimilarArticle, SimilarArticles, similar
    from searchlib.query.suggestions import Suggestion, suggest
    from searchlib.query.terms import TopTerm, TopTerms, top_terms
    from searchlib.query.timelines import PERIODS, Bucket, Timeline, plot_timeline, timeline

_LAZY = {
    **dict.fromkeys(["BREAKDOWNS", "Count", "count"], "counting"),
    **dict.fromkeys(["DEFAULT_FIELDS", "EXPORT_FIELDS", "Export", "Provenance", "export"],
                    "exporting"),
    **dict.fromkeys(["SimilarArticle", "SimilarArticles", "similar"], "similarity"),
    **dict.fromkeys(["Suggestion", "suggest"], "suggestions"),
    **dict.fromkeys(["TopTerm", "TopTerms", "top_terms"], "terms"),
    **dict.fromkeys(["PERIODS", "Bucket", "Timeline", "plot_timeline", "timeline"], "timelines"),
}
"""Names whose modules load on first use: a search needs none of them (issue 7: cold start)."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"searchlib.query.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'searchlib.query' has no attribute {name!r}")


__all__ = [
    "BREAKDOWNS",
    "DEFAULT_FIELDS",
    "EXPORT_FIELDS",
    "FACETS",
    "FIELDS",
    "PERIODS",
    "SORTS",
    "Bucket",
    "Count",
    "Export",
    "Filters",
    "Hit",
    "Provenance",
    "SearchOptions",
    "SearchResults",
    "SimilarArticle",
    "SimilarArticles",
    "Snippet",
    "Suggestion",
    "Timeline",
    "TopTerm",
    "TopTerms",
    "count",
    "export",
    "make_snippet",
    "parse_query",
    "plot_timeline",
    "search",
    "similar",
    "suggest",
    "timeline",
    "top_terms",
]
