"""The OpenSearch query builder: our parsed queries as DSL (no cluster needed).

What OpenSearch then finds is checked against the Whoosh engine in `test_opensearch_parity.py`.
"""

from __future__ import annotations

import pytest

pytest.importorskip("opensearchpy", reason="the OpenSearch engine needs the opensearch extra")

from searchlib.model import Lang  # noqa: E402
from searchlib.query.opensearch.compile import (  # noqa: E402
    Leaf,
    compile_query,
    layer_boosts,
    layer_fields,
    stacked_terms,
)
from searchlib.query.parse import parse_query  # noqa: E402
from searchlib.store.opensearch.mapping import TITLE_QUERY_BOOST  # noqa: E402
from searchlib.store.schema import build_schema  # noqa: E402

SCHEMA = build_schema()


def _parse(text: str, langs: list[Lang] | None = None):
    return parse_query(text, SCHEMA, langs=langs)


def _find(node, kind: str) -> list[dict]:
    """Every `kind` query inside a DSL tree."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == kind:
                found.append(value)
            found += _find(value, kind)
    elif isinstance(node, list):
        for item in node:
            found += _find(item, kind)
    return found


def test_a_word_is_searched_in_each_language_and_layer_and_names_its_leaves() -> None:
    compiled = compile_query(_parse("Canada", [Lang.EN]))
    assert [(leaf.kind, leaf.field, leaf.value) for leaf in compiled.leaves] == [
        ("term", "title_en", "canada"), ("term", "text_en", "canada"),
        ("term", "names", "kanad")]
    terms = _find(compiled.query, "term")
    # The first layer scores; stacked layers match without a score unless weighed.
    assert {"title_en": "canada"} in terms
    assert {"text_en__s1": "canada"} in terms
    assert len([t for t in terms if "text_en" in next(iter(t))]) == len(layer_fields("text_en"))
    named = _find(compiled.query, "_name")
    assert named == ["0", "1", "2"]


def test_titles_carry_the_title_weight_and_names_their_low_boost() -> None:
    compiled = compile_query(_parse("Canada", [Lang.EN]))
    boosts = [value["boost"] for value in _find(compiled.query, "dis_max") if "boost" in value]
    assert pytest.approx(TITLE_QUERY_BOOST) in boosts
    assert pytest.approx(0.3) in boosts


def test_phrases_are_ordered_spans_over_the_layers_scored_by_their_words() -> None:
    query = compile_query(_parse('"Nord Stream"', [Lang.EN])).query
    near = _find(query, "span_near")
    assert near and all(n["in_order"] and n["slop"] == 0 for n in near)
    masked = _find(query, "span_field_masking")
    assert {"query": {"span_term": {"text_en__s1": "nord"}}, "field": "text_en"} in masked
    assert _find(query, "term")  # the words score, as Whoosh scores a phrase


def test_proximity_allows_each_next_word_within_the_distance() -> None:
    # Whoosh: each next word at most N positions after the previous ones (`SpanNear2`);
    # Lucene's ordered span_near counts the gap between spans: N - 1.
    three = compile_query(_parse('"one two three"~3', [Lang.EN])).query
    outer = _find(three, "span_near")[0]
    assert outer["slop"] == 2 and "span_near" in outer["clauses"][0]


def test_exact_forms_wildcards_and_fuzzy_terms_use_the_surface_fields() -> None:
    compiled = compile_query(_parse("=Києва Брекзит* sanctoins~"))
    kinds = {(leaf.kind, leaf.field) for leaf in compiled.leaves}
    assert ("term", "text_exact") in kinds and ("prefix", "title_exact") in kinds
    fuzzy = next(f["text_exact"] for f in _find(compiled.query, "fuzzy") if "text_exact" in f)
    assert fuzzy["fuzziness"] == 1 and fuzzy["prefix_length"] == 1
    assert fuzzy["transpositions"] is False  # Whoosh's automaton counts a swap as 2 edits


def test_dates_filters_and_negation() -> None:
    query = compile_query(_parse("Brexit -May published:[2019-01-01 TO 2019-03-31]")).query
    assert _find(query, "range") == [{"published": {"gte": "2019-01-01T00:00:00.000Z",
                                                    "lte": "2019-03-31T23:59:59.999Z"}}]
    assert _find(query, "must_not")
    unknown = compile_query(_parse("lang:unknown")).query  # no language value: none of them
    excluded = _find(_find(unknown, "must_not"), "term")
    assert excluded == [{"lang": "uk"}, {"lang": "ru"}, {"lang": "en"}]


def test_matched_terms_of_expanding_leaves_are_the_articles_own_words() -> None:
    assert Leaf("prefix", "text_exact", "брекзит").matched_terms(
        ["брекзиту", "брексит", "брекзит"]) == ["брекзит", "брекзиту"]
    assert Leaf("wildcard", "text_exact", "defen?e").matched_terms(["defence", "defense",
                                                                    "defences"]) == [
        "defence", "defense"]
    assert Leaf("fuzzy", "text_exact", "sanctoins", 1, 1).matched_terms(
        ["sanctions", "sanctins", "anctions"]) == ["sanctins"]


def test_layer_boosts_score_a_stacked_word_with_its_main_field_idf() -> None:
    pairs = stacked_terms(_parse('"нью-йорк"', [Lang.UK]))
    assert ("text_uk", "нью-йорк") in pairs
    frequencies = {"text_uk": 1000, "text_uk\x00поток": 100,
                   "text_uk__s1": 50, "text_uk__s1\x00поток": 10}
    boosts = layer_boosts([("text_uk", "поток")], frequencies)
    assert list(boosts) == [("text_uk__s1", "поток")]  # layers holding nothing are left out
    assert 0 < boosts["text_uk__s1", "поток"] < 2


def test_layers_no_article_holds_a_term_in_are_left_out() -> None:
    parsed = _parse('Canada "Nord Stream"', [Lang.EN])
    pairs = stacked_terms(parsed)
    boosts = {("text_en__s1", "stream"): 0.5}
    query = compile_query(parsed, boosts=boosts, counted=pairs).query
    layered = {next(iter(t)) for t in _find(query, "term")} | {
        next(iter(m["query"]["span_term"])) for m in _find(query, "span_field_masking")}
    assert layered == {"title_en", "text_en", "names", "text_en__s1"}
    # Every term query keeps its name and boost inside a dis_max (a valid term query).
    assert all("dis_max" in clause or "constant_score" in clause
               for clause in _find(query, "should")[0])
