"""Counts: how many articles match a query, and how they split by language, source, tag or
author, as data. No scoring, no stored fields, no snippets: a count costs the posting lists.

The same articles a search counts (same filters, near-duplicates counted once unless
`collapse=False`), so `count(...).total == search(..., limit=0).total`.

Not here: rendering (`searchlib.cli`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from whoosh import query as wq
from whoosh.searching import Searcher

from searchlib.errors import ConfigError
from searchlib.query.search import (
    Filters,
    facet_counts,
    matching_docnums,
    prepare,
)
from searchlib.store import Store

__all__ = ["BREAKDOWNS", "Breakdown", "Count", "count", "breakdown"]

Breakdown = Literal["lang", "source", "tag", "author"]
BREAKDOWNS: tuple[str, ...] = ("lang", "source", "tag", "author")
UNKNOWN = "unknown"
"""The value counted for an article without a language or a source."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Count:
    """The number of matching articles and, when asked, their split by one field.

    `counts` maps each value to its articles, most first (ties by value). Language and source
    have one value per article (`unknown` when missing), so their counts add up to `total`;
    an article has any number of tags and authors, so those counts may add up to more or less.
    """

    query: str
    parsed: str
    total: int
    collapsed: bool
    by: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "parsed": self.parsed, "total": self.total,
                "collapsed": self.collapsed, "by": self.by, "counts": self.counts}


def count(store: Store, text: str, *, filters: Filters | None = None, by: str | None = None,
          collapse: bool = True) -> Count:
    """Count the articles matching `text`, optionally split `by` lang, source, tag or author.

    Raises `QueryError` for an invalid query, `ConfigError` for an unknown `by`.
    """
    if by is not None and by not in BREAKDOWNS:
        raise ConfigError(f"cannot count by {by!r}; use one of {', '.join(BREAKDOWNS)}")
    with store.searcher() as searcher:
        parsed, filter_query = prepare(searcher, text, filters)
        matched: set[int] = set()
        if parsed is not wq.NullQuery:
            matched = matching_docnums(searcher, parsed, filter_query,
                                       collapse=collapse)
        counts = breakdown(searcher, matched, by) if by else {}
    return Count(query=text, parsed=str(parsed), total=len(matched), collapsed=collapse, by=by,
                 counts=counts)


def breakdown(searcher: Searcher, docnums: set[int], by: str) -> dict[str, int]:
    """value -> number of `docnums` with it, most first: the facets' counts (`facet_counts`:
    a source is its outlet), with articles lacking a language or source under `unknown`."""
    return facet_counts(searcher, docnums, by, missing=UNKNOWN if by in ("lang", "source")
                        else None)
