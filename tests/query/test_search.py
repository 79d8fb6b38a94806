"""Searching the samples index: morphology end to end, snippets, filters, result shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from searchlib.api import Index
from searchlib.errors import QueryError
from searchlib.model import Article, Lang


def _marked(hit) -> list[str]:
    return [hit.snippet.text[s:e] for s, e in hit.snippet.highlights]


def test_uk_query_canada_finds_article_that_only_says_kanady(sample_index: Index) -> None:
    results = sample_index.search("Канада", lang="uk")
    assert results.total >= 1
    top = results.hits[0]
    article = sample_index.get(top.id)
    assert "Канада" not in article.text and "Канада" not in article.title
    assert "Канади" in article.text or "Канаді" in article.text
    marked = _marked(top)
    assert any(word in ("Канади", "Канаді") for word in marked), marked


def test_ru_query_oborona_finds_obotony(sample_index: Index) -> None:
    results = sample_index.search("оборона", lang="ru")
    assert results.total >= 1
    article = sample_index.get(results.hits[0].id)
    assert "обороны" in article.text.lower() or "оборонной" in article.text.lower()
    assert " оборона " not in f" {article.text.lower()} "


def test_english_stemming_and_title_weight(sample_index: Index) -> None:
    results = sample_index.search("Canada defence", lang="en")
    assert results.total >= 1
    assert "Canada" in results.hits[0].title


def test_query_in_all_languages_finds_all_three_versions(sample_index: Index) -> None:
    langs = {hit.lang for hit in sample_index.search("Zelensky OR Зеленський OR Зеленский",
                                                     limit=50).hits}
    assert {Lang.UK, Lang.RU, Lang.EN} <= langs


def test_filters_restrict_results(sample_index: Index) -> None:
    everything = sample_index.search("Україна OR Ukraine OR Украина", limit=100)
    only_en = sample_index.search("Україна OR Ukraine OR Украина", limit=100, lang="en")
    assert 0 < only_en.total < everything.total
    assert all(hit.lang is Lang.EN for hit in only_en.hits)
    later = sample_index.search("Україна OR Ukraine OR Украина", limit=100,
                                since=datetime(2025, 9, 1, tzinfo=UTC))
    assert all(hit.published >= datetime(2025, 9, 1, tzinfo=UTC) for hit in later.hits)
    assert later.total < everything.total


def test_offset_pages_through_the_same_ranking(sample_index: Index) -> None:
    first = sample_index.search("Україна OR Ukraine OR Украина", limit=4)
    second = sample_index.search("Україна OR Ukraine OR Украина", limit=2, offset=2)
    assert [h.id for h in second.hits] == [h.id for h in first.hits[2:4]]


def test_json_shape_is_stable(sample_index: Index) -> None:
    record = sample_index.search("Канада").to_json()
    assert {"query", "total", "hits"} <= set(record)
    assert set(record["hits"][0]) >= {"id", "score", "title", "url", "published", "lang",
                                      "source", "snippet"}


def test_empty_query_is_a_query_error(sample_index: Index) -> None:
    with pytest.raises(QueryError, match="empty"):
        sample_index.search("   ")


def test_snippet_html_escapes_article_text(fresh_index: Index) -> None:
    fresh_index.add([Article(
        id="x", title="Script test", lang=Lang.EN,
        text="Before <script>alert('pwned')</script> the sanctions package & more text.",
    )])
    hit = fresh_index.search("sanctions").hits[0]
    html = hit.snippet.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>sanctions</mark>" in html


def test_long_article_is_highlighted_past_the_start(fresh_index: Index) -> None:
    filler = "Погода була сонячна і тиха. " * 4000
    fresh_index.add([Article(id="long", title="Довгий текст", lang=Lang.UK,
                             text=filler + "Наприкінці згадали Канаду.")])
    hit = fresh_index.search("Канада").hits[0]
    assert _marked(hit) == ["Канаду"]


def test_plain_query_with_few_full_matches_fills_the_page_with_partial_ones(
        sample_index: Index) -> None:
    results = sample_index.search("Канада троллейбус", limit=5)
    assert results.total == 0
    assert results.hits and all(hit.partial for hit in results.hits)
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)
    paged = sample_index.search("Канада троллейбус", limit=2, offset=1)
    assert [h.id for h in paged.hits] == [h.id for h in results.hits[1:3]]

    mixed = sample_index.search("Канада оборона", limit=10)
    flags = [hit.partial for hit in mixed.hits]
    assert flags[: mixed.total] == [False] * mixed.total and any(flags)
    assert flags == sorted(flags)
    # Issue 20: a phrase, AND or brackets get the fallback too (the phrase has no full match).
    for query in ('"Канада оборона"', "Канада AND троллейбус", "(Канада) +троллейбус"):
        relaxed = sample_index.search(query, limit=10)
        assert relaxed.total == 0 and relaxed.hits, query
        assert all(hit.partial for hit in relaxed.hits)


def test_relax_off_keeps_strict_and(sample_index: Index) -> None:
    assert sample_index.search("Канада троллейбус", relax=False).hits == ()
    assert sample_index.search("Канада AND троллейбус", relax=False).hits == ()
    canada = {hit.id for hit in sample_index.search("Канада", limit=100, collapse=False).hits}
    without = sample_index.search("троллейбус Харьков -Канада", limit=100, collapse=False)
    assert without.hits and not {hit.id for hit in without.hits} & canada


def test_exact_forms_and_names_across_scripts_are_highlighted(sample_index: Index) -> None:
    exact = sample_index.search("=Канади").hits[0]
    assert _marked(exact) and set(_marked(exact)) == {"Канади"}
    names = {hit.lang: _marked(hit) for hit in sample_index.search("Zelenskyy").hits}
    assert any(word.startswith("Зеленськ") for word in names[Lang.UK])
    assert any(word.startswith("Зеленск") for word in names[Lang.RU])


def test_snippet_of_a_two_word_query_shows_both_words(sample_index: Index) -> None:
    hit = sample_index.search("Канада оборона", lang="ru").hits[0]
    marked = [word.lower() for word in _marked(hit)]
    assert any(word.startswith("канад") for word in marked)
    assert any(word.startswith("оборон") for word in marked)
