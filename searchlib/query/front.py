"""`SearchMethods`: the keyword form of `search` and `search_many` that every engine offers.

Both engines' front doors (`searchlib.api.Index`, `searchlib.api_opensearch.OpenSearchIndex`)
inherit it and supply `run_search`, so the public signature is written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from searchlib.model import Lang
from searchlib.query.search import SearchOptions, SearchResults

__all__ = ["SearchMethods"]


class SearchMethods:
    """`search` with keyword overrides of `SearchOptions`, and `search_many`."""

    def run_search(self, query: str, options: SearchOptions) -> SearchResults:
        """The engine's search with every setting in `options`."""
        raise NotImplementedError

    def search(
        self,
        query: str,
        options: SearchOptions | None = None,
        *,
        limit: int | None = None,
        offset: int | None = None,
        sort: str | None = None,
        lang: Lang | str | None = None,
        source: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        facets: bool | None = None,
        collapse: bool | None = None,
        relax: bool | None = None,
    ) -> SearchResults:
        """Ranked articles matching `query`, with highlighted snippets.

        `options` holds every setting (`SearchOptions`); keyword arguments given here override
        it. Dates may be `datetime`, `date` or ISO 8601 strings. Raises `QueryError` when the
        query cannot be parsed, `OptionError` (a `ConfigError`) for a bad option value.
        """
        options = (options or SearchOptions()).updated(
            limit=limit, offset=offset, sort=sort, lang=lang, source=source, author=author,
            tag=tag, since=since, until=until, facets=facets, collapse=collapse, relax=relax)
        return self.run_search(query, options)

    def search_many(self, queries: Iterable[str], *, limit: int = 10,
                    options: SearchOptions | None = None) -> Iterator[SearchResults]:
        """Run many queries with one open index and one set of loaded dictionaries.

        No did-you-mean unless `options` asks for it (batch runs should not pay for it).
        """
        options = options or SearchOptions(suggest=False)
        for query in queries:
            yield self.search(query, options, limit=limit)
