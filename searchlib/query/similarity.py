"""Similar articles: other-language versions, near-duplicates, then related articles by content.

In that order: versions of the story in other languages that the article links to (hreflang
alternates, found by URL), the other members of its near-duplicate group, then articles ranked
by the article's own most distinctive terms (tf-idf over its language's fields, the classic
"more like this"; an article only has terms in its own language's fields, so this part finds
same-language articles).

Not here: rendering (`searchlib.cli`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from whoosh import query as wq

from searchlib.errors import ArticleNotFound
from searchlib.model import Lang
from searchlib.query.search import collapse_key, group_members
from searchlib.store import Store, text_field, title_field

__all__ = ["SimilarArticle", "SimilarArticles", "similar"]

KEY_TERMS = 15
"""Distinctive terms of the article used to find related ones."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SimilarArticle:
    """An article similar to another one, and why: "translation", "duplicate" or "related"."""

    id: str
    title: str
    lang: Lang | None
    source: str | None
    published: datetime | None
    url: str | None
    reason: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "lang": str(self.lang) if self.lang else None,
                "source": self.source,
                "published": self.published.isoformat() if self.published else None,
                "url": self.url, "reason": self.reason, "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True, kw_only=True)
class SimilarArticles:
    """The articles similar to `id`, most similar first within each reason."""

    id: str
    title: str
    terms: tuple[str, ...]
    articles: tuple[SimilarArticle, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "terms": list(self.terms),
                "articles": [a.to_json() for a in self.articles]}


def _similar(stored: dict[str, Any], reason: str, score: float) -> SimilarArticle:
    published = stored.get("published")
    lang = stored.get("lang")
    return SimilarArticle(
        id=stored["id"], title=stored.get("title") or "", lang=Lang(lang) if lang else None,
        source=stored.get("source"),
        published=published.replace(tzinfo=UTC) if published else None,
        url=stored.get("canonical_url") or stored.get("url"), reason=reason, score=score)


def similar(store: Store, article_id: str, *, limit: int = 10) -> SimilarArticles:
    """Articles similar to the one with id `article_id`.

    Raises `ArticleNotFound` when there is no such article.
    """
    with store.searcher() as searcher:
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            raise ArticleNotFound(str(store.path), article_id)
        stored = searcher.stored_fields(docnum)
        found: dict[str, SimilarArticle] = {}
        for _lang, url in stored.get("alternates") or ():
            other = searcher.document(canonical_url=url) or searcher.document(url=url)
            if other and other["id"] != article_id and other["id"] not in found:
                found[other["id"]] = _similar(other, "translation", 1.0)
        for _published, member in group_members(searcher, collapse_key(stored)):
            if member != article_id and member not in found:
                other = searcher.document(id=member)
                if other:
                    found[member] = _similar(other, "duplicate", 1.0)
        lang = Lang(stored["lang"]) if stored.get("lang") else Lang.EN
        terms = _key_terms(searcher, stored, lang)
        if terms:
            query = wq.Or([wq.Term(field, term) for term in terms
                           for field in (title_field(lang), text_field(lang))])
            exclude = wq.Or([wq.Term("id", i) for i in (article_id, *found)])
            for hit in searcher.search(query, limit=limit, mask=exclude):
                if len(found) >= limit:
                    break
                found[hit["id"]] = _similar(hit.fields(), "related", float(hit.score or 0))
    return SimilarArticles(id=article_id, title=stored.get("title") or "", terms=terms,
                           articles=tuple(found.values())[:limit])


def _key_terms(searcher: Any, stored: dict[str, Any], lang: Lang) -> tuple[str, ...]:
    field = text_field(lang)
    analyzer = searcher.schema[field].analyzer
    body = "\n\n".join(p for p in (stored.get("title"), stored.get("lead"), stored.get("text"))
                       if p)
    counts: Counter[str] = Counter()
    last_pos = -1
    for token in analyzer(body, positions=True, mode="index"):
        if token.pos != last_pos and len(token.text) > 2 and not token.text.isdigit():
            counts[token.text] += 1
        last_pos = token.pos
    reader = searcher.reader()
    documents = max(1, reader.doc_count())
    weights = {
        term: (1 + math.log(tf)) * math.log(documents / (1 + reader.doc_frequency(field, term)))
        for term, tf in counts.items()
    }
    ranked = sorted(weights.items(), key=lambda pair: (-pair[1], pair[0]))
    return tuple(term for term, weight in ranked[:KEY_TERMS] if weight > 0)
