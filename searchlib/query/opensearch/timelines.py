"""Timelines on OpenSearch: matches per day from a ``date_histogram`` (exact: a composite
aggregation, paged), folded into weeks or months by the Whoosh engine's own rule, so the buckets
are the same on both engines."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from whoosh import query as wq

from searchlib.query.opensearch.cluster import Cluster
from searchlib.query.opensearch.searching import prepare, select
from searchlib.query.search import Filters
from searchlib.query.timelines import (
    UNKNOWN,
    Timeline,
    assemble,
    check_options,
    day_of,
    period_start,
)

__all__ = ["timeline"]

_SPLIT_FIELDS = {"lang": "lang", "source": "outlet"}


def timeline(cluster: Cluster, text: str, *, by: str = "month", filters: Filters | None = None,
             normalize: bool = False, collapse: bool = True,
             split: str | None = None) -> Timeline:
    """`searchlib.query.timelines.timeline` on OpenSearch."""
    check_options(by, split)
    since = day_of(filters.since) if filters else None
    until = day_of(filters.until) if filters else None
    parsed, filter_query = prepare(cluster, text, filters)
    counts: Counter[date] = Counter()
    per_value: Counter[tuple[date, str]] = Counter()
    matches = undated = 0
    if parsed is not wq.NullQuery:
        query = select(cluster, parsed, filter_query, collapse=collapse).matching
        matches = cluster.count(query)
        undated = cluster.count({"bool": {"filter": [query], "must_not": [
            {"exists": {"field": "published"}}]}})
        counts, per_value = _per_period(cluster, query, by, since, split)
    totals: Counter[date] = Counter()
    if normalize:
        everything = select(cluster, wq.Every(), filter_query, collapse=collapse).matching
        totals, _ = _per_period(cluster, everything, by, since, None)
    return assemble(text, str(parsed), by=by, since=since, until=until, normalize=normalize,
                    collapse=collapse, split=split, matches=matches, undated=undated,
                    counts=counts, totals=totals, per_value=per_value)


def _per_period(cluster: Cluster, query: dict[str, Any], by: str, anchor: date | None,
                split: str | None) -> tuple[Counter[date], Counter[tuple[date, str]]]:
    """(dated articles per period start, per (period start, split value))."""
    sources: list[dict[str, Any]] = [{"day": {"date_histogram": {
        "field": "published", "fixed_interval": "1d", "time_zone": "UTC"}}}]
    if split:
        sources.append({"value": {"terms": {"field": _SPLIT_FIELDS[split],
                                            "missing_bucket": True}}})
    counts: Counter[date] = Counter()
    per_value: Counter[tuple[date, str]] = Counter()
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"size": 1000, "sources": sources}
        if after:
            composite["after"] = after
        answer = cluster.search({"query": query, "size": 0, "track_total_hits": False,
                                 "aggs": {"days": {"composite": composite}}})
        result = answer["aggregations"]["days"]
        for bucket in result["buckets"]:
            day = datetime.fromtimestamp(bucket["key"]["day"] / 1000, UTC).date()
            start = period_start(day, by, anchor)
            counts[start] += bucket["doc_count"]
            if split:
                per_value[start, bucket["key"]["value"] or UNKNOWN] += bucket["doc_count"]
        after = result.get("after_key")
        if not after or not result["buckets"]:
            return counts, per_value
