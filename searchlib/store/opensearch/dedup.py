"""Near-duplicate groups for articles indexed into OpenSearch: the Whoosh engine's rule.

`ClusterDuplicateFinder` is `searchlib.store.dedup.DuplicateFinder` with one part replaced:
the candidates among already indexed articles come from the cluster, not from a Whoosh
segment. Everything else is shared, so both engines group the same articles: the same bottom-k
sketches, the same `_LOOKUP` smallest values looked up, at least `_MIN_SHARED` of them shared,
the `_CANDIDATES` best candidates scored by estimated Jaccard against `THRESHOLD`, the
articles of the last two batches held in memory (the cluster sees a batch after its refresh).

The cluster is asked once per batch (`prefetch`, one multi-search), not once per article.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from searchlib.model import Article
from searchlib.store.dedup import (
    _CANDIDATES,
    _LOOKUP,
    _MIN_SHARED,
    DuplicateFinder,
    _body,
    _tokens,
    _values,
    sketch,
)

__all__ = ["ClusterDuplicateFinder", "candidates_query"]

MultiSearch = Callable[[Sequence[dict[str, Any]]], list[list[dict[str, Any]]]]
"""Query bodies -> for each, the ``_source`` of its hits, best first."""


def candidates_query(values: tuple[int, ...]) -> dict[str, Any]:
    """The search for the indexed articles sharing at least `_MIN_SHARED` of the smallest
    sketch values of an article, most shared first (each shared value scores 1)."""
    looked_up = _tokens(values[:_LOOKUP]).split()
    return {
        "size": _CANDIDATES,
        "track_total_hits": False,
        "_source": ["id", "dup_group", "dup_values"],
        "query": {"bool": {
            "should": [{"constant_score": {"filter": {"term": {"dup_sketch": token}}}}
                       for token in looked_up],
            "minimum_should_match": _MIN_SHARED,
        }},
        "sort": [{"_score": "desc"}, {"id": "asc"}],
    }


class ClusterDuplicateFinder(DuplicateFinder):
    """Assigns duplicate groups to the articles of one `OpenSearchStore.add` call."""

    def __init__(self, search: MultiSearch, *, batch_size: int) -> None:
        super().__init__(None, batch_size=batch_size)
        self._search = search
        self._found: dict[tuple[int, ...], list[dict[str, Any]]] = {}
        self._sketches: dict[int, tuple[Article, tuple[int, ...]]] = {}
        """The sketch of each article of the batch (by object), made once (~1 ms each)."""

    def prefetch(self, articles: Iterable[Article]) -> None:
        """Ask the cluster for the indexed candidates of a batch of articles at once."""
        self._sketches = {id(article): (article, sketch(_body(article)))
                          for article in articles}
        keys = list(dict.fromkeys(values[:_LOOKUP] for _article, values
                                  in self._sketches.values() if values))
        self._found = dict(zip(keys, self._search([candidates_query(key) for key in keys]),
                               strict=True)) if keys else {}

    def _sketch(self, article: Article) -> tuple[int, ...]:
        known = self._sketches.get(id(article))
        return known[1] if known is not None and known[0] is article else sketch(_body(article))

    def _indexed_candidates(self, article_id: str, values: tuple[int, ...],
                            seen: set[str]) -> Iterator[tuple[str, tuple[int, ...]]]:
        for hit in self._found.get(values[:_LOOKUP], ()):
            other = hit.get("id")
            if other == article_id or other in seen:
                continue
            yield hit.get("dup_group") or other, _values(hit.get("dup_values"))
