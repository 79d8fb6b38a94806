"""The library's front door: `Index`, an on-disk index you can add to and search.

`Index` is the store (create/open/add/delete/stats) plus the query stage's operations, so an app
needs one object. Every CLI command is one call on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from searchlib.model import Lang
from searchlib.query import Filters, SearchResults, search
from searchlib.store import Store

__all__ = ["Index"]


class Index(Store):
    """A searchlib index on disk.

    >>> import tempfile
    >>> from searchlib import Article, Index
    >>> index = Index.create(tempfile.mkdtemp() + "/news")
    >>> report = index.add([Article(id="1", title="Canada and Ukraine", text="Defence deal.")])
    >>> index.search("defence").hits[0].id
    '1'
    """

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        lang: Lang | str | None = None,
        source: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> SearchResults:
        """Ranked articles matching `query`, with highlighted snippets.

        Raises `QueryError` when the query cannot be parsed.
        """
        filters = Filters(lang=Lang(lang) if lang else None, source=source, author=author,
                          tag=tag, since=since, until=until)
        return search(self, query, limit=limit, offset=offset, filters=filters)

    def search_many(self, queries: Iterable[str], *, limit: int = 10) -> Iterator[SearchResults]:
        """Run many queries with one open index and one set of loaded dictionaries."""
        for query in queries:
            yield self.search(query, limit=limit)
