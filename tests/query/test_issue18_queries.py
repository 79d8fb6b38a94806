"""Issue 18, the query side: every operator means what it says, in every language at once.

Each count is checked on real corpus articles (`research_index`, ~2,400 uk/ru/en articles)
against a value computed without searchlib: a regular expression over the same titles and texts
(lowercased, ё as е), or a set identity such as ``A OR B`` = union of ``A`` and ``B``.
"""

from __future__ import annotations

import re

import pytest

from searchlib.api import Index
from searchlib.model import Article


def _ids(index: Index, query: str) -> set[str]:
    """Every match of `query` (no duplicate collapse, no cap), by export."""
    with index.export(query, fields=["id"], collapse=False) as exported:
        return {row["id"] for row in exported.rows()}


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е").replace("\u2019", "'")


def _regex_ids(articles: list[Article], pattern: str) -> set[str]:
    """Articles whose title or text (separately: a phrase never spans them) matches."""
    compiled = re.compile(pattern)
    return {a.id for a in articles
            if compiled.search(_fold(a.title)) or compiled.search(_fold(a.text))}


WORD_START = r"(?<![\w'])"
WORD_END = r"(?![\w'])"


# -- item 1: each word and phrase in every language ------------------------------------------

UNIONS = [
    "санкции OR санкції OR sanctions",
    "війна OR война",
    '"Северный поток" OR "Північний потік" OR "Nord Stream"',
]


@pytest.mark.parametrize("query", UNIONS)
def test_or_is_the_union_in_search_timeline_top_terms_and_export(research_index: Index,
                                                                 query: str) -> None:
    parts = [part.strip() for part in query.split(" OR ")]
    each = [_ids(research_index, part) for part in parts]
    assert all(each), parts
    union = set().union(*each)
    assert _ids(research_index, query) == union
    assert research_index.search(query, collapse=False).total == len(union)
    assert research_index.timeline(query, collapse=False).matches == len(union)
    top = research_index.top_terms(query, collapse=False, limit=3)
    assert sum(top.matches.values()) == len(union)


def test_each_language_side_of_a_mixed_query_is_kept(research_index: Index,
                                                      research_articles: list[Article]) -> None:
    langs = {a.id: a.lang for a in research_articles}
    war = _ids(research_index, "війна OR война")
    assert {langs[i] for i in war} >= {"uk", "ru"}
    # The Russian word alone, in Russian articles, as a regex over the texts counts it.
    russian = {i for i in _regex_ids(research_articles, WORD_START + r"войн(а|ы|е|у|ой|ою)"
                                     + WORD_END) if langs[i] == "ru"}
    assert len(russian) == 283
    assert russian <= war
    sanctions = _ids(research_index, "санкции OR санкції OR sanctions")
    assert {langs[i] for i in sanctions} == {"uk", "ru", "en"}


@pytest.mark.parametrize(("query", "pattern", "expected"), [
    ('"Северный поток"', WORD_START + r"северн(ый|ого|ому|ым|ом|ые|ых|ыми)\W+"
     r"поток(а|у|ом|е|и|ов|ам|ами|ах)?" + WORD_END, 161),
    ('"Північний потік"', WORD_START + r"північн(ий|ого|ому|им|ім|і|их|ими)\W+"
     r"(потік|поток(у|ом|и|ів|ам|ами|ах)|потоці)" + WORD_END, 32),
    ('"Nord Stream"', WORD_START + r"nord\W+stream" + WORD_END, 80),
])
def test_phrases_in_each_language_equal_a_regex(research_index: Index,
                                                research_articles: list[Article], query: str,
                                                pattern: str, expected: int) -> None:
    truth = _regex_ids(research_articles, pattern)
    assert len(truth) == expected
    assert _ids(research_index, query) == truth


def test_operators_are_not_english_words(research_index: Index) -> None:
    parsed = research_index.explain("війна OR война")
    assert "text_ru:война" in parsed and "text_uk:війна" in parsed
    assert ":or" not in parsed.lower()


# -- item 2: wildcards match words as written ------------------------------------------------

@pytest.mark.parametrize(("query", "pattern", "expected"), [
    ("Зелен*", WORD_START + "зелен", 118),
    ("Україн*", WORD_START + "україн", 359),
    ("defen?e", WORD_START + r"defen\we" + WORD_END, 21),
    ("Nord*", WORD_START + "nord", 80),
    ("санкц*", WORD_START + "санкц", 234),
])
def test_wildcards_match_surface_forms_in_every_language(
        research_index: Index, research_articles: list[Article], query: str, pattern: str,
        expected: int) -> None:
    truth = _regex_ids(research_articles, pattern)
    assert len(truth) == expected
    assert _ids(research_index, query) == truth


def test_a_prefix_finds_every_inflected_name(research_index: Index,
                                            research_articles: list[Article]) -> None:
    zelensky = _ids(research_index, "Зелен*")
    assert _regex_ids(research_articles, WORD_START + "зеленськ") <= zelensky
    assert "defend" not in research_index.explain("defen?e")


# -- item 3: Latin words inside Cyrillic articles --------------------------------------------

@pytest.mark.parametrize(("query", "pattern"), [
    ('"Nord Stream"', WORD_START + r"nord\W+stream" + WORD_END),
    ("nord stream", None),
    ("NATO", WORD_START + "nato" + WORD_END),
    ("nato", WORD_START + "nato" + WORD_END),
    ("iPhone", WORD_START + "iphone" + WORD_END),
    ("iPho*", WORD_START + "ipho"),
])
def test_latin_words_in_cyrillic_articles(research_index: Index,
                                          research_articles: list[Article], query: str,
                                          pattern: str | None) -> None:
    langs = {a.id: a.lang for a in research_articles}
    if pattern is None:  # two words, anywhere in the title or the text
        truth = {a.id for a in research_articles
                 if re.search(WORD_START + "nord" + WORD_END, _fold(f"{a.title} {a.text}"))
                 and re.search(WORD_START + "stream" + WORD_END, _fold(f"{a.title} {a.text}"))}
    else:
        truth = _regex_ids(research_articles, pattern)
    found = _ids(research_index, query)
    assert found == truth
    assert any(langs[i] in ("uk", "ru") for i in found)
