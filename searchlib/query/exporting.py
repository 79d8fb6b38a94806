"""Export: every article matching a query, streamed as flat records, with provenance.

No cap: the matches are listed once (document numbers only), ordered, then stored fields are read
one article at a time while the caller consumes the stream. `Export.provenance` records what
produced the rows (index build id, schema and analyzer versions, the query as typed and as
parsed, filters, order, collapse, time), so a data set can be traced back and reproduced.

Not here: JSON Lines / CSV encoding (`searchlib.cli`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from whoosh import query as wq

from searchlib.errors import ConfigError, OptionError
from searchlib.query.search import (
    Column,
    Filters,
    collapse_key,
    date_order,
    group_members,
    matching_docnums,
    prepare,
)
from searchlib.store import Store

__all__ = ["EXPORT_FIELDS", "DEFAULT_FIELDS", "GROUP_FIELDS", "Provenance", "Export", "export",
           "check_export", "row_of", "version"]

EXPORT_FIELDS: tuple[str, ...] = (
    "id", "published", "modified", "lang", "source", "domain", "title", "lead", "text", "url",
    "canonical_url", "authors", "tags", "group", "duplicate_of", "duplicates", "path",
)
"""Every field a row can have. `group` is the id of the earliest article of the row's
near-duplicate group; `duplicate_of` is that id when it is another article, else null;
`duplicates` counts the other articles of the group (as a search hit's `+N near-duplicates`);
`path` is the input file the article was read from (as `searchlib extract` gives it)."""
DEFAULT_FIELDS: tuple[str, ...] = (
    "id", "published", "lang", "source", "title", "url", "authors", "tags", "text", "group",
    "duplicates", "path",
)
GROUP_FIELDS = frozenset({"group", "duplicate_of", "duplicates"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """Where an export came from."""

    index: str
    build_id: str
    schema: str
    analyzer: str
    query: str
    parsed: str
    filters: dict[str, Any]
    sort: str
    collapsed: bool
    fields: tuple[str, ...]
    total: int
    exported_at: str
    searchlib: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "build_id": self.build_id, "schema": self.schema,
                "analyzer": self.analyzer, "query": self.query, "parsed": self.parsed,
                "filters": self.filters, "sort": self.sort, "collapsed": self.collapsed,
                "fields": list(self.fields), "total": self.total,
                "exported_at": self.exported_at, "searchlib": self.searchlib}


class Export:
    """An export in progress: its provenance (total included) and the stream of rows.

    Holds a searcher on the index snapshot the matches were listed from, so commits made while
    exporting do not change the rows; it is closed when `rows()` ends or on `close()` (also a
    context manager).
    """

    def __init__(self, provenance: Provenance, searcher: Any, docnums: tuple[int, ...],
                 context: ExitStack) -> None:
        self.provenance = provenance
        self._searcher = searcher
        self._docnums = docnums
        self._context = context

    @property
    def total(self) -> int:
        return self.provenance.total

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._searcher = None
        self._context.close()

    def rows(self) -> Iterator[dict[str, Any]]:
        """One dict per matching article with exactly `provenance.fields` as keys."""
        searcher = self._searcher
        if searcher is None:
            raise ConfigError("this export was already read or closed; run export() again")
        fields = self.provenance.fields
        try:
            groups: dict[str, tuple[str, int]] = {}
            if GROUP_FIELDS.intersection(fields):
                reader = searcher.reader()
                keys = Column(reader, "dup_group", default="")
                ids = Column(reader, "id", default="")
                groups = _groups(searcher, {keys[n] or ids[n] for n in self._docnums})
            for docnum in self._docnums:
                stored = searcher.stored_fields(docnum)
                group, members = groups.get(collapse_key(stored), (stored["id"], 1))
                yield row_of(stored, fields, group, members)
        finally:
            self.close()


def _groups(searcher: Any, keys: set[str]) -> dict[str, tuple[str, int]]:
    """group key -> (id of the group's earliest article, live articles in the group)."""
    found: dict[str, tuple[str, int]] = {}
    for key in keys:
        members = group_members(searcher, key)
        found[key] = (members[0][1], len(members)) if members else (key, 1)
    return found


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value else None


def row_of(stored: dict[str, Any], fields: Sequence[str], group: str,
           members: int) -> dict[str, Any]:
    """The export row of an article's stored fields (naive UTC dates), given its group's id and
    size. Both engines make their rows here."""
    row: dict[str, Any] = {}
    for name in fields:
        if name in ("published", "modified"):
            row[name] = _iso(stored.get(name))
        elif name in ("authors", "tags"):
            row[name] = list(stored.get(name) or ())
        elif name == "group":
            row[name] = group
        elif name == "duplicate_of":
            row[name] = group if group != stored["id"] else None
        elif name == "duplicates":
            row[name] = members - 1
        else:
            row[name] = stored.get(name) or None
    return row


def check_export(fields: Sequence[str], sort: str) -> None:
    """Raise `OptionError` for an unknown export field or sort."""
    unknown = [name for name in fields if name not in EXPORT_FIELDS]
    if unknown:
        raise OptionError(f"unknown export field(s) {', '.join(unknown)}; "
                          f"choose from {', '.join(EXPORT_FIELDS)}")
    if sort not in ("relevance", "date", "-date"):
        raise OptionError(f"unknown sort {sort!r}; use relevance, date or -date")


def export(store: Store, text: str, *, filters: Filters | None = None,
           fields: Sequence[str] | None = None, sort: str = "date",
           collapse: bool = True) -> Export:
    """Prepare the export of every article matching `text`; iterate `.rows()` to stream it.

    `sort` is "date" (oldest first, the default), "-date" or "relevance". Raises `QueryError`
    for an invalid query and `OptionError` for an unknown field or sort.
    """
    chosen = tuple(fields) if fields else DEFAULT_FIELDS
    check_export(chosen, sort)
    # The Export keeps this searcher open: one index snapshot for the list and every row.
    context = ExitStack()
    searcher = context.enter_context(store.searcher())
    try:
        parsed, filter_query = prepare(searcher, text, filters)
        docnums: list[int] = []
        if parsed is not wq.NullQuery:
            matched = matching_docnums(searcher, parsed, filter_query,
                                       collapse=collapse)
            docnums = _ordered(searcher, parsed, matched, sort)
    except BaseException:
        context.close()
        raise
    provenance = Provenance(
        index=str(store.path), build_id=store.meta.get("build_id", ""),
        schema=store.meta.get("schema", ""), analyzer=store.meta.get("analyzer", ""),
        query=text, parsed=str(parsed), filters=(filters or Filters()).to_json(), sort=sort,
        collapsed=collapse, fields=chosen, total=len(docnums),
        exported_at=datetime.now(UTC).isoformat(timespec="seconds"), searchlib=version())
    return Export(provenance, searcher, tuple(docnums), context)


def version() -> str:
    """The installed searchlib's version ("unknown" in a bare checkout)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("searchlib")
    except PackageNotFoundError:
        return "unknown"


def _ordered(searcher: Any, parsed: Any, matched: set[int], sort: str) -> list[int]:
    if sort == "relevance":
        results = searcher.search(parsed, filter=matched, limit=None)
        return [hit.docnum for hit in results]
    return date_order(searcher, matched, newest_first=sort == "-date")
