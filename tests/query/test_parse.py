"""The query language and hostile queries: each construct, each refusal, and a property test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from searchlib.api import Index
from searchlib.errors import QueryError
from searchlib.model import Lang
from searchlib.query.parse import (
    MAX_DEPTH,
    MAX_QUERY_CHARS,
    check_expansions,
    parse_query,
    query_words,
)
from searchlib.store.schema import build_schema

SCHEMA = build_schema()


def _ids(index: Index, query: str, **kwargs) -> set[str]:
    return {hit.id for hit in index.search(query, limit=100, collapse=False, relax=False,
                                           **kwargs).hits}


@pytest.mark.parametrize(("query", "position", "reason"), [
    ('title:"Канада оборона', 6, "quote is never closed"),
    ('Канада "план дій" title:"оборона', 24, "quote is never closed"),
    ("(Канада OR Canada", 0, "'(' is never closed"),
    ("Канада OR Canada)", 16, "')' closes nothing"),
    ("published:[2025-08-01 TO", 10, "'[' is never closed"),
    ("Канада\x00оборона", 6, "control character U+0000"),
    ("a\x1b[31m", 1, "control character U+001B"),
    ("autor:Гребенюк", 0, "unknown field 'autor'"),
])
def test_invalid_queries_point_at_the_problem(query: str, position: int, reason: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query, SCHEMA)
    assert caught.value.position == position
    assert reason in str(caught.value)
    caret_line = str(caught.value).splitlines()[-1]
    assert caret_line.index("^") - 2 == position


def test_enormous_and_deeply_nested_queries_are_refused() -> None:
    with pytest.raises(QueryError, match=f"more than {MAX_QUERY_CHARS}"):
        parse_query("Канада " * 1000, SCHEMA)
    with pytest.raises(QueryError, match="nested"):
        parse_query("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), SCHEMA)
    with pytest.raises(QueryError, match="terms"):
        cyrillic = [a + b + c for a in "бвгд" for b in "аеоу" for c in "клмнпрстфхцчшщжз"]
        latin = [a + b + c for a in "bcdf" for b in "aeou" for c in "klmnprstvxz"]
        words = [w for pair in zip(cyrillic, latin, strict=False) for w in pair][:300]
        parse_query(" ".join(words), SCHEMA)  # three languages x two fields per word


def test_a_lone_star_means_every_article_without_walking_the_lexicon(
        sample_index: Index) -> None:
    parsed = parse_query("*", SCHEMA)
    assert isinstance(parsed, wq.Every) and parsed.fieldname is None
    assert str(parsed) == "*"
    everything = sample_index.search("*", collapse=False)
    assert everything.total == len(sample_index)
    narrowed = parse_query("Canada AND *", SCHEMA, langs=[Lang.EN])
    assert all(leaf.fieldname is None for leaf in narrowed.leaves() if isinstance(leaf, wq.Every))


def test_wildcard_expansion_is_bounded(sample_index: Index) -> None:
    parsed = parse_query("п*", SCHEMA)
    with sample_index.searcher() as searcher:
        check_expansions(parsed, searcher.reader(), "п*", limit=10_000)
        with pytest.raises(QueryError, match="matches more than 20 different words"):
            check_expansions(parsed, searcher.reader(), "п*", limit=20)


def test_fields_phrases_proximity_fuzzy_and_dates(sample_index: Index) -> None:
    canada = _ids(sample_index, "Канада OR Canada")
    assert len(canada) >= 3
    assert _ids(sample_index, "title:Канада") <= canada
    assert _ids(sample_index, "lang:en AND (Canada OR Канада)") == _ids(
        sample_index, "Canada OR Канада", lang="en")
    assert _ids(sample_index, 'author:"Оксана Гребенюк"') & canada
    assert _ids(sample_index, 'source:"Kyiv Ledger"') == canada
    phrase = parse_query('"security cooperation"~3', SCHEMA, langs=[Lang.EN])
    assert {q.slop for q in phrase.children()} == {3}
    assert _ids(sample_index, '"action security"~3') == _ids(sample_index, "Canada", lang="en")
    assert not _ids(sample_index, '"action security"')
    fuzzy = _ids(sample_index, "Carnay~")
    assert fuzzy and fuzzy == _ids(sample_index, "Carney", lang="en")
    august = _ids(sample_index, "published:[2025-08-01 TO 2025-08-31]")
    assert august == {hit.id for hit in sample_index.search(
        "*", limit=100, collapse=False, since=datetime(2025, 8, 1, tzinfo=UTC),
        until=datetime(2025, 8, 31, 23, 59, tzinfo=UTC)).hits}
    assert canada & august and august - canada


def test_not_and_prefix(sample_index: Index) -> None:
    both = _ids(sample_index, "Харьков")
    without = _ids(sample_index, "Харьков NOT театр")
    assert without and without < both
    assert _ids(sample_index, "троллейб*") >= _ids(sample_index, "троллейбус")


def test_bad_date_is_explained() -> None:
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        parse_query("published:[yesterday TO bogus]", SCHEMA)


def test_query_words_skip_syntax() -> None:
    words = [word for _, word in query_words('Канада AND "план дій" title:оборона Зеленьский~ '
                                             "foo* NOT Ukrane")]
    assert words == ["Канада", "Ukrane"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=60)
       | st.lists(st.sampled_from(['"', "(", ")", "[", "]", "{", "}", "*", "?", "~", "^", ":",
                                   "AND", "OR", "NOT", "TO", "title:", "published:", "a*",
                                   "Канада", "слово", " ", "2025-08-01", "-", "+", "\\", "'",
                                   "\x00", "\ud800", "lang:", "=", "~2", "/"]),
                  max_size=20).map("".join))
def test_parser_returns_a_query_or_raises_query_error(text: str) -> None:
    try:
        parsed = parse_query(text, SCHEMA)
    except QueryError as err:
        assert str(err)
        str(err).encode("utf-8")  # printable: no lone surrogates in messages
    else:
        assert isinstance(parsed, wq.Query)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(['"', "(", ")", "*", "?", "~", "a*", "к*", "Канада", "OR",
                                 "NOT", "title:", " ", "published:[2025 TO]", "Carney~2"]),
                max_size=12).map("".join))
def test_search_never_raises_anything_but_query_error(sample_index: Index, text: str) -> None:
    try:
        results = sample_index.search(text, limit=3)
    except QueryError:
        return
    assert results.total >= sum(1 for hit in results.hits if not hit.partial)
    assert [hit.partial for hit in results.hits] == sorted(hit.partial for hit in results.hits)


@pytest.mark.parametrize(("query", "days"), [
    ("published:2025-08-24", 1),
    ("published:2025-08", 31),
    ("published:[2025-08-01 TO 2025-08-31]", 31),
    ("published:[2025-08 TO 2025-09-15]", 46),
])
def test_date_forms_cover_exactly_their_days(query: str, days: int) -> None:
    parsed = parse_query(query, SCHEMA)
    assert isinstance(parsed, wq.NumericRange)
    span = (parsed.end - parsed.start + 1) / 86_400_000_000  # whoosh longs are microseconds
    assert round(span) == days


@pytest.mark.parametrize("query", ["published:nonsense", "published:>2025-08-01",
                                   "published:[2025-13-45 TO 2025-14-01]"])
def test_unreadable_dates_are_query_errors(query: str) -> None:
    with pytest.raises(QueryError, match="published:YYYY-MM-DD"):
        parse_query(query, SCHEMA)
