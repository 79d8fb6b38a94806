"""Query stage: parse, filter, rank, highlight -> `SearchResults` (plain data).

Not here: rendering for a terminal or formats (`searchlib.cli`), index writes (`store`).
"""

from searchlib.query.highlight import Snippet, make_snippet
from searchlib.query.parse import parse_query
from searchlib.query.search import Filters, Hit, SearchResults, search

__all__ = ["Filters", "Hit", "SearchResults", "Snippet", "make_snippet", "parse_query", "search"]
