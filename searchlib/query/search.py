"""Search: run a parsed query on the index and return ranked hits with snippets, as data.

Also the pieces every query operation shares (`Filters`, `prepare`, duplicate-group lookups),
so timeline, export and top-terms match exactly the articles a search counts.
"""

from __future__ import annotations

import heapq
import struct
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import Analyzer
from whoosh.columns import NumericColumn
from whoosh.query import Query
from whoosh.searching import Searcher

from searchlib.errors import OptionError
from searchlib.model import Lang, parse_datetime
from searchlib.query import proximity
from searchlib.query.highlight import Snippet, make_snippet
from searchlib.query.matches import Matches, read_matches, segment_slices
from searchlib.query.names import author_query
from searchlib.query.parse import (
    UNKNOWN_LANG,
    check_expansions,
    parse_query,
    relaxed_query,
    unknown_language,
)
from searchlib.store import (
    MISSING_DATE,
    Column,
    FastVarBytesColumn,
    Store,
    fast_column,
    open_stored,
    text_field,
    title_field,
)

__all__ = [
    "Filters",
    "SearchOptions",
    "Sort",
    "SORTS",
    "FACETS",
    "Hit",
    "SearchResults",
    "search",
    "prepare",
    "collapse_key",
    "date_order",
    "Column",
    "RawColumn",
    "MISSING_DATE",
    "matching_docnums",
    "split_filters",
    "facet_counts",
    "outlet_query",
    "collapsed_docnums",
    "group_members",
    "group_ids",
    "display_value",
    "snippet_matchers",
    "make_hit",
    "MAX_RESULTS_WINDOW",
    "SUGGEST_BELOW",
    "FACET_VALUES",
]

Sort = Literal["relevance", "date", "-date"]
SORTS: tuple[str, ...] = ("relevance", "date", "-date")
FACETS: tuple[str, ...] = ("source", "lang", "author", "tag")
FACET_VALUES = 20
"""Values listed per facet (the most frequent first)."""
SUGGEST_BELOW = 3
"""Searches with fewer hits than this also ask for a did-you-mean suggestion."""
MAX_RESULTS_WINDOW = 100_000
"""offset + limit of one search; `export` streams beyond that."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    """Restrictions on which articles a search may return (all given ones must hold).

    `since` and `until` are inclusive; an `until` at midnight (a bare date) covers that day.
    Dates may be given as `datetime`, `date` or ISO 8601 strings, the language as a `Lang` or
    its code; anything else raises `OptionError` naming the option.
    """

    lang: Lang | Literal["unknown"] | None = None
    """A language, or "unknown": the articles whose language could not be detected."""
    source: str | None = None
    author: str | None = None
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        # Frozen: the normalised values are set once, here (Whoosh would otherwise fail deep
        # inside a search with an AttributeError on a str date).
        object.__setattr__(self, "lang", _language(self.lang))
        for name in ("source", "author", "tag"):
            object.__setattr__(self, name, _text_option(name, getattr(self, name)))
        for name in ("since", "until"):
            object.__setattr__(self, name, _date_option(name, getattr(self, name)))

    @classmethod
    def of(cls, *, lang: Lang | str | None = None, source: str | None = None,
           author: str | None = None, tag: str | None = None,
           since: datetime | date | str | None = None,
           until: datetime | date | str | None = None) -> Filters:
        """Filters from plain values (a language code, ISO date strings)."""
        return cls(lang=lang, source=source, author=author, tag=tag,  # type: ignore[arg-type]
                   since=since, until=until)  # type: ignore[arg-type]

    def to_query(self, reader: Any = None) -> Query | None:
        """The filters as one Whoosh query; `source` is resolved to outlets with `reader`
        (`outlet_query`), else taken as a domain."""
        parts: list[Query] = []
        if self.lang == UNKNOWN_LANG:
            parts.append(unknown_language())
        elif self.lang:
            parts.append(wq.Term("lang", str(self.lang)))
        if self.source:
            parts.append(outlet_query(reader, self.source) if reader is not None
                         else wq.Term("outlet", self.source.lower()))
        if self.author:
            parts.append(author_query(self.author))
        if self.tag:
            parts.append(wq.Term("tag", _keyword(self.tag)))
        if self.since or self.until:
            parts.append(wq.DateRange("published", _naive(self.since), _end_of(self.until)))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "lang": str(self.lang) if self.lang else None,
            "source": self.source,
            "author": self.author,
            "tag": self.tag,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


_FILTER_NAMES = frozenset(f.name for f in fields(Filters))


def _keyword(value: str) -> str:
    """An author or tag as the keyword fields index it (lowercased, commas as spaces)."""
    return value.replace(",", " ").strip().lower()


def _language(value: object) -> Lang | Literal["unknown"] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if value.strip().lower() == UNKNOWN_LANG:
            return UNKNOWN_LANG
        try:
            return Lang(value.strip().lower())
        except ValueError:
            pass
    raise OptionError(f"lang={value!r} is not a language searchlib analyses; "
                      f"use one of {', '.join(lang.value for lang in Lang)} or unknown")


def _text_option(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise OptionError(f"{name}={value!r} must be a string, not {type(value).__name__}")
    return value.strip() or None


def _date_option(name: str, value: object) -> datetime | None:
    """A tz-aware UTC datetime from a datetime, a date (midnight UTC) or an ISO 8601 string."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, datetime | str):
        try:
            return parse_datetime(value)
        except ValueError:
            pass
    raise OptionError(f"{name}={value!r} is not a date; give a datetime, a date or an ISO 8601 "
                      "string such as 2025-08-24")


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchOptions:
    """How to search: filters, order, page, facets, duplicate collapse. Shared by CLI and API.

    `collapse` shows one article (the earliest) per near-duplicate group; `facets` adds counts by
    source, language, author and tag of all matches; `suggest` asks for a did-you-mean when
    there are fewer than `SUGGEST_BELOW` hits.
    """

    limit: int = 10
    """Hits per page; 0 gives the total (and facets) only, as Elasticsearch's ``size: 0``."""
    offset: int = 0
    sort: Sort = "relevance"
    filters: Filters = field(default_factory=Filters)
    facets: bool = False
    collapse: bool = True
    suggest: bool = True
    relax: bool = True
    """A plain query (bare words, AND-ed) with fewer full matches than the page holds fills the
    rest of the page with articles that have only some of the words, ranked after all full
    matches and marked `partial`; `total` still counts full matches only."""

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise OptionError(f"unknown sort {self.sort!r}; use one of {', '.join(SORTS)}")
        if not isinstance(self.filters, Filters):
            raise OptionError(f"filters={self.filters!r} must be a Filters")
        for name, lowest in (("limit", 0), ("offset", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < lowest:
                raise OptionError(f"{name}={value!r} must be an integer >= {lowest}")

    def check_window(self, total: int) -> None:
        """Raise `OptionError` for a page that reaches past `MAX_RESULTS_WINDOW` while there
        are matches to rank there (a page past the last match is simply empty)."""
        if self.offset < total and self.offset + self.limit > MAX_RESULTS_WINDOW:
            raise OptionError(f"limit={self.limit} offset={self.offset}: offset + limit may be "
                              f"at most {MAX_RESULTS_WINDOW}; use export for every match")

    def updated(self, **changes: Any) -> SearchOptions:
        """A copy with the given options and filters changed; `None` values are ignored.

        >>> SearchOptions().updated(limit=5, lang="uk").filters.lang
        <Lang.UK: 'uk'>
        """
        given = {key: value for key, value in changes.items() if value is not None}
        filter_changes = {key: given.pop(key) for key in list(given) if key in _FILTER_NAMES}
        filters = replace(self.filters, **filter_changes) if filter_changes else self.filters
        return replace(self, filters=filters, **given)

    def to_json(self) -> dict[str, Any]:
        return {"limit": self.limit, "offset": self.offset, "sort": self.sort,
                "filters": self.filters.to_json(), "facets": self.facets,
                "collapse": self.collapse, "relax": self.relax}


def _end_of(until: datetime | None) -> datetime | None:
    """`until` as given, or the end of that day when it is a bare date (midnight UTC), so
    ``--until 2025-08-31`` includes articles published during the 31st."""
    value = _naive(until)
    if value is not None and value.time() == datetime.min.time():
        value = value.replace(hour=23, minute=59, second=59, microsecond=999999)
    return value


def _naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One ranked article of a search.

    `group` is the id of the earliest article of its near-duplicate group (its own id when it
    has no duplicates); `duplicates` counts the other articles of the group.
    """

    id: str
    score: float
    title: str
    url: str | None
    published: datetime | None
    lang: Lang | None
    source: str | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    snippet: Snippet
    domain: str | None = None
    """The site of its canonical URL (else its URL): the outlet that facets and `--source`
    count it under (its `source` name when there is no URL)."""
    group: str = ""
    duplicates: int = 0
    partial: bool = False
    """True for an article that has only some of a plain query's words (see `relax`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "lang": str(self.lang) if self.lang else None,
            "source": self.source,
            "domain": self.domain,
            "authors": list(self.authors),
            "tags": list(self.tags),
            "snippet": self.snippet.to_html(),
            "snippet_text": self.snippet.text,
            "highlights": [list(span) for span in self.snippet.highlights],
            "group": self.group or self.id,
            "duplicates": self.duplicates,
            "partial": self.partial,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResults:
    """The hits of one search, the total number of matches and the query as parsed.

    `facets` maps a facet name (source, lang, author, tag) to value -> count over all matches,
    most frequent first (empty unless asked for). `suggestion` is a corrected query when the
    search found few hits and a likelier spelling exists.
    """

    query: str
    parsed: str
    total: int
    offset: int
    hits: tuple[Hit, ...]
    sort: str = "relevance"
    collapsed: bool = True
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "parsed": self.parsed,
            "total": self.total,
            "offset": self.offset,
            "sort": self.sort,
            "collapsed": self.collapsed,
            "hits": [hit.to_json() for hit in self.hits],
            "facets": self.facets,
            "suggestion": self.suggestion,
        }


def prepare(searcher: Searcher, text: str, filters: Filters | None) -> tuple[Query, Query | None]:
    """Parse `text` and check it against this index; returns (query, filter query or None).

    `source:` values and the `source` filter name outlets (`outlet_query`). Raises `QueryError`
    for an invalid query or one whose work would exceed the bounds (`check_expansions`).
    """
    reader = searcher.reader()
    parsed = _resolve_outlets(parse_query(text, searcher.schema), reader)
    check_expansions(parsed, reader, text)
    return parsed, filters.to_query(reader) if filters else None


def outlet_query(reader: Any, value: str) -> Query:
    """The articles of the outlet `value` names, case-insensitively: a domain (or, for articles
    without a URL, a source name) that facets list, else any source name articles give, which
    stands for the outlets of those articles (`Газета.Ru` -> gazeta.ru).

    A facet value therefore selects exactly the articles the facet counted.
    """
    key = value.strip().lower()
    if not reader.doc_frequency("outlet", key) and reader.doc_frequency("source", key):
        outlets = Column(reader, "outlet", default="")
        keys = sorted({outlets[docnum] for docnum in reader.postings("source", key).all_ids()
                       if not reader.is_deleted(docnum)} - {""})
        if keys:
            return wq.Or([wq.Term("outlet", k) for k in keys]) if len(keys) > 1 \
                else wq.Term("outlet", keys[0])
    return wq.Term("outlet", key)


def _resolve_outlets(query: Query, reader: Any) -> Query:
    """`source:` terms of a parsed query as `outlet_query`s (the same rule as `--source`)."""
    if isinstance(query, wq.Term) and query.fieldname == "source":
        return outlet_query(reader, str(query.text))
    if query.is_leaf():
        return query
    return query.apply(lambda child: _resolve_outlets(child, reader))


def date_order(searcher: Searcher, docnums: Iterable[int], *, newest_first: bool) -> list[int]:
    """Document numbers by publication date (then id), undated articles last either way."""
    reader = searcher.reader()
    dates = RawColumn(reader, "published")
    ids = RawColumn(reader, "id")  # UTF-8 bytes sort as their text does
    dated: list[tuple[int, bytes, int]] = []
    undated: list[tuple[bytes, int]] = []
    for docnum in docnums:
        value = dates[docnum]
        if value == MISSING_DATE:
            undated.append((ids[docnum], docnum))
        else:
            dated.append((value, ids[docnum], docnum))
    dated.sort(reverse=newest_first)
    undated.sort()
    return [d[-1] for d in dated] + [d[-1] for d in undated]


def collapse_key(stored_or_columns: dict[str, Any]) -> str:
    """The near-duplicate group key of a document (its own id when it has none)."""
    return stored_or_columns.get("dup_group") or stored_or_columns["id"]


def matching_docnums(searcher: Searcher, parsed: Query, filter_query: Any, *,
                     collapse: bool = False) -> set[int]:
    """Every document number matching `parsed` within the filter (no scoring, no cap).

    With `collapse`, one article per near-duplicate group, by the one rule every count follows
    (issue 18): the group is represented by its earliest matching article, and the filters
    select among representatives, so a group counts once, under its representative's outlet,
    language, authors, tags and date, in totals, facets, timelines and exports alike.

    Read by a searcher over the same reader whose weighting builds no scorer: Whoosh builds a
    BM25 scorer (idf, field lengths) for every term of every segment even for an unscored
    search, half the cost of a count on a 2k index.
    """
    unscored = _unscored(searcher)
    if collapse:
        parsed, filter_query = split_filters(parsed, filter_query)
    matched = _docnums(unscored, parsed)
    if collapse:
        matched = collapsed_docnums(searcher, matched)
    if filter_query is not None and matched:
        matched = within(searcher, matched, filter_query)
    return matched


def within(searcher: Searcher, docnums: set[int], filter_query: Query) -> set[int]:
    """The documents of `docnums` that `filter_query` selects.

    Date ranges on ``published`` are checked in that column for these documents only: over the
    whole index a range is dozens of trie terms and their posting lists (most of the CPU of a
    search with `since` at 15k articles: 0.1-0.2 s). The other conditions are read from their
    posting lists.
    """
    parts = list(_conjuncts(filter_query))
    dates = [part for part in parts if isinstance(part, wq.NumericRange)
             and part.fieldname == "published"]
    rest = [part for part in parts if not any(part is date for date in dates)]
    if rest and docnums:
        docnums = docnums & _docnums(_unscored(searcher), rest[0] if len(rest) == 1
                                     else wq.And(rest))
    if dates and docnums:
        ordered, published = RawColumn(searcher.reader(), "published").values(docnums)
        docnums = {docnum for docnum, value in zip(ordered, published, strict=True)
                   if _in_ranges(value, dates)}
    return docnums


def _conjuncts(query: Query) -> Iterator[Query]:
    """The parts of a query that must all hold (the children of nested ANDs)."""
    if isinstance(query, wq.And):
        for child in query.subqueries:
            yield from _conjuncts(child)
    else:
        yield query


def _in_ranges(value: int, ranges: list[wq.NumericRange]) -> bool:
    """Whether a raw ``published`` value (`MISSING_DATE`: undated) is in every range."""
    if value == MISSING_DATE:
        return False
    for numeric in ranges:
        low, high = numeric.start, numeric.end
        if low is not None and (value < low or (numeric.startexcl and value == low)):
            return False
        if high is not None and (value > high or (numeric.endexcl and value == high)):
            return False
    return True


_FILTER_FIELDS = frozenset({"outlet", "lang", "author", "tag", "published"})


def _is_filter(query: Query) -> bool:
    if isinstance(query, wq.Term | wq.NumericRange):
        return query.fieldname in _FILTER_FIELDS
    return isinstance(query, wq.Or) and bool(query.subqueries) and all(
        _is_filter(child) for child in query.subqueries)


def split_filters(parsed: Query, filter_query: Query | None) -> tuple[Query, Query | None]:
    """(`parsed` without its top-level field conditions, those conditions AND the filters):
    ``source:`` ``lang:`` ``author:`` ``tag:`` ``published:`` AND-ed at the top of a query
    select among the near-duplicate groups' representatives as the filters do, so
    `России source:ng.ru` counts what `России --source ng.ru` does.

    >>> split_filters(wq.And([wq.Term("text_ru", "x"), wq.Term("outlet", "ng.ru")]), None)
    (Term('text_ru', 'x'), Term('outlet', 'ng.ru'))
    """
    if _is_filter(parsed):
        lifted, rest = [parsed], [wq.Every()]
    elif isinstance(parsed, wq.And):
        lifted = [child for child in parsed.subqueries if _is_filter(child)]
        rest = [child for child in parsed.subqueries if not _is_filter(child)] or [wq.Every()]
    else:
        return parsed, filter_query
    if not lifted:
        return parsed, filter_query
    conditions = lifted + ([filter_query] if filter_query is not None else [])
    return (rest[0] if len(rest) == 1 else wq.And(rest),
            conditions[0] if len(conditions) == 1 else wq.And(conditions))


def _unscored(searcher: Searcher) -> Searcher:
    return Searcher(searcher.reader(), weighting=_UNSCORED, closereader=False)


def _docnums(searcher: Searcher, query: Query) -> set[int]:
    """The live documents matching `query`: set algebra over its posting lists when
    `read_matches` can evaluate it, else Whoosh's matchers one posting at a time."""
    found = read_matches(searcher, query)
    return found.docnums() if found is not None else set(searcher.docs_for_query(query))


class _Unscored(scoring.WeightingModel):
    """Weighting for boolean reads: a constant scorer, no statistics looked up."""

    def scorer(self, searcher, fieldname, text, qf=1):
        return scoring.WeightScorer(1.0)


_UNSCORED = _Unscored()


def collapsed_docnums(searcher: Searcher, docnums: Iterable[int]) -> set[int]:
    """One document per near-duplicate group: the earliest published (then lowest id).

    Reads the group column of every document, and publication dates and ids only for groups
    with several of `docnums` (a few percent): no stored fields, so it stays fast for 100k
    matches.
    """
    reader = searcher.reader()
    ordered, keys = RawColumn(reader, "dup_group").values(docnums)
    if not all(keys):  # no group value: its own id is its group key
        ids = RawColumn(reader, "id")
        keys = [key or ids[docnum] for docnum, key in zip(ordered, keys, strict=True)]
    counts = Counter(keys)
    if len(counts) == len(keys):
        return set(ordered)
    shared = {key for key, count in counts.items() if count > 1}
    chosen = {docnum for docnum, key in zip(ordered, keys, strict=True) if key not in shared}
    members: dict[bytes, list[int]] = {}
    for docnum, key in zip(ordered, keys, strict=True):
        if key in shared:
            members.setdefault(key, []).append(docnum)
    # Raw values order as the translated ones: UTF-8 bytes sort as their text does.
    ids, dates = RawColumn(reader, "id"), RawColumn(reader, "published")
    chosen.update(min((dates[n], ids[n], n) for n in found)[2] for found in members.values())
    return chosen


class RawColumn:
    """Raw (untranslated) column values by global document number; each segment's column is
    opened on first use, a variable-length one with `FastVarBytesColumn`."""

    def __init__(self, reader: Any, fieldname: str) -> None:
        leaves = reader.leaf_readers()
        self._leaves = [leaf for leaf, _ in leaves]
        self._offsets = [offset for _, offset in leaves]
        self._fieldname = fieldname
        column = reader.schema[fieldname].column_type
        self._column = fast_column(column)
        self._open: dict[int, Any] = {}

    def __getitem__(self, docnum: int) -> Any:
        number = bisect_right(self._offsets, docnum) - 1
        values = self._open.get(number)
        if values is None:
            values = self._open[number] = self._leaves[number].column_reader(
                self._fieldname, column=self._column, translate=False)
        return values[docnum - self._offsets[number]]

    def values(self, docnums: Iterable[int]) -> tuple[list[int], list[Any]]:
        """`docnums` in ascending order and their raw values. A variable-length or numeric
        column's values are cut from one read of each segment's data: reading them one by one
        (offset, length, then a read of a few bytes) cost 5 µs a document."""
        ordered = sorted(docnums)
        found: list[Any] = []
        for number, start, stop in segment_slices(ordered, self._offsets):
            offset = self._offsets[number]
            values = self._leaves[number].column_reader(self._fieldname, column=self._column,
                                                        translate=False)
            if type(values) is NumericColumn.Reader:
                found += _numbers(values, [d - offset for d in ordered[start:stop]])
                continue
            if type(values) is not FastVarBytesColumn.Reader:
                found += [values[d - offset] for d in ordered[start:stop]]
                continue
            starts, lengths = values._offsets, values._lengths
            data = values._dbfile.get(values._basepos, starts[-1] + lengths[-1]) if starts \
                else b""
            found += [data[starts[d - offset]:starts[d - offset] + lengths[d - offset]]
                      for d in ordered[start:stop]]
        return ordered, found


def _numbers(values: NumericColumn.Reader, docnums: list[int]) -> list[Any]:
    """The values of a numeric column at `docnums` (of its segment), unpacked from one read:
    the column's documents past the last one written have its default."""
    count, default = values._count, values._default
    table = struct.unpack(f"!{count}{values._typecode}",
                          values._dbfile.get(values._basepos, count * values._fixedlen))
    return [table[d] if d < count else default for d in docnums]


def search(store: Store, text: str, *, options: SearchOptions | None = None,
           limit: int | None = None, offset: int | None = None,
           filters: Filters | None = None) -> SearchResults:
    """Rank the articles matching `text` (BM25F, titles weighted above bodies).

    `limit`, `offset` and `filters` override the matching `options`.
    """
    options = (options or SearchOptions()).updated(limit=limit, offset=offset)
    if filters is not None:
        options = replace(options, filters=filters)
    with store.searcher() as searcher:
        parsed, filter_query = prepare(searcher, text, options.filters)
        if parsed is wq.NullQuery:
            return SearchResults(query=text, parsed=str(parsed), total=0, offset=options.offset,
                                 hits=(), sort=options.sort, collapsed=options.collapse,
                                 suggestion=_suggest(store, searcher, text, options))
        # Every match is listed (not only counted): the total counts duplicate groups, and the
        # page is ranked among each group's earliest article. Whoosh's count ignores the filter
        # when it skips blocks, so the filter is applied to that list.
        shown = str(parsed)
        if options.collapse:  # field conditions select among representatives, as filters do
            parsed, filter_query = split_filters(parsed, filter_query)
        found = read_matches(searcher, parsed)
        full_matches = matching_docnums(searcher, parsed, None) if found is None \
            else found.docnums()
        matched = collapsed_docnums(searcher, full_matches) if options.collapse \
            else full_matches
        if filter_query is not None and matched:  # filters after collapse: `matching_docnums`
            matched = within(searcher, matched, filter_query)
        options.check_window(len(matched))
        start, stop = options.offset, options.offset + options.limit
        numbers: list[int] | None = None
        if options.sort != "relevance" and options.limit:
            # Sorted here rather than by Whoosh, whose column default puts undated articles
            # first when newest-first; only the page's articles are then scored and highlighted.
            numbers = date_order(searcher, matched, newest_first=options.sort == "-date")
            numbers = numbers[start:stop]
        page: list[Scored] = []  # limit 0: the total (and facets) only
        if options.limit and found is None:
            page = _whoosh_page(searcher, parsed, matched, numbers, start, stop)
        elif options.limit:
            page = _page(searcher, found, matched, numbers, start, stop)
        total = len(matched)
        open_stored(searcher, (docnum for docnum, _, _ in page))
        hits = tuple(_hit(searcher, *scored) for scored in page)
        relaxed = relaxed_query(parsed, searcher.schema) if (
            options.limit and options.relax and options.sort == "relevance"
            and total < stop <= MAX_RESULTS_WINDOW) else None
        if relaxed is not None:
            hits += _partial_hits(searcher, relaxed, filter_query, full_matches,
                                  start=max(0, start - total), stop=stop - total)
        facets: dict[str, dict[str, int]] = {}
        if options.facets:
            facets = {name: facet_counts(searcher, matched, name, limit=FACET_VALUES)
                      for name in FACETS}
        suggestion = _suggest(store, searcher, text, options) \
            if options.limit and total < SUGGEST_BELOW else None
    return SearchResults(query=text, parsed=shown, total=total, offset=options.offset,
                         hits=hits, sort=options.sort, collapsed=options.collapse,
                         facets=facets, suggestion=suggestion)


Scored = tuple[int, float, Sequence[tuple[str, Any]]]
"""A ranked document: (document number, score, the (field, term) pairs it matched)."""


def _page(searcher: Searcher, found: Matches, matched: set[int], numbers: list[int] | None,
          start: int, stop: int) -> list[Scored]:
    """The page's documents, scored from the posting lists: the best by score (ties: lowest
    document number first, as Whoosh orders them) with the first `proximity.CANDIDATES`
    re-ordered by `_by_proximity`, or the given `numbers` in their order."""
    if numbers is None:
        count = max(stop, proximity.CANDIDATES)
        best = _best(found.top_scores(matched, count), count)
        return _by_proximity(searcher, [(docnum, score, found.matched_terms(docnum))
                                        for docnum, score in best])[start:stop]
    scores = found.scores(numbers)
    return [(n, scores[n], found.matched_terms(n)) for n in numbers if n in scores]


def _by_proximity(searcher: Searcher, ranked: list[Scored]) -> list[Scored]:
    """`ranked` with its first `proximity.CANDIDATES` documents' scores multiplied by
    ``1 + WEIGHT * closeness`` and re-ordered (ties: lowest document first); the rest follow
    (each scored below all of them before, so below them after)."""
    head = ranked[:proximity.CANDIDATES]
    if not proximity.WEIGHT or len(head) < 2:
        return ranked
    near = proximity.closeness(searcher, [(docnum, terms) for docnum, _, terms in head])
    boosted = [(docnum, score * (1 + proximity.WEIGHT * near[docnum]), terms)
               for docnum, score, terms in head]
    boosted.sort(key=lambda scored: (-scored[1], scored[0]))
    return boosted + ranked[proximity.CANDIDATES:]


def _best(scores: dict[int, float], count: int) -> list[tuple[int, float]]:
    """The `count` best (document, score) pairs: highest score first, then lowest document.

    The scores at or above the `count`-th highest are found first (a heap of floats), so only
    those few are compared as (score, document) pairs.

    >>> _best({5: 1.0, 3: 2.0, 4: 1.0, 9: 0.5, 1: 1.0}, 3)
    [(3, 2.0), (1, 1.0), (4, 1.0)]
    """
    if count <= 0 or not scores:
        return []
    lowest = heapq.nlargest(count, scores.values())[-1]
    best = [(docnum, score) for docnum, score in scores.items() if score >= lowest]
    best.sort(key=_rank)
    return best[:count]


def _rank(item: tuple[int, float]) -> tuple[float, int]:
    return -item[1], item[0]


def _whoosh_page(searcher: Searcher, parsed: Query, matched: set[int],
                 numbers: list[int] | None, start: int, stop: int) -> list[Scored]:
    """`_page` by Whoosh's collectors, for queries `read_matches` cannot evaluate."""
    if numbers is None:
        count = max(stop, proximity.CANDIDATES)
        ranked = [(hit.docnum, hit.score, hit.matched_terms() or ())
                  for hit in searcher.search(parsed, filter=matched, limit=count, terms=True)]
        return _by_proximity(searcher, ranked)[start:stop]
    scored = searcher.search(parsed, filter=set(numbers), limit=max(1, len(numbers)),
                             terms=True)
    by_number = {hit.docnum: hit for hit in scored}
    page = [by_number[n] for n in numbers if n in by_number]
    return [(hit.docnum, hit.score, hit.matched_terms() or ()) for hit in page]


def _partial_hits(searcher: Searcher, relaxed: Query, filter_query: Query | None,
                  full_matches: set[int], *, start: int, stop: int) -> tuple[Hit, ...]:
    """Hits [start:stop) of the articles that match the `relaxed_query` but not the query.

    Read from the posting lists when `read_matches` can (a pasted paragraph is an OR of many
    words: Whoosh's collectors step through each posting of each in Python)."""
    found = read_matches(searcher, relaxed)
    page: list[Scored]
    if found is None:
        results = searcher.search(relaxed, filter=filter_query, mask=full_matches,
                                  limit=max(stop, proximity.CANDIDATES), terms=True)
        page = _by_proximity(searcher, [(hit.docnum, hit.score, hit.matched_terms() or ())
                                        for hit in results])[start:stop]
    else:
        candidates = found.docnums() - full_matches
        if filter_query is not None and candidates:
            candidates = within(searcher, candidates, filter_query)
        page = _page(searcher, found, candidates, None, start, stop)
    open_stored(searcher, (docnum for docnum, _, _ in page))
    return tuple(replace(_hit(searcher, *scored), partial=True) for scored in page)


def facet_counts(searcher: Searcher, docnums: set[int], name: str, *,
                 missing: str | None = None, limit: int | None = None) -> dict[str, int]:
    """value -> how many of `docnums` have it, most first (ties by value): source (the outlet:
    domain, else name) and lang from their columns, author and tag from their posting lists
    (shown as an article writes them). Articles without a value count under `missing` if given
    (without a language: always, as "unknown", which `--lang unknown` selects).

    Each value's count is the number of `docnums` the same filter selects (`Filters.to_query`):
    an author filter also takes the name in other scripts (`author_query`), so an author's count
    is that filter's, over the `2 * limit` names most written (all without `limit`).
    """
    counter: Counter[str] = Counter()
    reader = searcher.reader()
    if name == "lang":  # an article whose language was not detected counts as "unknown"
        missing = missing or UNKNOWN_LANG
    if name in ("source", "lang"):
        # Counted on the raw column values, cut from one read per segment; each distinct
        # value is then translated as `Column` translates it.
        fieldname = "outlet" if name == "source" else "lang"
        translate = reader.schema[fieldname].from_column_value
        for raw, count in Counter(RawColumn(reader, fieldname).values(docnums)[1]).items():
            value = translate(raw)
            if value or missing:
                counter[value or missing] += count
    elif docnums:
        for term in reader.lexicon(name):
            found = sum(1 for docnum in reader.postings(name, term).all_ids() if docnum in docnums)
            if found:
                counter[display_value(searcher, name, _facet_value(term))] = found
    if name == "author" and counter:
        unscored = _unscored(searcher)
        written = [value for value, _ in counter.most_common(2 * limit if limit else None)]
        counter = Counter({value: len(docnums & _docnums(unscored, author_query(value)))
                           for value in written})
    ranked = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
    return dict(ranked[:limit] if limit else ranked)


_STORED_LISTS = {"author": "authors", "tag": "tags"}


def display_value(searcher: Searcher, facet: str, value: str) -> str:
    """Authors and tags are indexed lowercased; show them as an article writes them (the
    `--author`/`--tag` filters lowercase again, so the value round-trips)."""
    stored_name = _STORED_LISTS.get(facet)
    if stored_name is None:
        return value
    docnum = searcher.document_number(**{facet: value})
    if docnum is None:
        return value
    written = searcher.stored_fields(docnum).get(stored_name) or ()
    return next((w for w in written if w.replace(",", " ").lower() == value), value)


def _facet_value(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _suggest(store: Store, searcher: Searcher, text: str, options: SearchOptions) -> str | None:
    if not options.suggest:
        return None
    from searchlib.query.suggestions import suggest_query

    return suggest_query(searcher, text)


def group_members(searcher: Searcher, key: str) -> list[tuple[datetime | None, str]]:
    """(published, id) of the live articles of one duplicate group, earliest first."""
    if searcher.doc_frequency("dup_group", key) <= 1:
        stored = searcher.document(id=key)
        return [(stored.get("published"), key)] if stored else []
    members = [
        (stored.get("published"), stored["id"])
        for stored in (searcher.stored_fields(n)
                       for n in searcher.document_numbers(dup_group=key))
    ]
    return sorted(members, key=_earliest)


def _earliest(member: tuple[datetime | None, str]) -> tuple[datetime, str]:
    return (member[0] or datetime.max, member[1])


def group_ids(searcher: Searcher, keys: Iterable[str]) -> dict[str, str]:
    """group key -> id of the group's earliest article, for the given keys."""
    resolved: dict[str, str] = {}
    for key in set(keys):
        members = group_members(searcher, key)
        resolved[key] = members[0][1] if members else key
    return resolved


def snippet_matchers(schema: Any, lang: Lang | None, matched_terms: Iterable[tuple[str, Any]],
                     ) -> tuple[tuple[set[str], Analyzer], ...]:
    """What `make_snippet` and `mark_all` look for in an article in `lang` that matched
    through `matched_terms` ((field, term) pairs): the terms of its language's fields, of the
    exact-form fields and of the names field, each with the analyzer of its body field."""
    body_field = text_field(lang or Lang.EN)
    kinds = {title_field(lang or Lang.EN): "lang", body_field: "lang", "title_exact": "exact",
             "text_exact": "exact", "names": "names"}
    terms_of: dict[str, set[str]] = {}
    for field_name, term in matched_terms:
        if field_name in kinds:
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            terms_of.setdefault(kinds[field_name], set()).add(text)
    return ((terms_of.get("lang", set()), schema[body_field].analyzer),
            (terms_of.get("exact", set()), schema["text_exact"].analyzer),
            (terms_of.get("names", set()), schema["names"].analyzer))


def _hit(searcher: Searcher, docnum: int, score: Any,
         matched_terms: Iterable[tuple[str, Any]]) -> Hit:
    stored = searcher.stored_fields(docnum)
    key = collapse_key(stored)
    members = group_members(searcher, key) if key != stored["id"] or _has_copies(
        searcher, key) else [(stored.get("published"), stored["id"])]
    return make_hit(searcher.schema, stored, score, matched_terms,
                    group=members[0][1] if members else stored["id"], size=len(members) or 1)


def make_hit(schema: Any, stored: dict[str, Any], score: Any,
             matched_terms: Iterable[tuple[str, Any]], *, group: str, size: int) -> Hit:
    """The hit of one article (stored fields as Whoosh keeps them: naive UTC dates) that matched
    through `matched_terms` ((field, term) pairs, marked in its snippet), in a near-duplicate
    group of `size` articles whose earliest is `group`. Both engines make their hits here."""
    lang = Lang(stored["lang"]) if stored.get("lang") else None
    published = stored.get("published")
    return Hit(
        id=stored["id"],
        score=float(score) if isinstance(score, int | float) else 0.0,
        title=stored.get("title") or "",
        url=stored.get("canonical_url") or stored.get("url"),
        published=published.replace(tzinfo=UTC) if published else None,
        lang=lang,
        source=stored.get("source"),
        domain=stored.get("domain"),
        authors=tuple(stored.get("authors") or ()),
        tags=tuple(stored.get("tags") or ()),
        snippet=make_snippet(_body(stored), snippet_matchers(schema, lang, matched_terms)),
        group=group,
        duplicates=max(0, size - 1),
    )


def _body(stored: dict[str, Any]) -> str:
    # The indexed body is lead + text: a match in the lead must be shown and marked too.
    return "\n\n".join(part for part in (stored.get("lead"), stored.get("text")) if part)


def _has_copies(searcher: Searcher, key: str) -> bool:
    return searcher.doc_frequency("dup_group", key) > 1
