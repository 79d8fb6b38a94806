"""Issue 20: questions and pasted text are searched, not refused or cut short.

On real corpus articles (`research_index`, ~2,400 uk/ru/en articles). Expected values are set
identities over single-word answers (the articles with some of a query's words = the union of
each word's articles) or a regular expression over the same texts.
"""

from __future__ import annotations

import re

import pytest

from searchlib.api import Index
from searchlib.errors import QueryError
from searchlib.model import Article


def _ids(index: Index, query: str) -> set[str]:
    """Every match of `query` (no duplicate collapse, no cap), by export."""
    with index.export(query, fields=["id"], collapse=False) as exported:
        return {row["id"] for row in exported.rows()}


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е").replace("\u2019", "'")


NORD_STREAM_RU = (r"(?<![\w'])северн(ый|ого|ому|ым|ом|ые|ых|ыми)\W+"
                  r"поток(а|у|ом|е|и|ов|ам|ами|ах)?(?![\w'])")


# -- item 1: the partial-match fallback for every query of two or more words -----------------

FALLBACK = [
    # (query, its words: an article with any of them may fill the page)
    ('"Северный поток" Меркель Байден', ("Северный", "поток", "Меркель", "Байден")),
    ("(Brexit) +Johnson unicorn", ("Brexit", "Johnson", "unicorn")),
    ("Brexit: deal - unicorn 4:51", ("Brexit", "deal", "unicorn", "4", "51")),
    ('"Nord Stream" Merkel title:pipeline', ("Nord", "Stream", "Merkel", "pipeline")),
]


@pytest.mark.parametrize(("query", "words"), FALLBACK)
def test_every_query_of_several_words_is_relaxed(research_index: Index, query: str,
                                                 words: tuple[str, ...]) -> None:
    full = _ids(research_index, query)
    some = set().union(*(_ids(research_index, word) for word in words))
    assert full <= some
    results = research_index.search(query, limit=30, collapse=False)
    assert results.total == len(full) < 30
    # Full matches first, then as many partial hits as there are articles with some words.
    assert len(results.hits) == min(30, len(some))
    assert [hit.partial for hit in results.hits] == \
        [False] * len(full) + [True] * (len(results.hits) - len(full))
    partial = [hit for hit in results.hits if hit.partial]
    assert partial and {hit.id for hit in partial} <= some - full
    scores = [hit.score for hit in partial]
    assert scores == sorted(scores, reverse=True)


def test_relaxing_keeps_restrictions_and_exclusions(research_index: Index) -> None:
    results = research_index.search('"Nord Stream" Merkel unicorn lang:en', limit=30,
                                    collapse=False)
    assert results.hits and all(hit.partial for hit in results.hits)
    english = _ids(research_index, "lang:en")
    some = set().union(*(_ids(research_index, word) for word in ("Nord", "Stream", "Merkel")))
    assert len(results.hits) == min(30, len(some & english))
    assert {hit.id for hit in results.hits} <= some & english
    without = research_index.search("Nord Stream unicorn -Merkel", limit=30, collapse=False)
    merkel = _ids(research_index, "Merkel")
    assert without.hits and not {hit.id for hit in without.hits} & merkel


def test_one_word_and_strict_are_not_relaxed(research_index: Index) -> None:
    assert research_index.search("unicornxyz", collapse=False).hits == ()
    assert research_index.search('"Северный поток" unicorn', relax=False).hits == ()


# -- item 2: ? ! . , ending a word are punctuation, whatever comes before them ----------------

@pytest.mark.parametrize("query", [
    "«Северный поток»?", "(Северный поток)?", "Северный поток®?", "'Северный поток'?",
    "Северный! поток.", "«Северный поток»!", "(Северный поток)!,", "Северный поток'?!",
    "Северный поток?.", "Северный? поток??",
])
def test_punctuation_ending_a_word_is_no_syntax(research_index: Index, query: str) -> None:
    words = _ids(research_index, "Северный") & _ids(research_index, "поток")
    assert len(words) == 177
    assert _ids(research_index, query) == words


def test_punctuation_after_a_phrase(research_index: Index,
                                    research_articles: list[Article]) -> None:
    compiled = re.compile(NORD_STREAM_RU)
    truth = {a.id for a in research_articles
             if compiled.search(_fold(a.title)) or compiled.search(_fold(a.text))}
    assert len(truth) == 161
    for query in ('"Северный поток"?', '"Северный поток"!', '"Северный поток".',
                  '"Северный поток",', '"Северный поток"?!'):
        assert _ids(research_index, query) == truth, query


# -- item 3: unbalanced quotes in plain text are punctuation, syntax errors stay errors -------

@pytest.mark.parametrize("query", [
    '"Северный поток» Меркель', '«Северный поток" Меркель', 'Северный поток Меркель?"',
    'Северный "поток Меркель', 'Северный "поток" Меркель"',
])
def test_unbalanced_quotes_in_plain_text_search_the_words(
        research_index: Index, query: str) -> None:
    words = set.intersection(*(_ids(research_index, word)
                               for word in ("Северный", "поток", "Меркель")))
    assert len(words) == 16
    assert _ids(research_index, query) == words
    assert research_index.search(query, collapse=False).total == len(words)


@pytest.mark.parametrize(("query", "message"), [
    ("title:(", "never closed"),
    ('title:"Северный поток', "quote is never closed"),
    ('Меркель text: "Северный поток', "quote is never closed"),
    ("Северный (поток Меркель", "never closed"),
    ("(Северный OR поток", "never closed"),
    ("Северный AND поток)", "closes nothing"),
])
def test_explicit_syntax_errors_stay_errors(research_index: Index, query: str,
                                            message: str) -> None:
    with pytest.raises(QueryError) as caught:
        research_index.search(query)
    assert message in str(caught.value)
