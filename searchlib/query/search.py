"""Search: run a parsed query on the index and return ranked hits with snippets, as data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from whoosh import query as wq
from whoosh.query import Query

from searchlib.model import Lang
from searchlib.query.highlight import Snippet, make_snippet
from searchlib.query.parse import parse_query
from searchlib.store import Store, text_field, title_field

__all__ = ["Filters", "Hit", "SearchResults", "search"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    """Restrictions on which articles a search may return (all given ones must hold)."""

    lang: Lang | None = None
    source: str | None = None
    author: str | None = None
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_query(self) -> Query | None:
        parts: list[Query] = []
        if self.lang:
            parts.append(wq.Term("lang", str(self.lang)))
        if self.source:
            parts.append(wq.Term("source", self.source))
        if self.author:
            parts.append(wq.Term("author", self.author.lower()))
        if self.tag:
            parts.append(wq.Term("tag", self.tag.lower()))
        if self.since or self.until:
            parts.append(wq.DateRange("published", _naive(self.since), _naive(self.until)))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


def _naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One ranked article of a search."""

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

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "lang": str(self.lang) if self.lang else None,
            "source": self.source,
            "authors": list(self.authors),
            "tags": list(self.tags),
            "snippet": self.snippet.to_html(),
            "snippet_text": self.snippet.text,
            "highlights": [list(span) for span in self.snippet.highlights],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResults:
    """The hits of one search, the total number of matches and the query as parsed."""

    query: str
    parsed: str
    total: int
    offset: int
    hits: tuple[Hit, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "parsed": self.parsed,
            "total": self.total,
            "offset": self.offset,
            "hits": [hit.to_json() for hit in self.hits],
        }


def search(
    store: Store,
    text: str,
    *,
    limit: int = 10,
    offset: int = 0,
    filters: Filters | None = None,
) -> SearchResults:
    """Rank the articles matching `text` (BM25F, titles weighted above bodies)."""
    parsed = parse_query(text, store.schema)
    filter_query = filters.to_query() if filters else None
    with store.searcher() as searcher:
        if parsed is wq.NullQuery:
            return SearchResults(query=text, parsed=str(parsed), total=0, offset=offset, hits=())
        results = searcher.search(parsed, limit=offset + limit, filter=filter_query, terms=True)
        total = len(results)
        hits = tuple(_hit(hit, store.schema) for hit in results[offset: offset + limit])
    return SearchResults(query=text, parsed=str(parsed), total=total, offset=offset, hits=hits)


def _hit(hit, schema) -> Hit:
    stored = hit.fields()
    lang = Lang(stored["lang"]) if stored.get("lang") else None
    body_field = text_field(lang or Lang.EN)
    fields_of_lang = {title_field(lang or Lang.EN), body_field}
    terms = {
        term.decode("utf-8") if isinstance(term, bytes) else term
        for field, term in (hit.matched_terms() or ())
        if field in fields_of_lang or field.endswith("_exact")
    }
    published = stored.get("published")
    return Hit(
        id=stored["id"],
        score=float(hit.score or 0.0),
        title=stored.get("title") or "",
        url=stored.get("canonical_url") or stored.get("url"),
        published=published.replace(tzinfo=UTC) if published else None,
        lang=lang,
        source=stored.get("source"),
        authors=tuple(stored.get("authors") or ()),
        tags=tuple(stored.get("tags") or ()),
        snippet=make_snippet(stored.get("text") or "", terms, schema[body_field].analyzer),
    )
