"""Value types shared by the pipeline stages: `Article`, `Failure`, `IndexReport`.

Only plain data crosses a stage boundary: no lxml trees, Whoosh objects or open files. Each type
owns its JSON form (`to_json` / `from_json`): ISO dates, snake_case keys, missing values as null.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = ["Lang", "Article", "Failure", "IndexReport", "make_article_id", "parse_datetime",
           "find_surrogate", "DATE_YEARS"]

DATE_YEARS = (1800, 2100)
"""The years an article's dates may fall in: news, not year 1 or 9999 (a typo there makes a
timeline span every day in between, and year 9999 overflows date arithmetic)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def find_surrogate(value: Any) -> int | None:
    """The position of the first lone surrogate in a string (or in a list of strings), else None.

    A lone surrogate (JSON ``"\\ud800"``) is not a character: it cannot be written as UTF-8, so
    an index, a terminal or a file would fail on it later.

    >>> find_surrogate("ok"), find_surrogate(["ok", "a\\ud800"])
    (None, 1)
    """
    if isinstance(value, str):
        match = _SURROGATE.search(value)
        return match.start() if match else None
    if isinstance(value, list | tuple):
        for item in value:
            found = find_surrogate(item)
            if found is not None:
                return found
    return None


class Lang(StrEnum):
    """The languages searchlib analyses."""

    UK = "uk"
    RU = "ru"
    EN = "en"


def parse_datetime(value: str | datetime | None) -> datetime | None:
    """Parse an ISO 8601 date or datetime into a tz-aware UTC datetime.

    A naive value is taken as UTC; a bare date is midnight UTC. Raises `ValueError` when the text
    is not ISO 8601, or when its time zone moves it out of the years 1..9999.

    >>> parse_datetime("2025-08-24T10:30:00+03:00").isoformat()
    '2025-08-24T07:30:00+00:00'
    >>> parse_datetime("2025-08-24").isoformat()
    '2025-08-24T00:00:00+00:00'
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as err:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise ValueError(f"date out of range in UTC: {value}") from err


def make_article_id(*, canonical_url: str | None, url: str | None, title: str, text: str) -> str:
    """The document id of an article that came without one.

    From the canonical URL, else the URL, else a hash of title and text; always 16 hex digits so
    ids are safe in URLs, file names and shells.
    """
    basis = canonical_url or url or f"{title}\n{text}"
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """One news article as it flows from ingest to the index and back out of a search."""

    id: str
    title: str
    text: str
    url: str | None = None
    canonical_url: str | None = None
    lead: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    lang: Lang | None = None
    source: str | None = None
    tags: tuple[str, ...] = ()
    alternates: tuple[tuple[str, str], ...] = ()
    """Other-language versions of the same story as (language code, URL) pairs (hreflang)."""
    path: str | None = None
    """The input file the article was read from (our own provenance, never used to open files)."""

    def surrogate_field(self) -> str | None:
        """The name of the first field holding a lone surrogate (see `find_surrogate`)."""
        for name, value in self.to_json().items():
            if find_surrogate(value) is not None:
                return name
        return None

    def content_hash(self) -> str:
        """A hash of everything indexed, to skip re-indexing unchanged articles."""
        record = self.to_json()
        record.pop("path")
        blob = repr(sorted(record.items())).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        """The article as a JSON-ready dict with every field (missing values as None)."""
        return {
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "lead": self.lead,
            "text": self.text,
            "authors": list(self.authors),
            "published": _iso(self.published),
            "modified": _iso(self.modified),
            "lang": str(self.lang) if self.lang else None,
            "source": self.source,
            "tags": list(self.tags),
            "alternates": [list(pair) for pair in self.alternates],
            "path": self.path,
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Article:
        """Build an article from `to_json` output; raises `ValueError`/`TypeError` on bad values."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in record.items() if key in known}
        for key in ("authors", "tags"):
            values[key] = tuple(values.get(key) or ())
        values["alternates"] = tuple(tuple(pair) for pair in values.get("alternates") or ())
        for key in ("published", "modified"):
            values[key] = parse_datetime(values.get(key))
        if values.get("lang"):
            values["lang"] = Lang(values["lang"])
        return cls(**values)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """An input that could not be indexed, or was skipped on purpose (not an article)."""

    source: str
    reason: str
    line: int | None = None
    skipped: bool = False

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "reason": self.reason,
                "skipped": self.skipped}


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexReport:
    """What one `Index.add` call did."""

    indexed: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: tuple[Failure, ...] = field(default=())
    workers: int = 1
    """Processes that analysed and wrote the articles (1: the calling process alone)."""
    indexed_by: str = ""
    """How and why, for summary lines: "one process (cores busy: load 7.9 on 2 CPUs)"; empty
    when nothing was written."""

    @property
    def skipped(self) -> int:
        """Articles left as they were: unchanged content plus inputs that are not articles."""
        return self.unchanged + sum(1 for f in self.failures if f.skipped)

    @property
    def failed(self) -> tuple[Failure, ...]:
        return tuple(f for f in self.failures if not f.skipped)

    def to_json(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": len(self.failed),
            "failures": [f.to_json() for f in self.failures],
            "workers": self.workers,
            "indexed_by": self.indexed_by,
        }
