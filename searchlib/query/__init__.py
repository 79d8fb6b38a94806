"""Query stage: parse, filter, rank, highlight, count, export -> plain data.

Not here: rendering for a terminal or formats (`searchlib.cli`), index writes (`store`).
"""

from searchlib.query.export import DEFAULT_FIELDS, EXPORT_FIELDS, Export, Provenance, export
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
from searchlib.query.similar import SimilarArticle, SimilarArticles, similar
from searchlib.query.suggest import Suggestion, suggest
from searchlib.query.terms import TopTerm, TopTerms, top_terms
from searchlib.query.timeline import PERIODS, Bucket, Timeline, plot_timeline, timeline

__all__ = [
    "DEFAULT_FIELDS",
    "EXPORT_FIELDS",
    "FACETS",
    "FIELDS",
    "PERIODS",
    "SORTS",
    "Bucket",
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
