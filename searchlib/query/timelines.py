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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from whoosh import query as wq

from searchlib.errors import ConfigError, OptionError
from searchlib.query.search import (
    MISSING_DATE,
    Column,
    Filters,
    RawColumn,
    matching_docnums,
    prepare,
)
from searchlib.store import Store

__all__ = ["Bucket", "Timeline", "timeline", "plot_timeline", "PERIODS", "Period", "SPLITS",
           "assemble", "check_options", "day_of", "period_start"]

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")
SPLITS: tuple[str, ...] = ("lang", "source")
UNKNOWN = "unknown"
_MISSING = MISSING_DATE


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """One period: its first and last day, matching articles, (normalised) all articles and the
    share of them that match, and (split) the matching articles per language or source."""

    start: date
    end: date
    count: int
    total: int | None = None
    share: float | None = None
    split: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "count": self.count, "total": self.total,
                "share": None if self.share is None else round(self.share, 6),
                "split": self.split}


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    """Matching articles per period: every period of the `since`..`until` range when given,
    else from the first to the last match, empty periods included.

    With `split`, `series` lists the split's values (most matches first) and each bucket's
    `split` counts them (0 omitted).
    """

    query: str
    parsed: str
    by: str
    collapsed: bool
    normalized: bool
    matches: int
    undated: int
    buckets: tuple[Bucket, ...]
    split: str | None = None
    series: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "parsed": self.parsed, "by": self.by,
                "collapsed": self.collapsed, "normalized": self.normalized,
                "matches": self.matches, "undated": self.undated, "split": self.split,
                "series": list(self.series),
                "buckets": [bucket.to_json() for bucket in self.buckets]}


def period_start(day: date, by: str, anchor: date | None) -> date:
    """The first day of the `by` period holding `day` (weeks start on `anchor` when given)."""
    if by == "month":
        return day.replace(day=1)
    if by == "week":
        if anchor is not None:  # weeks of the asked range: 7 days from its first day
            return anchor + timedelta(days=(day - anchor).days // 7 * 7)
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day


def day_of(value: datetime | None) -> date | None:
    if value is None:
        return None
    return (value.astimezone(UTC) if value.tzinfo else value).date()


def _next(start: date, by: str) -> date:
    if by == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=7 if by == "week" else 1)


def _count(dates: Any, published: Any, docnums: Iterable[int], by: str, anchor: date | None,
           values: Any = None) -> tuple[Counter, int, Counter]:
    """(matches per period start, undated matches, matches per (period start, split value))."""
    counts: Counter[date] = Counter()
    split: Counter[tuple[date, str]] = Counter()
    undated = 0
    cache: dict[int, date] = {}
    for docnum, raw in zip(*dates.values(docnums), strict=True):
        if raw == _MISSING:
            undated += 1
            continue
        day_key = raw // 86_400_000_000  # whoosh datetime longs count microseconds
        start = cache.get(day_key)
        if start is None:
            start = period_start(published.from_column_value(raw).date(), by, anchor)
            cache[day_key] = start
        counts[start] += 1
        if values is not None:
            split[start, values[docnum] or UNKNOWN] += 1
    return counts, undated, split


def timeline(store: Store, text: str, *, by: str = "month", filters: Filters | None = None,
             normalize: bool = False, collapse: bool = True,
             split: str | None = None) -> Timeline:
    """Count the articles matching `text` per `by` period ("day", "week", "month").

    The periods cover the filters' `since`..`until` when given (weeks then start on `since`),
    else the first to the last match. `split` ("lang" or "source") also counts each period's
    matches per language or source. Raises `QueryError` for an invalid query, `OptionError` for
    an unknown period or split.
    """
    check_options(by, split)
    since = day_of(filters.since) if filters else None
    until = day_of(filters.until) if filters else None
    with store.searcher() as searcher:
        parsed, filter_query = prepare(searcher, text, filters)
        reader = searcher.reader()
        dates = RawColumn(reader, "published")
        published = reader.schema["published"]
        # A source is its outlet (domain, else name), as facets and `--source` take it.
        values = Column(reader, "outlet" if split == "source" else split, default="") \
            if split else None
        matched: set[int] = set()
        if parsed is not wq.NullQuery:
            matched = matching_docnums(searcher, parsed, filter_query,
                                       collapse=collapse)
        counts, undated, per_value = _count(dates, published, matched, by, since, values)
        totals: Counter[date] = Counter()
        if normalize:
            everything = matching_docnums(searcher, wq.Every(), filter_query,
                                          collapse=collapse)
            totals, _, _ = _count(dates, published, everything, by, since)
    return assemble(text, str(parsed), by=by, since=since, until=until, normalize=normalize,
                    collapse=collapse, split=split, matches=len(matched), undated=undated,
                    counts=counts, totals=totals, per_value=per_value)


def check_options(by: str, split: str | None) -> None:
    """Raise `OptionError` for an unknown period or split."""
    if by not in PERIODS:
        raise OptionError(f"unknown period {by!r}; use one of {', '.join(PERIODS)}")
    if split is not None and split not in SPLITS:
        raise OptionError(f"cannot split by {split!r}; use one of {', '.join(SPLITS)}")


def assemble(text: str, parsed: str, *, by: str, since: date | None, until: date | None,
             normalize: bool, collapse: bool, split: str | None, matches: int, undated: int,
             counts: Counter[date], totals: Counter[date],
             per_value: Counter[tuple[date, str]]) -> Timeline:
    """The `Timeline` of matches counted per period start (`counts`; all articles per period
    in `totals` when normalised; per (period, split value) in `per_value`), every period of
    since..until (else first..last match) included. Both engines end here."""
    totals_per_value = Counter[str]()
    for (_, value), n in per_value.items():
        totals_per_value[value] += n
    series = sorted(totals_per_value, key=lambda v: (-totals_per_value[v], v))
    buckets: list[Bucket] = []
    first = period_start(since, by, since) if since else min(counts, default=None)
    last = period_start(until, by, since) if until else max(counts, default=None)
    if first is not None and last is not None:
        start = first
        while start <= last:
            following = _next(start, by)
            count = counts.get(start, 0)
            total = totals.get(start, 0) if normalize else None
            share = (count / total if total else 0.0) if normalize else None
            end = following - timedelta(days=1)
            buckets.append(Bucket(
                start=start, end=min(end, until) if until else end, count=count, total=total,
                share=share, split={value: per_value[start, value] for value in series
                                    if per_value.get((start, value))}))
            start = following
    return Timeline(query=text, parsed=parsed, by=by, collapsed=collapse,
                    normalized=normalize, matches=matches, undated=undated,
                    buckets=tuple(buckets), split=split,
                    series=tuple(series))


SPLIT_SERIES = 8
"""Series drawn in a split plot; the rest are summed as "other"."""
FEW_ARTICLES = 10
"""A normalised bucket with fewer articles than this is drawn pale: its share rests on few."""


def plot_timeline(result: Timeline, path: str | Path) -> Path:
    """Draw the timeline as a bar chart image; the format follows the suffix (.png, .svg, .pdf).

    A split timeline stacks one colour per language or source. A normalised one has two
    panels: the share of all articles (pale where the bucket holds fewer than `FEW_ARTICLES`
    articles), and under it the counts: all articles (the denominator) and the matching ones.
    Needs matplotlib (the ``plot`` extra); raises `ConfigError` when it is missing.
    """
    target = Path(path)
    if target.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise OptionError(f"cannot plot to {target}: use a .png, .svg or .pdf file name")
    try:
        # The Figure API, not pyplot: no global backend switch in an app that embeds us.
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ConfigError("plotting needs matplotlib: pip install 'searchlib[plot]' (from a "
                          "checkout: pip install -e \".[plot]\")") from err
    starts = [datetime.combine(b.start, datetime.min.time()) for b in result.buckets]
    width = {"day": 0.8, "week": 5.6, "month": 24.0}[result.by]
    figure = Figure(figsize=(8, 5.0 if result.normalized else 3.4), dpi=150)
    if result.normalized:
        share_axes, count_axes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        totals = [b.total or 0 for b in result.buckets]
        colours = ["#3b6ea5" if total >= FEW_ARTICLES else "#b9cde3" for total in totals]
        share_axes.bar(starts, [100 * (b.share or 0.0) for b in result.buckets], width=width,
                       align="edge", color=colours)
        share_axes.set_ylabel("% of all articles")
        share_axes.set_title(f"{result.query} (per {result.by}; pale: fewer than "
                             f"{FEW_ARTICLES} articles in the period)", fontsize=9)
        count_axes.bar(starts, totals, width=width, align="edge", color="#d0d0d0",
                       label="all articles (the denominator)")
        count_axes.bar(starts, [b.count for b in result.buckets], width=width, align="edge",
                       color="#3b6ea5", label="matching")
        count_axes.set_ylabel("articles")
        count_axes.legend(fontsize=7, frameon=False)
        panels = (share_axes, count_axes)
    else:
        axes = figure.subplots()
        _bars(axes, result, starts, width)
        axes.set_ylabel("articles")
        axes.set_title(f"{result.query} (per {result.by})", fontsize=10)
        panels = (axes,)
    for axes in panels:
        axes.spines[["top", "right"]].set_visible(False)
    figure.autofmt_xdate()
    figure.tight_layout()
    try:
        figure.savefig(target)
    except OSError as err:
        raise ConfigError(f"cannot write the plot to {target}: {err}") from err
    return target


def _bars(axes: Any, result: Timeline, starts: list[datetime], width: float) -> None:
    """Matching articles per bucket; stacked per series (top `SPLIT_SERIES`) when split."""
    if not result.split:
        axes.bar(starts, [b.count for b in result.buckets], width=width, align="edge",
                 color="#3b6ea5")
        return
    shown = list(result.series[:SPLIT_SERIES])
    rows = [[b.split.get(value, 0) for b in result.buckets] for value in shown]
    if len(result.series) > SPLIT_SERIES:
        shown.append("other")
        rows.append([b.count - sum(b.split.get(v, 0) for v in shown[:-1])
                     for b in result.buckets])
    bottom = [0] * len(result.buckets)
    for value, row in zip(shown, rows, strict=True):
        axes.bar(starts, row, width=width, align="edge", bottom=bottom, label=value)
        bottom = [a + b for a, b in zip(bottom, row, strict=True)]
    axes.legend(fontsize=7, frameon=False, title=result.split, title_fontsize=7)
