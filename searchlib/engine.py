"""The engine seam: what the CLI, the web app and library users call, whichever engine holds
the index, and the choice of engine by location (issue 22).

Two engines implement `Engine`: `searchlib.api.Index` (Whoosh, an index folder; the default)
and `searchlib.api_opensearch.OpenSearchIndex` (an ``http(s)://host:port/name`` URL). The
choice is made here, by the location alone, and costs nothing for a folder: the OpenSearch
client is imported only when a URL is opened.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from searchlib.model import Article, Failure, IndexReport
from searchlib.store.opensearch.address import OpenSearchAddress, is_url, parse_address

if TYPE_CHECKING:
    from searchlib.query import (
        Count,
        Export,
        Filters,
        SearchOptions,
        SearchResults,
        SimilarArticles,
        Suggestion,
        Timeline,
        TopTerms,
    )
    from searchlib.query.marking import ArticleHighlights
    from searchlib.store import DeleteReport, IndexStats, OptimizeReport

__all__ = ["Engine", "Location", "engine_class", "open_index", "is_url"]

Location = str | os.PathLike[str] | OpenSearchAddress
"""An index folder, or the URL (or parsed address) of an OpenSearch index."""


@runtime_checkable
class Engine(Protocol):
    """An open searchlib index, whatever engine keeps it.

    Class-level operations (`create`, `open`, `open_or_create`, `exists`, `add_to`, `rebuild`,
    `check`) take a `Location`; `engine_class` picks the class that runs them.
    """

    path: Any
    """The folder (Whoosh) or the URL (OpenSearch), for messages and reports."""
    meta: dict[str, Any]

    def __len__(self) -> int: ...
    def commit_stamp(self) -> tuple[str, int]: ...
    def get(self, article_id: str) -> Article | None: ...
    def find_by_url(self, url: str) -> Article | None: ...
    def articles(self) -> Iterator[Article]: ...
    def stats(self, *, text_sizes: bool = False) -> IndexStats: ...
    def add(self, items: Iterable[Article | Failure], *, batch_size: int = ...,
            wait: float = ..., progress: Callable[[int], None] | None = ...,
            on_commit: Callable[[int], None] | None = ...) -> IndexReport: ...
    def remove(self, article_ids: Iterable[str] = ..., *, urls: Iterable[str] = ...,
               wait: float = ...) -> DeleteReport: ...
    def delete(self, article_ids: Iterable[str] = ..., *, urls: Iterable[str] = ...,
               wait: float = ...) -> int: ...
    def optimize(self, *, wait: float = ...) -> OptimizeReport: ...
    def search(self, query: str, options: SearchOptions | None = ...,
               **overrides: Any) -> SearchResults: ...
    def explain(self, query: str) -> str: ...
    def highlight(self, article_id: str, query: str) -> ArticleHighlights: ...
    def search_many(self, queries: Iterable[str], *, limit: int = ...,
                    options: SearchOptions | None = ...) -> Iterator[SearchResults]: ...
    def count(self, query: str, *, by: str | None = ..., collapse: bool = ...,
              filters: Filters | None = ...) -> Count: ...
    def timeline(self, query: str, *, by: str = ..., normalize: bool = ...,
                 collapse: bool = ..., split: str | None = ...,
                 filters: Filters | None = ...) -> Timeline: ...
    def plot_timeline(self, result: Timeline, path: str | Path) -> Path: ...
    def top_terms(self, query: str, *, limit: int = ..., collapse: bool = ...,
                  filters: Filters | None = ...) -> TopTerms: ...
    def similar(self, article_id: str, *, limit: int = ...) -> SimilarArticles: ...
    def suggest(self, query: str) -> Suggestion: ...
    def export(self, query: str, *, fields: Sequence[str] | None = ..., sort: str = ...,
               collapse: bool = ..., filters: Filters | None = ...) -> Export: ...


def engine_class(location: Location) -> type:
    """The class whose class methods (`open`, `add_to`, `rebuild`, `check` ...) serve
    `location`: `OpenSearchIndex` for an http(s) URL, else the Whoosh `Index`."""
    if is_url(location):
        from searchlib.api_opensearch import OpenSearchIndex

        return OpenSearchIndex
    from searchlib.api import Index

    return Index


def open_index(location: Location, *, ca_certs: str | os.PathLike[str] | None = None) -> Engine:
    """Open the index at `location`: a folder (Whoosh) or an ``http(s)://host:port/name``
    URL (OpenSearch; `ca_certs` verifies its TLS certificate, credentials come from the
    environment: ``SEARCHLIB_OPENSEARCH_USER`` / ``_PASSWORD`` or ``_API_KEY``)."""
    if is_url(location):
        from searchlib.api_opensearch import OpenSearchIndex

        index: Engine = OpenSearchIndex.open(parse_address(location, ca_certs=ca_certs))
        return index
    from searchlib.api import Index

    return Index.open(location)
