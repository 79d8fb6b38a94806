"""Parity of the two engines on ~2,400 real uk/ru/en articles (`research_articles`): the same
articles indexed once per session in Whoosh (`research_index`) and in OpenSearch must give the
same totals for every kind of query syntax, the same facets, timelines, exports, snippets,
suggestions and top terms, and nearly the same ranking (top-10 overlap >= 0.9 on average).
Some totals are also checked against a regex over the articles' own text (independent truth).

Needs a cluster: $SEARCHLIB_TEST_OPENSEARCH (`opensearch_url`); skipped with the reason without.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from searchlib.api import Index
from searchlib.query import Filters

BOOLEAN = ["Росія Україна", "Росія OR Россия", "Росія -Україна", "NOT газ",
           "(Brexit OR Брекзит) Мэй", "+Трамп вибори", "Путин Трамп встреча", "*"]
PHRASE = ['"Nord Stream"', '"Северный поток"', '"Борис Джонсон"', '"Нью-Йорк Таймс"',
          '"Тереза Мэй"', '"Північний потік"']
PROXIMITY = ['"газопровод поток"~3', '"Трамп Байден"~5', '"Brexit deal"~4',
             '"Россия Украина газ"~6']
FIELD = ["title:Brexit", "text:газ", "lang:uk газ", "source:ng.ru Россия", "body:Меркель",
         "title:Трамп lang:ru"]
EXACT = ["=Києва", "=России", '"=Северного потока"', "=Brexit"]
WILDCARD = ["Брекзит*", "газопр*", "defen?e", "sanctoins~", "Зеленськ*", "Меркел~"]
DATE = ["published:[2018-01-01 TO 2018-06-30]", "published:2024-11",
        "Россия published:[2018-03-01 TO]", "газ published:[2019-01-01 TO 2019-12-31]"]
KINDS = {"boolean": BOOLEAN, "phrase": PHRASE, "proximity": PROXIMITY, "field": FIELD,
         "exact": EXACT, "wildcard": WILDCARD, "date": DATE}
RANKED = ["Brexit", "Росія Україна", "Canada OR Канада", "title:Brexit", "text:газ", "=Києва",
          "=России", "Брекзит*", "газопр*", "lang:uk газ", "source:ng.ru Россия", "Zelenskyy",
          "Зеленський", "нью-йорк", "Путин Трамп встреча", "economy growth inflation",
          "прем'єр-міністр", "Мэй Brexit соглашение", "газ", "Трамп", "выборы США",
          "санкції", "Меркель", "bank rates", "government minister", '"Борис Джонсон"',
          '"Nord Stream"', '"Северный поток"', '"газопровод поток"~3']
FILTERS = [Filters.of(lang="ru"), Filters.of(source="ng.ru"),
           Filters.of(since="2018-01-01", until="2018-12-31"), Filters.of(lang="unknown")]


@pytest.fixture(scope="session")
def engines(research_index: Index, research_articles: list,
            opensearch_url: str) -> Iterator[tuple[Index, object]]:
    """(the Whoosh research index, the same articles in OpenSearch), indexed once."""
    from opensearchpy import OpenSearch

    from searchlib.api_opensearch import OpenSearchIndex

    name = f"osquery-parity-{uuid.uuid4().hex[:10]}"
    try:
        index = OpenSearchIndex.create(f"{opensearch_url}/{name}")
        report = index.add(research_articles)
        assert report.indexed + report.skipped == len(research_articles), report
        yield research_index, index
    finally:
        OpenSearch(opensearch_url, timeout=60).indices.delete(
            index=f"{name}*", expand_wildcards="all", ignore_unavailable=True)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_totals_are_equal_for_every_kind_of_query(engines, kind: str) -> None:
    whoosh, opensearch = engines
    for query in KINDS[kind]:
        for collapse in (True, False):
            expected = whoosh.count(query, collapse=collapse).total
            assert opensearch.count(query, collapse=collapse).total == expected, (query, collapse)
        assert opensearch.search(query, limit=0).total == whoosh.search(query, limit=0).total


def test_totals_are_equal_within_filters(engines) -> None:
    whoosh, opensearch = engines
    for query in ["Росія", "газ OR gas", '"Северный поток"', "*"]:
        for filters in FILTERS:
            assert opensearch.count(query, filters=filters).total == \
                whoosh.count(query, filters=filters).total, (query, filters)


def _words(articles: list, pattern: str, *, title_only: bool = False) -> int:
    """Articles whose title (and lead and text) hold `pattern` as a whole word, any case."""
    found = re.compile(rf"(?<!\w){pattern}(?!\w)", re.IGNORECASE)
    return sum(1 for a in articles if found.search(
        a.title if title_only else "\n".join(p for p in (a.title, a.lead, a.text) if p)))


def test_exact_forms_count_what_a_regex_finds(engines, research_articles: list) -> None:
    _, opensearch = engines
    for form in ("Києва", "России", "Brexit"):
        expected = _words(research_articles, form)
        assert expected > 10
        assert opensearch.count(f"={form}", collapse=False).total == expected, form
    assert opensearch.count("title:=Brexit", collapse=False).total == \
        _words(research_articles, "Brexit", title_only=True)


def test_prefixes_count_what_a_regex_finds(engines, research_articles: list) -> None:
    _, opensearch = engines
    expected = _words(research_articles, r"брекзит\w*")
    assert expected > 5
    assert opensearch.count("Брекзит*", collapse=False).total == expected


def test_ranking_overlaps_whoosh(engines) -> None:
    whoosh, opensearch = engines
    overlaps = []
    for query in RANKED:
        expected = [hit.id for hit in whoosh.search(query, limit=10).hits if not hit.partial]
        found = [hit.id for hit in opensearch.search(query, limit=10).hits if not hit.partial]
        overlaps.append(len(set(expected) & set(found)) / len(expected) if expected else 1.0)
    mean = sum(overlaps) / len(overlaps)
    print(f"\nmean top-10 overlap over {len(RANKED)} ranked queries: {mean:.3f}")
    assert mean >= 0.9, dict(zip(RANKED, overlaps, strict=True))


def test_hits_snippets_groups_and_partial_matches_agree(engines) -> None:
    whoosh, opensearch = engines
    compared = 0
    for query in ["Brexit", '"Нью-Йорк Таймс"', "Trump election", "Брекзит*", "=Києва",
                  "Зеленський", "Мэй Brexit соглашение"]:
        expected = {hit.id: hit for hit in whoosh.search(query, limit=10).hits}
        found = opensearch.search(query, limit=10).hits
        assert sum(h.partial for h in found) == sum(h.partial for h in expected.values())
        for hit in found:
            if hit.id in expected:
                mine = expected[hit.id]
                assert (hit.snippet, hit.group, hit.duplicates, hit.partial) == (
                    mine.snippet, mine.group, mine.duplicates, mine.partial), (query, hit.id)
                compared += 1
    assert compared > 40


def test_date_sorted_pages_are_identical(engines) -> None:
    whoosh, opensearch = engines
    for sort in ("date", "-date"):
        for offset in (0, 40):
            expected = [h.id for h in whoosh.search("Росія OR Россия", sort=sort, limit=20,
                                                    offset=offset).hits]
            assert [h.id for h in opensearch.search("Росія OR Россия", sort=sort, limit=20,
                                                    offset=offset).hits] == expected


def test_facets_are_equal(engines) -> None:
    whoosh, opensearch = engines
    for query in ["Росія", '"Северный поток"', "газ", "*", "Brexit -Мэй"]:
        assert opensearch.search(query, limit=0, facets=True).facets == \
            whoosh.search(query, limit=0, facets=True).facets, query
    for by in ("lang", "source"):
        assert opensearch.count("*", by=by).counts == whoosh.count("*", by=by).counts


def test_timeline_buckets_are_equal(engines) -> None:
    whoosh, opensearch = engines
    year = Filters.of(since="2018-01-01", until="2018-12-31")
    for query in ["Росія OR Россия", "Brexit", "*"]:
        for by in ("day", "week", "month"):
            assert opensearch.timeline(query, by=by, split="lang").to_json() == \
                whoosh.timeline(query, by=by, split="lang").to_json(), (query, by)
        assert opensearch.timeline(query, by="week", normalize=True, split="source",
                                   filters=year).to_json() == whoosh.timeline(
            query, by="week", normalize=True, split="source", filters=year).to_json()


def test_exports_are_equal_row_for_row(engines) -> None:
    whoosh, opensearch = engines
    fields = ("id", "published", "lang", "source", "title", "group", "duplicate_of",
              "duplicates")
    for query, sort in [("*", "date"), ("Росія OR Россия", "-date"), ('"Северный поток"',
                                                                     "date")]:
        expected = whoosh.export(query, sort=sort, fields=fields)
        found = opensearch.export(query, sort=sort, fields=fields)
        assert found.provenance.total == expected.provenance.total
        assert list(found.rows()) == list(expected.rows()), query


def test_suggestions_similar_and_top_terms_agree(engines, research_articles: list) -> None:
    whoosh, opensearch = engines
    for typo in ["Зеленьский sanctoins", "Брекзід", "goverment", "газапровод"]:
        assert opensearch.suggest(typo) == whoosh.suggest(typo)
    for article in research_articles[::600]:
        assert opensearch.similar(article.id).terms == whoosh.similar(article.id).terms
    for query in ["Brexit", "газ"]:
        expected = whoosh.top_terms(query, limit=10)
        found = opensearch.top_terms(query, limit=10)
        assert found.matches == expected.matches
        for lang, terms in expected.terms.items():
            assert {t.word for t in found.terms[lang]} == {t.word for t in terms}, lang


def test_too_broad_wildcards_are_refused_alike(engines) -> None:
    from searchlib.errors import QueryError

    whoosh, opensearch = engines
    for query in ["пре*", "укр* OR рос*", "*ція"]:
        with pytest.raises(QueryError) as expected:
            whoosh.count(query)
        with pytest.raises(QueryError) as found:
            opensearch.count(query)
        assert str(found.value) == str(expected.value)
    assert opensearch.count("прези*").total == whoosh.count("прези*").total  # under the bound
