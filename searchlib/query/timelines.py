"""Counts over time: how many articles match a query per day, week or month, as data.

Matches are listed without scoring and bucketed from the ``published`` column (no stored
fields are read), so a timeline of 100k matches costs a column scan. With `normalize`, each
bucket also holds the number of all articles (same filters, same duplicate collapse) and the
share of them that match. Undated articles are counted apart (`undated`).

Not here: the terminal chart, CSV and the image (`searchlib.cli`, `plot_timeline`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from whoosh import query as wq

from searchlib.errors import ConfigError
from searchlib.query.search import (
    MISSING_DATE,
    Column,
    Filters,
    collapsed_docnums,
    matching_docnums,
    prepare,
)
from searchlib.store import Store

__all__ = ["Bucket", "Timeline", "timeline", "plot_timeline", "PERIODS", "Period"]

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")
_MISSING = MISSING_DATE


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """One period: its first day, matching articles, and (normalised) all articles and share."""

    start: date
    count: int
    total: int | None = None
    share: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "count": self.count, "total": self.total,
                "share": None if self.share is None else round(self.share, 6)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    """Matching articles per period, every period from the first to the last match."""

    query: str
    parsed: str
    by: str
    collapsed: bool
    normalized: bool
    matches: int
    undated: int
    buckets: tuple[Bucket, ...]

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "parsed": self.parsed, "by": self.by,
                "collapsed": self.collapsed, "normalized": self.normalized,
                "matches": self.matches, "undated": self.undated,
                "buckets": [bucket.to_json() for bucket in self.buckets]}


def _period_start(day: date, by: str) -> date:
    if by == "month":
        return day.replace(day=1)
    if by == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day


def _next(start: date, by: str) -> date:
    if by == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=7 if by == "week" else 1)


def _count(dates: Any, field: Any, docnums: Iterable[int], by: str) -> tuple[Counter, int]:
    counts: Counter[date] = Counter()
    undated = 0
    cache: dict[int, date] = {}
    for docnum in docnums:
        raw = dates[docnum]
        if raw == _MISSING:
            undated += 1
            continue
        day_key = raw // 86_400_000_000  # whoosh datetime longs count microseconds
        start = cache.get(day_key)
        if start is None:
            start = _period_start(field.from_column_value(raw).date(), by)
            cache[day_key] = start
        counts[start] += 1
    return counts, undated


def timeline(store: Store, text: str, *, by: str = "month", filters: Filters | None = None,
             normalize: bool = False, collapse: bool = True) -> Timeline:
    """Count the articles matching `text` per `by` period ("day", "week", "month").

    Raises `QueryError` for an invalid query, `ConfigError` for an unknown period.
    """
    if by not in PERIODS:
        raise ConfigError(f"unknown period {by!r}; use one of {', '.join(PERIODS)}")
    with store.searcher() as searcher:
        parsed, filter_query = prepare(searcher, text, filters)
        reader = searcher.reader()
        dates = Column(reader, "published", default=_MISSING, raw=True)
        field = reader.schema["published"]
        matched: set[int] = set()
        if parsed is not wq.NullQuery:
            matched = matching_docnums(searcher, parsed, filter_query)
            if collapse:
                matched = collapsed_docnums(searcher, matched)
        counts, undated = _count(dates, field, matched, by)
        totals: Counter[date] = Counter()
        if normalize:
            everything = matching_docnums(searcher, wq.Every(), filter_query)
            if collapse:
                everything = collapsed_docnums(searcher, everything)
            totals, _ = _count(dates, field, everything, by)
    buckets: list[Bucket] = []
    if counts:
        start, last = min(counts), max(counts)
        while start <= last:
            count = counts.get(start, 0)
            total = totals.get(start, 0) if normalize else None
            share = (count / total if total else 0.0) if normalize else None
            buckets.append(Bucket(start=start, count=count, total=total, share=share))
            start = _next(start, by)
    return Timeline(query=text, parsed=str(parsed), by=by, collapsed=collapse,
                    normalized=normalize, matches=len(matched), undated=undated,
                    buckets=tuple(buckets))


def plot_timeline(result: Timeline, path: str | Path) -> Path:
    """Draw the timeline as a bar chart image; the format follows the suffix (.png, .svg, .pdf).

    Needs matplotlib (the ``plot`` extra); raises `ConfigError` when it is missing.
    """
    target = Path(path)
    if target.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ConfigError(f"cannot plot to {target}: use a .png, .svg or .pdf file name")
    try:
        # The Figure API, not pyplot: no global backend switch in an app that embeds us.
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ConfigError("plotting needs matplotlib: pip install 'searchlib[plot]'") from err
    values = [b.share * 100 if result.normalized and b.share is not None else b.count
              for b in result.buckets]
    starts = [datetime.combine(b.start, datetime.min.time()) for b in result.buckets]
    width = {"day": 0.8, "week": 5.6, "month": 24.0}[result.by]
    figure = Figure(figsize=(8, 3.2), dpi=150)
    axes = figure.subplots()
    axes.bar(starts, values, width=width, align="edge", color="#3b6ea5")
    axes.set_ylabel("% of all articles" if result.normalized else "articles")
    axes.set_title(f"{result.query} (per {result.by})", fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    figure.autofmt_xdate()
    figure.tight_layout()
    try:
        figure.savefig(target)
    except OSError as err:
        raise ConfigError(f"cannot write the plot to {target}: {err}") from err
    return target
