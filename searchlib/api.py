"""The library's front door: `Index`, an on-disk index you can add to and search.

`Index` is the store (create/open/add/delete/stats) plus the query stage's operations, so an app
needs one object. Every CLI command is one call on it. Its class methods also take the URL of
an OpenSearch index (``http://127.0.0.1:9200/news``) and then return or run an
`OpenSearchIndex` (`searchlib.engine`): one entry point, two engines.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchlib.query import Filters, SearchOptions, SearchResults, search
from searchlib.query.front import SearchMethods
from searchlib.query.scoring import LuceneBM25F
from searchlib.query.search import prepare
from searchlib.store import Store
from searchlib.store.opensearch.address import OpenSearchAddress, is_url

if TYPE_CHECKING:  # their modules load on first use (issue 7: a search needs none of them)
    from searchlib.query import Count, Export, SimilarArticles, Suggestion, Timeline, TopTerms
    from searchlib.query.marking import ArticleHighlights

__all__ = ["Index"]

Location = str | os.PathLike[str] | OpenSearchAddress


def _cluster_engine():  # type: ignore[no-untyped-def]
    from searchlib.api_opensearch import OpenSearchIndex  # the client loads for URLs only

    return OpenSearchIndex


class Index(SearchMethods, Store):
    """A searchlib index on disk.

    >>> import tempfile
    >>> from searchlib import Article, Index
    >>> index = Index.create(tempfile.mkdtemp() + "/news")
    >>> report = index.add([Article(id="1", title="Canada and Ukraine", text="Defence deal.")])
    >>> index.search("defence").hits[0].id
    '1'
    """

    weighting = LuceneBM25F()

    # -- the engine's choice: a URL is an OpenSearch index -----------------------------------

    @classmethod
    def exists(cls, path: Location) -> bool:
        return _cluster_engine().exists(path) if is_url(path) else super().exists(path)

    @classmethod
    def create(cls, path: Location, **options: Any):  # type: ignore[no-untyped-def]
        """Create an empty index at a folder, or at an OpenSearch URL (`options`: ``shards``,
        ``replicas``)."""
        if is_url(path):
            return _cluster_engine().create(path, **options)
        return super().create(path)

    @classmethod
    def open(cls, path: Location):  # type: ignore[no-untyped-def]
        """Open the index in a folder, or the OpenSearch index at a URL; refuses one built by
        another schema or analyzer version."""
        return _cluster_engine().open(path) if is_url(path) else super().open(path)

    @classmethod
    def open_or_create(cls, path: Location, **options: Any):  # type: ignore[no-untyped-def]
        if is_url(path):
            return _cluster_engine().open_or_create(path, **options)
        return super().open_or_create(path)

    @classmethod
    def add_to(cls, path: Location, items: Iterable[Any], **options: Any):  # type: ignore[no-untyped-def]
        if is_url(path):
            return _cluster_engine().add_to(path, items, **options)
        return super().add_to(path, items, **options)

    @classmethod
    def rebuild(cls, path: Location, items: Iterable[Any] | None = None,  # type: ignore[override]
                **options: Any):
        if is_url(path):
            return _cluster_engine().rebuild(path, items, **options)
        return super().rebuild(path, items, **options)

    @classmethod
    def check(cls, path: Location):  # type: ignore[no-untyped-def]
        return _cluster_engine().check(path) if is_url(path) else super().check(path)

    def run_search(self, query: str, options: SearchOptions) -> SearchResults:
        return search(self, query, options=options)

    def explain(self, query: str) -> str:
        """The query as parsed: the terms each language's analyzer makes of it, per field.

        Raises `QueryError` as `search` would.
        """
        with self.searcher() as searcher:
            return str(prepare(searcher, query, None)[0])

    def count(self, query: str, *, by: str | None = None, collapse: bool = True,
              filters: Filters | None = None) -> Count:
        """How many articles match `query` (near-duplicates once unless `collapse=False`),
        split `by` "lang", "source", "tag" or "author" when given; no scoring, no snippets."""
        from searchlib.query import count

        return count(self, query, by=by, filters=filters, collapse=collapse)

    def timeline(self, query: str, *, by: str = "month", normalize: bool = False,
                 collapse: bool = True, split: str | None = None,
                 filters: Filters | None = None) -> Timeline:
        """Matching articles per day, week or month over the filters' since..until range (with
        the share of all articles when `normalize`, per language or source with `split`);
        near-duplicates count once unless `collapse=False`."""
        from searchlib.query import timeline

        return timeline(self, query, by=by, filters=filters, normalize=normalize,
                        collapse=collapse, split=split)

    def plot_timeline(self, result: Timeline, path: str | Path) -> Path:
        """Save a timeline as a .png/.svg/.pdf bar chart (needs matplotlib, extra ``plot``)."""
        from searchlib.query import plot_timeline

        return plot_timeline(result, path)

    def top_terms(self, query: str, *, limit: int = 20, collapse: bool = True,
                  filters: Filters | None = None) -> TopTerms:
        """The words that distinguish the matches of `query` from the rest, per language."""
        from searchlib.query import top_terms

        return top_terms(self, query, limit=limit, filters=filters, collapse=collapse)

    def similar(self, article_id: str, *, limit: int = 10) -> SimilarArticles:
        """Other-language versions, near-duplicates and related articles of one article."""
        from searchlib.query import similar

        return similar(self, article_id, limit=limit)

    def highlight(self, article_id: str, query: str) -> ArticleHighlights:
        """Where the words of `query` stand in one article: the words its search hit's snippet
        marks, as ranges in its whole title, lead and text. Raises `ArticleNotFound` when there
        is no such article, `QueryError` as `search` would."""
        from searchlib.query.marking import highlight_article

        return highlight_article(self, article_id, query)

    def suggest(self, query: str) -> Suggestion:
        """A did-you-mean correction of `query` from the words the index holds."""
        from searchlib.query import suggest

        with self.searcher() as searcher:
            return suggest(searcher, query)

    def export(self, query: str, *, fields: Sequence[str] | None = None, sort: str = "date",
               collapse: bool = True, filters: Filters | None = None) -> Export:
        """Every article matching `query` (no cap): `.provenance`, then stream `.rows()`."""
        from searchlib.query import export

        return export(self, query, filters=filters, fields=fields, sort=sort,
                      collapse=collapse)
