"""Top terms: the words that distinguish the articles matching a query from the rest of the index.

Per language, the candidate words come from the best-ranked matches (at most `SAMPLE` of them,
their first `SAMPLE_CHARS` characters), re-analysed with that language's analyzer: re-analysis
is what costs, so it is bounded. The numbers reported are not estimated from that sample: for
each of the `CANDIDATES` most promising index terms (a lemma or stem), the articles are counted
from the posting lists over **all** matches (title or lead and body) and over all other
articles of the language, and ranked by log-likelihood ratio (G²; over-represented terms only).
Each term is shown as the surface form it most often has in the sample ("elections", not the
stem "elect"; lowercase unless always capitalised).

Not here: rendering (`searchlib.cli`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from whoosh import query as wq

from searchlib.model import Lang
from searchlib.query.search import (
    Column,
    Filters,
    matching_docnums,
    prepare,
)
from searchlib.store import LANGS, Store, text_field, title_field

__all__ = ["TopTerm", "TopTerms", "top_terms", "rank_terms", "SAMPLE", "CANDIDATES"]

SAMPLE = 100
"""Matching articles analysed per language (the best-ranked ones). Re-analysis is the cost
(pymorphy3 on words not in its cache: ~20 ms per 2,000 characters, measured with
`benchmarks/research.py`), so this and `SAMPLE_CHARS` bound a top-terms call to a few seconds."""
SAMPLE_CHARS = 3000
"""Characters analysed per sampled article (title and lead come first)."""
MIN_ARTICLES = 2
"""A term must occur in at least this many sampled articles to be a candidate."""
CANDIDATES = 60
"""Candidate terms per language whose articles are counted exactly (the best by their sample
estimate; at least 3x the terms asked for): each costs two posting lists."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TopTerm:
    """A distinguishing word: as shown, its index term, and its document rates."""

    word: str
    term: str
    articles: int
    """Matching articles of the language containing it (all matches, not a sample)."""
    share: float
    """`articles` / the language's matching articles."""
    background: float
    """Share of the language's other articles containing it."""
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"word": self.word, "term": self.term, "articles": self.articles,
                "share": round(self.share, 4), "background": round(self.background, 4),
                "score": round(self.score, 2)}


@dataclass(frozen=True, slots=True, kw_only=True)
class TopTerms:
    """The top terms of a query, per language: `matches` the matching articles (what each
    term's `articles` counts among), `sampled` the best-ranked matches whose text proposed the
    candidate words."""

    query: str
    parsed: str
    matches: dict[str, int]
    sampled: dict[str, int]
    terms: dict[str, tuple[TopTerm, ...]]

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "parsed": self.parsed, "matches": self.matches,
                "sampled": self.sampled, "articles_counted_in": "all matches",
                "terms": {lang: [t.to_json() for t in terms]
                          for lang, terms in self.terms.items()}}


def _llr(k1: int, n1: int, k2: int, n2: int) -> float:
    """G² of a term seen in k1 of n1 sampled documents and k2 of n2 other documents."""

    def part(k: int, n: int, p: float) -> float:
        value = 0.0
        if k:
            value += k * math.log(p)
        if n - k:
            value += (n - k) * math.log(1 - p)
        return value

    p1, p2 = k1 / n1, k2 / n2 if n2 else 0.0
    p = (k1 + k2) / (n1 + n2)
    p1, p2, p = (min(max(x, 1e-12), 1 - 1e-12) for x in (p1, p2, p))
    return 2 * (part(k1, n1, p1) + part(k2, n2, p2) - part(k1, n1, p) - part(k2, n2, p))


def top_terms(store: Store, text: str, *, limit: int = 20, filters: Filters | None = None,
              collapse: bool = True, langs: tuple[Lang, ...] | None = None) -> TopTerms:
    """The `limit` words per language that best distinguish the matches of `text`."""
    matches: dict[str, int] = {}
    sampled: dict[str, int] = {}
    result: dict[str, tuple[TopTerm, ...]] = {}
    with store.searcher() as searcher:
        parsed, filter_query = prepare(searcher, text, filters)
        if parsed is wq.NullQuery:
            return TopTerms(query=text, parsed=str(parsed), matches={}, sampled={}, terms={})
        matched = matching_docnums(searcher, parsed, filter_query,
                                   collapse=collapse)
        reader = searcher.reader()
        lang_column = Column(reader, "lang", default="")
        for lang in langs or LANGS:
            mine = {n for n in matched if lang_column[n] == str(lang)}
            if not mine:
                continue
            ranked = searcher.search(parsed, filter=mine, limit=SAMPLE)
            docnums = [hit.docnum for hit in ranked]
            in_lang = len(searcher.search(wq.Term("lang", str(lang)), limit=None,
                                          scored=False).docs())
            matches[str(lang)] = len(mine)
            sampled[str(lang)] = len(docnums)
            result[str(lang)] = rank_terms(searcher, lang, docnums, len(mine), in_lang, limit,
                                           partial(_counted, reader, lang, mine))
    return TopTerms(query=text, parsed=str(parsed), matches=matches, sampled=sampled,
                    terms=result)


def rank_terms(searcher: Any, lang: Lang, docnums: Sequence[Any], matching: int, in_lang: int,
               limit: int, counted: Callable[[list[str]], dict[str, tuple[int, int]]],
               ) -> tuple[TopTerm, ...]:
    """The `limit` top terms of `lang` proposed by the sampled articles `docnums` (the
    best-ranked of the `matching` articles of the language, of `in_lang` in all): `counted(terms)`
    gives each term's (matching articles holding it, articles of the language holding it),
    exactly.
    `searcher` needs `schema`, `stored_fields(docnum)` and `reader().doc_frequency`."""
    field = text_field(lang)
    analyzer = searcher.schema[field].analyzer
    article_counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for docnum in docnums:
        stored = searcher.stored_fields(docnum)
        body = "\n\n".join(p for p in (stored.get("title"), stored.get("lead"),
                                       stored.get("text")) if p)[:SAMPLE_CHARS]
        seen: set[str] = set()
        last_pos = -1
        for token in analyzer(body, positions=True, chars=True, mode="index"):
            if token.pos == last_pos:
                continue  # the first form at a position is the lemma (or the stem)
            last_pos = token.pos
            term = token.text
            if len(term) < 2 or term.isdigit():
                continue
            surfaces[term][body[token.startchar:token.endchar]] += 1
            seen.add(term)
        article_counts.update(seen)
    reader = searcher.reader()
    n1 = max(1, len(docnums))
    others = max(1, in_lang - matching)
    # Candidates by their sample estimate (matches outside the sample at the sample's rate).
    scale = matching / n1
    estimates: list[tuple[float, str]] = []
    for term, k1 in article_counts.items():
        if k1 < min(MIN_ARTICLES, n1):
            continue
        k2 = max(0, reader.doc_frequency(field, term) - round(k1 * scale))
        if k1 / n1 > k2 / others:
            estimates.append((_llr(k1, n1, min(k2, others), others), term))
    estimates.sort(key=lambda pair: (-pair[0], pair[1]))
    scored: list[TopTerm] = []
    candidates = [term for _, term in estimates[:max(CANDIDATES, 3 * limit)]]
    counts = counted(candidates)
    for term in candidates:
        k1, holding = counts[term]
        k2 = min(others, holding - k1)
        share, background = k1 / max(1, matching), k2 / others
        if share <= background:
            continue
        scored.append(TopTerm(word=_readable(surfaces[term]), term=term, articles=k1,
                              share=share, background=background,
                              score=_llr(k1, max(1, matching), k2, others)))
    scored.sort(key=lambda t: (-t.score, t.word))
    return tuple(scored[:limit])


def _counted(reader: Any, lang: Lang, mine: set[int],
             terms: list[str]) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for term in terms:
        having = _articles_with(reader, lang, term)
        found[term] = (len(having & mine), len(having))
    return found


def _articles_with(reader: Any, lang: Lang, term: str) -> set[int]:
    """The live articles of `lang`'s fields holding `term` in the title or the lead and body."""
    found: set[int] = set()
    for field in (title_field(lang), text_field(lang)):
        if reader.doc_frequency(field, term):
            found.update(reader.postings(field, term).all_ids())
    return {docnum for docnum in found if not reader.is_deleted(docnum)}


def _readable(forms: Counter[str]) -> str:
    """The most frequent form, lowercase unless it is always capitalised (a name)."""
    by_lower: Counter[str] = Counter()
    for form, count in forms.items():
        by_lower[form.lower()] += count
    word = by_lower.most_common(1)[0][0]
    if word in forms:
        return word
    return max((form for form in forms if form.lower() == word), key=forms.__getitem__)
