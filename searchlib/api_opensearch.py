"""`OpenSearchIndex`: the library's front door for an index kept in OpenSearch (issue 22).

The same operations as `searchlib.api.Index` on a cluster: `OpenSearchStore` (create, open,
add, remove, get, stats, rebuild, check, optimize) plus the query stage's operations, which
the OpenSearch query builder (`searchlib.query.opensearch`) adds. Open it with
``Index.open("http://127.0.0.1:9200/news")`` or `searchlib.engine.open_index`; a folder opens
the Whoosh engine instead.

Needs the ``opensearch`` extra (opensearch-py); importing it without raises `ConfigError`.
"""

from __future__ import annotations

try:
    import opensearchpy  # noqa: F401 - fail here, with advice, rather than deep inside
except ImportError as err:  # pragma: no cover - the extra is installed in tests and CI
    from searchlib.errors import ConfigError

    raise ConfigError("an http(s):// index needs the OpenSearch client: "
                      'pip install "searchlib[opensearch]"') from err

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from searchlib.query import Filters, SearchOptions, SearchResults
from searchlib.query import opensearch as reads
from searchlib.query.front import SearchMethods
from searchlib.query.opensearch import Cluster, OpenSearchExport
from searchlib.store.opensearch.encoding import source_to_stored
from searchlib.store.opensearch.store import OpenSearchStore

if TYPE_CHECKING:
    from searchlib.query import Count, SimilarArticles, Suggestion, Timeline, TopTerms
    from searchlib.query.marking import ArticleHighlights

__all__ = ["OpenSearchIndex"]


class OpenSearchIndex(SearchMethods, OpenSearchStore):
    """A searchlib index in OpenSearch, reached through an alias.

    >>> OpenSearchIndex.open("http://127.0.0.1:1/news")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    searchlib.errors.ClusterError: OpenSearch http://127.0.0.1:1/news: cannot connect (...
    """

    # -- reading: the query stage (`searchlib.query.opensearch`, osquery) ---------------------

    def _cluster(self) -> Cluster:
        return Cluster(client=self._client, index=self.alias, url=self.address.url,
                       guard=self._errors, decode=source_to_stored, meta=self.meta)

    def run_search(self, query: str, options: SearchOptions) -> SearchResults:
        return reads.search(self._cluster(), query, options)

    def explain(self, query: str) -> str:
        """The query as parsed (`Index.explain`)."""
        return str(reads.prepare(self._cluster(), query, None)[0])

    def count(self, query: str, *, by: str | None = None, collapse: bool = True,
              filters: Filters | None = None) -> Count:
        """How many articles match `query` (`Index.count`)."""
        return reads.count(self._cluster(), query, by=by, filters=filters, collapse=collapse)

    def timeline(self, query: str, *, by: str = "month", normalize: bool = False,
                 collapse: bool = True, split: str | None = None,
                 filters: Filters | None = None) -> Timeline:
        """Matching articles per day, week or month (`Index.timeline`)."""
        return reads.timeline(self._cluster(), query, by=by, filters=filters,
                              normalize=normalize, collapse=collapse, split=split)

    def plot_timeline(self, result: Timeline, path: str | Path) -> Path:
        """Save a timeline as a .png/.svg/.pdf bar chart (needs matplotlib, extra ``plot``)."""
        from searchlib.query import plot_timeline

        return plot_timeline(result, path)

    def top_terms(self, query: str, *, limit: int = 20, collapse: bool = True,
                  filters: Filters | None = None) -> TopTerms:
        """The words that distinguish the matches of `query` (`Index.top_terms`)."""
        return reads.top_terms(self._cluster(), query, limit=limit, filters=filters,
                               collapse=collapse)

    def similar(self, article_id: str, *, limit: int = 10) -> SimilarArticles:
        """Other-language versions, near-duplicates and related articles (`Index.similar`)."""
        return reads.similar(self._cluster(), article_id, limit=limit)

    def highlight(self, article_id: str, query: str) -> ArticleHighlights:
        """Where the words of `query` stand in one article (`Index.highlight`)."""
        return reads.highlight(self._cluster(), article_id, query)

    def suggest(self, query: str) -> Suggestion:
        """A did-you-mean correction of `query` (`Index.suggest`)."""
        return reads.suggest(self._cluster(), query)

    def export(self, query: str, *, fields: Sequence[str] | None = None, sort: str = "date",
               collapse: bool = True, filters: Filters | None = None) -> OpenSearchExport:
        """Every article matching `query`, streamed through a point-in-time (`Index.export`)."""
        return reads.export(self._cluster(), query, filters=filters, fields=fields, sort=sort,
                            collapse=collapse)
