"""Similar articles: other-language versions, near-duplicates, then related articles by content.

In that order: versions of the story in other languages that the article links to (hreflang
alternates, found by URL) or that tell the same story (`_translations`: same dates, same names
across scripts, same numbers), the other members of its near-duplicate group, then articles ranked
by the article's own most distinctive terms (tf-idf over its language's fields, the classic
"more like this"; an article only has terms in its own language's fields, so this part finds
same-language articles).

Not here: rendering (`searchlib.cli`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from whoosh import query as wq

from searchlib.errors import ArticleNotFound
from searchlib.model import Lang
from searchlib.query.matches import read_matches
from searchlib.query.search import collapse_key, group_members
from searchlib.store import Store, open_stored, text_field, title_field

__all__ = ["SimilarArticle", "SimilarArticles", "similar", "similar_article", "key_terms",
           "related_query", "translation_query", "best_translations", "best_documents",
           "KEY_TERMS"]

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


def similar_article(stored: dict[str, Any], reason: str, score: float) -> SimilarArticle:
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
        open_stored(searcher, (docnum,))
        stored = searcher.stored_fields(docnum)
        found: dict[str, SimilarArticle] = {}
        for _lang, url in stored.get("alternates") or ():
            other = searcher.document(canonical_url=url) or searcher.document(url=url)
            if other and other["id"] != article_id and other["id"] not in found:
                found[other["id"]] = similar_article(other, "translation", 1.0)
        for other, score in _translations(searcher, stored, found):
            found[other["id"]] = similar_article(other, "translation", score)
        for _published, member in group_members(searcher, collapse_key(stored)):
            if member != article_id and member not in found:
                other = searcher.document(id=member)
                if other:
                    found[member] = similar_article(other, "duplicate", 1.0)
        lang = Lang(stored["lang"]) if stored.get("lang") else Lang.EN
        terms = key_terms(searcher, stored, lang)
        if terms:
            query = related_query(terms, lang)
            exclude = wq.Or([wq.Term("id", i) for i in (article_id, *found)])
            # A near-duplicate group is listed once: the article's own group above, any other
            # group by its best-ranked member.
            groups = {collapse_key(stored)} | {collapse_key(searcher.document(id=i) or {"id": i})
                                               for i in found}
            ranked = best_documents(searcher, query, 3 * limit, mask=exclude)
            open_stored(searcher, (docnum for docnum, _ in ranked))
            for docnum, score in ranked:
                if len(found) >= limit:
                    break
                fields = searcher.stored_fields(docnum)
                if collapse_key(fields) in groups:
                    continue
                groups.add(collapse_key(fields))
                found[fields["id"]] = similar_article(fields, "related", float(score or 0))
    return SimilarArticles(id=article_id, title=stored.get("title") or "", terms=terms,
                           articles=tuple(found.values())[:limit])


NAME_KEYS = 12
"""Distinctive name keys (names across scripts) of an article used to find its translations."""
SHARED_NAMES = 0.25
"""Share of the distinctive name keys a translation must also have."""
PREFIX = 4
"""Letters of a name key compared between languages."""
SAME_STORY_DAYS = 3
"""A translation is published within this many days of the article (when both are dated)."""
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _translations(searcher: Any, stored: dict[str, Any],
                  known: dict[str, SimilarArticle]) -> list[tuple[dict[str, Any], float]]:
    """Other-language versions of the story without hreflang (`translation_query`,
    `best_translations`)."""
    found = translation_query(searcher, stored)
    if found is None:
        return []
    query, names = found
    ranked = best_documents(searcher, query, TRANSLATION_CANDIDATES)
    open_stored(searcher, (docnum for docnum, _ in ranked))
    others = (searcher.stored_fields(docnum) for docnum, _ in ranked)
    return best_translations(searcher, stored, known, names, others)


def best_documents(searcher: Any, query: wq.Query, limit: int, *,
                   mask: wq.Query | None = None) -> list[tuple[int, float]]:
    """(document number, score) of the `limit` best documents matching `query` outside
    `mask`, best first (ties: lowest document first): the hits of
    ``searcher.search(query, limit=limit, mask=mask)``, read from the posting lists
    (`read_matches`). Whoosh's collectors step through each posting of the name prefixes' and
    key terms' lists in Python: ~80% of the CPU of `similar` at 15k articles."""
    found = read_matches(searcher, query, terms=False)
    if found is None:
        return [(hit.docnum, hit.score)
                for hit in searcher.search(query, limit=limit, mask=mask)]
    docnums = found.docnums()
    if mask is not None and docnums:
        docnums -= set(searcher.docs_for_query(mask))
    scores = found.top_scores(docnums, limit)
    return sorted(scores.items(), key=_rank)[:limit]


def _rank(item: tuple[int, float]) -> tuple[float, int]:
    return -item[1], item[0]


TRANSLATION_CANDIDATES = 30
"""Best-ranked candidates of `translation_query` checked by `best_translations`."""


def related_query(terms: Iterable[str], lang: Lang) -> wq.Query:
    """The articles of `lang` holding any of an article's key `terms`, ranked by them."""
    return wq.Or([wq.Term(field, term) for term in terms
                  for field in (title_field(lang), text_field(lang))])


def translation_query(searcher: Any,
                      stored: dict[str, Any]) -> tuple[wq.Query, list[str]] | None:
    """(the candidates of other-language versions of the article: another language, published
    within `SAME_STORY_DAYS`, a distinctive name key shared; the `NAME_KEYS` name keys), or
    None when the article names fewer than 3 distinctive people or places. `searcher` needs
    `schema` and `reader()` (`doc_count`, `doc_frequency`)."""
    names = name_keys(searcher, stored)
    if len(names) < 3:
        return None
    own = stored.get("lang") or ""
    conditions: list[wq.Query] = [wq.Or([wq.Prefix("names", key[:PREFIX]) for key in names])]
    if own:
        conditions.append(wq.Not(wq.Term("lang", own)))
    published = stored.get("published")
    if published:
        window = timedelta(days=SAME_STORY_DAYS)
        conditions.append(wq.DateRange("published", published - window, published + window))
    return wq.And(conditions), names


def best_translations(searcher: Any, stored: dict[str, Any], known: dict[str, Any],
                      names: list[str], others: Iterable[dict[str, Any]],
                      ) -> list[tuple[dict[str, Any], float]]:
    """Of the candidates `others` (stored fields, best-ranked first), the best version per
    other language naming `SHARED_NAMES` of the article's name keys `names` and giving the same
    numbers (at least half of the article's)."""
    numbers = numbers_of(stored)
    own = stored.get("lang") or ""
    best: dict[str, tuple[dict[str, Any], float]] = {}
    for other in others:
        lang = other.get("lang") or ""
        if other["id"] in known or other["id"] == stored["id"] or lang == own:
            continue
        # Keys of one name differ a little between languages' spellings and inflections
        # (makedonian / makedon): their first letters are compared.
        theirs = {key[:PREFIX] for key in name_keys(searcher, other, every=True)}
        shared = sum(1 for key in names if key[:PREFIX] in theirs)
        if shared < max(3, len(names) * SHARED_NAMES):
            continue
        same_numbers = len(numbers & numbers_of(other)) / len(numbers) if numbers else 1.0
        if len(numbers) >= 2 and same_numbers < 0.5:
            continue
        score = shared / len(names) * 0.5 + same_numbers * 0.5
        if lang not in best or score > best[lang][1]:
            best[lang] = (other, score)
    return sorted(best.values(), key=lambda pair: -pair[1])


def name_keys(searcher: Any, stored: dict[str, Any], *, every: bool = False) -> list[str]:
    """The article's most distinctive name keys (tf-idf in the `names` field), or all of them."""
    analyzer = searcher.schema["names"].analyzer
    text = "\n".join(p for p in (stored.get("title"), stored.get("lead"), stored.get("text"))
                     if p)
    counts = Counter(token.text for token in analyzer(text, mode="index"))
    if every:
        return list(counts)
    documents = max(1, searcher.reader().doc_count())
    weights = {key: (1 + math.log(tf)) * math.log(
        documents / (1 + searcher.reader().doc_frequency("names", key)))
        for key, tf in counts.items()}
    ranked = sorted(weights.items(), key=lambda pair: (-pair[1], pair[0]))
    return [key for key, weight in ranked[:NAME_KEYS] if weight > 0]


def numbers_of(stored: dict[str, Any]) -> set[str]:
    """The numbers an article gives (two digits or more; decimal commas as points)."""
    text = " ".join(p for p in (stored.get("title"), stored.get("lead"), stored.get("text")) if p)
    return {n.replace(",", ".") for n in _NUMBER.findall(text) if len(n) >= 2}


def key_terms(searcher: Any, stored: dict[str, Any], lang: Lang) -> tuple[str, ...]:
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
