"""Did-you-mean, similar articles and top terms on OpenSearch, by the Whoosh engine's own rules
(`suggestions`, `similarity`, `terms`): those modules ask an index for document frequencies,
counts and stored fields, which `IndexStats` answers from the cluster with exact counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from whoosh import query as wq
from whoosh.query import Query

from searchlib.errors import ArticleNotFound
from searchlib.model import Lang
from searchlib.query.opensearch.cluster import Cluster
from searchlib.query.opensearch.compile import compile_query, layer_fields, token_fields
from searchlib.query.opensearch.searching import (
    SOURCE_FIELDS,
    group_members,
    prepare,
    schema,
    select,
)
from searchlib.query.search import Filters, collapse_key
from searchlib.query.similarity import (
    TRANSLATION_CANDIDATES,
    SimilarArticle,
    SimilarArticles,
    best_translations,
    key_terms,
    related_query,
    similar_article,
    translation_query,
)
from searchlib.query.suggestions import FIELD, MAX_CANDIDATES, Suggestion
from searchlib.query.suggestions import suggest as suggest_with
from searchlib.query.terms import MIN_ARTICLES, SAMPLE, SAMPLE_CHARS, TopTerms, rank_terms
from searchlib.store import LANGS, text_field, title_field

__all__ = ["IndexStats", "suggest", "similar", "top_terms"]

_STORED = [*SOURCE_FIELDS, "alternates"]


class IndexStats:
    """What the shared rules read from an index, answered by the cluster: document
    frequencies (articles holding a term in any layer of a field), counts, stored fields."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.schema = schema()
        self._frequencies: dict[tuple[str, str], int] = {}
        self._count: int | None = None
        self._stored: dict[str, dict[str, Any]] = {}

    def reader(self) -> IndexStats:
        return self

    def doc_count_all(self) -> int:
        if self._count is None:
            self._count = self.cluster.count({"match_all": {}})
        return self._count

    doc_count = doc_count_all

    def doc_frequency(self, field: str, term: str) -> int:
        key = (field, term)
        if key not in self._frequencies:
            self.prefetch(field, [term])
        return self._frequencies[key]

    def prefetch(self, field: str, terms: list[str]) -> None:
        """Count the articles holding each of `terms` in `field` (`holding_counts`)."""
        wanted = [t for t in dict.fromkeys(terms) if (field, t) not in self._frequencies]
        found = holding_counts(self.cluster, {"match_all": {}}, {t: _holding(field, t)
                                                                 for t in wanted})
        self._frequencies.update(((field, term), n) for term, n in found.items())

    def docs_for_query(self, query: Query) -> Iterator[str]:
        answer = self.cluster.search({"query": compile_query(query, named=False).query,
                                      "size": 10, "_source": False, "track_total_hits": False})
        return iter(hit["_id"] for hit in answer["hits"]["hits"])

    def stored_fields(self, article_id: str) -> dict[str, Any]:
        return self._stored[article_id]

    def remember(self, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The stored fields of `hits`, kept for `stored_fields`."""
        found = [self.cluster.decode(hit["_source"]) for hit in hits]
        self._stored.update((stored["id"], stored) for stored in found)
        return found

    def terms_within(self, reader: Any, term: str, maxdist: int) -> list[str]:
        """`suggestions.Within`: the words of `FIELD` within `maxdist` edits of `term` (first
        letter kept; OpenSearch's term suggester lists them, the most frequent first)."""
        answer = self.cluster.search({"size": 0, "suggest": {"close": {"text": term, "term": {
            "field": FIELD, "suggest_mode": "always", "max_edits": maxdist, "prefix_length": 1,
            "min_word_length": 1, "size": 100, "sort": "frequency", "accuracy": 0.0,
            "max_term_freq": 2**31 - 1, "max_inspections": 50,
            "string_distance": "levenshtein"}}}})
        words = [option["text"] for entry in answer.get("suggest", {}).get("close", ())
                 for option in entry["options"]]
        return words[:MAX_CANDIDATES]


_FILTERS = 500
"""Filters of one ``filters`` aggregation request."""


def holding_counts(cluster: Cluster, query: dict[str, Any],
                   filters: dict[str, dict[str, Any]]) -> dict[str, int]:
    """key -> the articles of `query` its filter selects: ``filters`` aggregations, exact,
    `_FILTERS` filters a request."""
    keys = list(filters)
    found: dict[str, int] = {}
    for start in range(0, len(keys), _FILTERS):
        chunk = {str(i): filters[key] for i, key in enumerate(keys[start:start + _FILTERS])}
        answer = cluster.search({"query": query, "size": 0, "track_total_hits": False,
                                 "aggs": {"held": {"filters": {"filters": chunk}}}})
        buckets = answer["aggregations"]["held"]["buckets"]
        found.update((keys[start + int(i)], bucket["doc_count"])
                     for i, bucket in buckets.items())
    return found


def _holding(field: str, term: str) -> dict[str, Any]:
    if field not in token_fields():
        return {"term": {field: term}}
    return {"bool": {"should": [{"term": {layer: term}} for layer in layer_fields(field)],
                     "minimum_should_match": 1}}


def suggest(cluster: Cluster, text: str) -> Suggestion:
    """`searchlib.query.suggestions.suggest` on OpenSearch."""
    stats = IndexStats(cluster)
    return suggest_with(stats, text, within=stats.terms_within)  # type: ignore[arg-type]


def _document(cluster: Cluster, stats: IndexStats, field: str,
              value: str) -> dict[str, Any] | None:
    answer = cluster.search({"query": {"term": {field: value}}, "size": 1, "sort": ["_doc"],
                             "_source": _STORED})
    found = stats.remember(answer["hits"]["hits"])
    return found[0] if found else None


def similar(cluster: Cluster, article_id: str, *, limit: int = 10) -> SimilarArticles:
    """`searchlib.query.similarity.similar` on OpenSearch."""
    stats = IndexStats(cluster)
    stored = _document(cluster, stats, "id", article_id)
    if stored is None:
        raise ArticleNotFound(cluster.url, article_id)
    found: dict[str, SimilarArticle] = {}
    for _lang, url in stored.get("alternates") or ():
        other = _document(cluster, stats, "canonical_url", url) or \
            _document(cluster, stats, "url", url)
        if other and other["id"] != article_id and other["id"] not in found:
            found[other["id"]] = similar_article(other, "translation", 1.0)
    candidates = translation_query(stats, stored)
    if candidates is not None:
        query, names = candidates
        stats.prefetch("names", names)
        answer = cluster.ranked({"query": compile_query(query, named=False).query,
                                 "size": TRANSLATION_CANDIDATES, "_source": _STORED})
        others = stats.remember(answer["hits"]["hits"])
        for other, score in best_translations(stats, stored, found, names, others):
            found[other["id"]] = similar_article(other, "translation", score)
    members = group_members(cluster, [collapse_key(stored)]).get(collapse_key(stored), [])
    for _published, member in members:
        if member != article_id and member not in found:
            other = _document(cluster, stats, "id", member)
            if other:
                found[member] = similar_article(other, "duplicate", 1.0)
    lang = Lang(stored["lang"]) if stored.get("lang") else Lang.EN
    _prefetch_terms(stats, stored, lang)
    terms = key_terms(stats, stored, lang)
    if terms:
        groups = {collapse_key(stored)} | {collapse_key(stats._stored.get(i) or {"id": i})
                                           for i in found}
        query = {"bool": {"must": [compile_query(related_query(terms, lang),
                                                 named=False).query],
                          "must_not": [{"terms": {"id": [article_id, *found]}}]}}
        answer = cluster.ranked({"query": query, "size": 3 * limit, "_source": _STORED})
        for hit, fields in zip(answer["hits"]["hits"], stats.remember(answer["hits"]["hits"]),
                               strict=True):
            if len(found) >= limit:
                break
            if collapse_key(fields) in groups:
                continue
            groups.add(collapse_key(fields))
            found[fields["id"]] = similar_article(fields, "related", float(hit["_score"] or 0))
    return SimilarArticles(id=article_id, title=stored.get("title") or "", terms=terms,
                           articles=tuple(found.values())[:limit])


def _prefetch_terms(stats: IndexStats, stored: dict[str, Any], lang: Lang) -> None:
    """Count the frequencies `key_terms` asks for in a few requests, not one per word."""
    field = text_field(lang)
    body = "\n\n".join(p for p in (stored.get("title"), stored.get("lead"), stored.get("text"))
                       if p)
    terms = {token.text for token in stats.schema[field].analyzer(body, mode="index")
             if len(token.text) > 2 and not token.text.isdigit()}
    stats.prefetch(field, sorted(terms))


def top_terms(cluster: Cluster, text: str, *, limit: int = 20, filters: Filters | None = None,
              collapse: bool = True) -> TopTerms:
    """`searchlib.query.terms.top_terms` on OpenSearch."""
    parsed, filter_query = prepare(cluster, text, filters)
    if parsed is wq.NullQuery:
        return TopTerms(query=text, parsed=str(parsed), matches={}, sampled={}, terms={})
    selection = select(cluster, parsed, filter_query, collapse=collapse, scored=True)
    stats = IndexStats(cluster)
    matches: dict[str, int] = {}
    sampled: dict[str, int] = {}
    result: dict[str, Any] = {}
    for lang in LANGS:
        mine = {"bool": {"must": [selection.query], "filter": [{"term": {"lang": str(lang)}}]}}
        answer = cluster.ranked({"query": mine, "size": SAMPLE, "track_total_hits": True,
                                 "_source": ["id", "title", "lead", "text"]})
        matching = answer["hits"]["total"]["value"]
        if not matching:
            continue
        docnums = [s["id"] for s in stats.remember(answer["hits"]["hits"])]
        in_lang = cluster.count({"term": {"lang": str(lang)}})
        matches[str(lang)] = matching
        sampled[str(lang)] = len(docnums)
        _prefetch_sample(stats, lang, docnums)
        result[str(lang)] = rank_terms(stats, lang, docnums, matching, in_lang, limit,
                                       _Counter(cluster, lang, mine))
    return TopTerms(query=text, parsed=str(parsed), matches=matches, sampled=sampled,
                    terms=result)


def _prefetch_sample(stats: IndexStats, lang: Lang, ids: list[str]) -> None:

    field = text_field(lang)
    articles: Counter[str] = Counter()
    for article_id in ids:
        stored = stats.stored_fields(article_id)
        body = "\n\n".join(p for p in (stored.get("title"), stored.get("lead"),
                                       stored.get("text")) if p)[:SAMPLE_CHARS]
        articles.update({token.text for token in
                         stats.schema[field].analyzer(body, mode="index")})
    # `rank_terms` looks up the terms of at least MIN_ARTICLES sampled articles.
    stats.prefetch(field, sorted(t for t, n in articles.items()
                                 if n >= min(MIN_ARTICLES, len(ids))))


class _Counter:
    """terms -> each term's (matching articles of the language holding it, articles holding it
    in the language's title or body): `rank_terms`' exact counts."""

    def __init__(self, cluster: Cluster, lang: Lang, mine: dict[str, Any]) -> None:
        self._cluster, self._lang, self._mine = cluster, lang, mine

    def __call__(self, terms: list[str]) -> dict[str, tuple[int, int]]:
        filters = {term: {"bool": {"should": [_holding(title_field(self._lang), term),
                                              _holding(text_field(self._lang), term)],
                                   "minimum_should_match": 1}} for term in terms}
        matching = holding_counts(self._cluster, self._mine, filters)
        holding = holding_counts(self._cluster, {"match_all": {}}, filters)
        return {term: (matching[term], holding[term]) for term in terms}
