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


# -- item 3: unbalanced quotes and brackets in plain text are punctuation, syntax errors stay errors

@pytest.mark.parametrize("query", [
    '"Северный поток» Меркель', '«Северный поток" Меркель', 'Северный поток Меркель?"',
    'Северный "поток Меркель', 'Северный "поток" Меркель"',
    "Северный (поток Меркель", "Северный поток) Меркель", "[Северный поток Меркель",
    "(Северный) поток] Меркель",
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
    ("Северный (поток OR Меркель", "never closed"),
    ("published:[2019-01-01 Меркель", "never closed"),
    ("(Северный OR поток", "never closed"),
    ("Северный AND поток)", "closes nothing"),
])
def test_explicit_syntax_errors_stay_errors(research_index: Index, query: str,
                                            message: str) -> None:
    with pytest.raises(QueryError) as caught:
        research_index.search(query)
    assert message in str(caught.value)


# -- item 4: question words without a topic are dropped from the query's bare words ----------

@pytest.mark.parametrize(("question", "words"), [
    ("How much did Gordon Brown spend?", "Gordon Brown spend"),
    ("Does Blair want many reforms?", "Blair want reforms"),
    ("Кого назначил Путин?", "назначил Путин"),
    ("Кому и каков Brexit?", "Brexit"),
    ("Кому сказав Джонсон?", "сказав Джонсон"),
])
def test_question_words_are_dropped(research_index: Index, question: str, words: str) -> None:
    expected = set.intersection(*(_ids(research_index, word) for word in words.split()))
    assert expected
    assert _ids(research_index, question) == expected
    results = research_index.search(question, limit=10, collapse=False)
    assert results.total == len(expected)
    assert "did" not in results.parsed and "кого" not in results.parsed.lower()


def test_question_words_alone_or_quoted_are_searched(research_index: Index,
                                                     research_articles: list[Article]) -> None:
    # Only question words: searched as words, not dropped into an empty query.
    did, much = _ids(research_index, "did"), _ids(research_index, "much")
    assert did and much
    assert _ids(research_index, "did much") == did & much != set()
    assert _ids(research_index, "How much?") == much
    # With a restriction only, the words are still the query.
    assert _ids(research_index, "lang:en did") == did & _ids(research_index, "lang:en")
    # Signs keep them: +did requires the word, -did excludes it.
    johnson = _ids(research_index, "Johnson")
    assert _ids(research_index, "+did Johnson") == did & johnson != set()
    assert _ids(research_index, "Johnson -did") == johnson - did != johnson
    assert _ids(research_index, "Did Johnson?") == johnson
    # Inside quotes they are part of the phrase.
    phrase = re.compile(r"(?<![\w'])much\W+more(?![\w'])")
    truth = {a.id for a in research_articles
             if phrase.search(_fold(a.title)) or phrase.search(_fold(a.text))}
    assert len(truth) >= 3
    assert _ids(research_index, '"much more"') == truth
    assert _ids(research_index, '"much more" Britain') < truth


# -- item 5: a hyphenated word is also searched as its parts, below the whole word ------------

DOWNING = re.compile(r"(?<![\w'-])даунинг-стрит(?![\w'-])")


def test_hyphenated_word_parts_rank_after_the_whole_word(
        research_index: Index, research_articles: list[Article]) -> None:
    whole = {a.id for a in research_articles
             if DOWNING.search(_fold(a.title)) or DOWNING.search(_fold(a.text))}
    assert len(whole) == 23
    parts = re.compile(r"(?<![\w'-])(даунинг|стрит)(?![\w'-])")
    parts_only = {a.id for a in research_articles if a.id not in whole
                  and (parts.search(_fold(a.title)) or parts.search(_fold(a.text)))}
    assert parts_only
    results = research_index.search("Даунинг-стрит unicornxyz", limit=40, collapse=False)
    assert results.total == 0
    ids = [hit.id for hit in results.hits]
    # Every article with the whole word first, then ones with only a part of it.
    assert set(ids[:len(whole)]) == whole
    assert set(ids[len(whole):]) & parts_only
    # The word alone: its matches are unchanged (the parts only fill the page after them).
    alone = research_index.search("Даунинг-стрит", limit=40, collapse=False)
    full = [hit for hit in alone.hits if not hit.partial]
    assert alone.total == len(full) == len(_ids(research_index, "Даунинг-стрит"))
    assert whole <= {hit.id for hit in full}
    assert {hit.id for hit in alone.hits if hit.partial} & parts_only


# -- item 6: among articles with the same words, closer words rank first ----------------------

def _moved(article: Article) -> tuple[Article, Article, str] | None:
    """(the article, the same sentences with the last moved second, a query of two words that
    stand far apart in the first and side by side in the second), or None if none fits."""
    sentences = re.split(r"(?<=[.!?])\s+", article.text.strip())
    if len(sentences) < 8:
        return None
    words = re.findall(r"[A-Za-z]{6,}", article.title + " " + article.text)
    once = {w for w in words if words.count(w) == 1}
    first = [w for w in re.findall(r"[A-Za-z]{6,}", sentences[0]) if w in once]
    last = [w for w in re.findall(r"[A-Za-z]{6,}", sentences[-1]) if w in once]
    if not first or not last:
        return None
    near = " ".join([sentences[0], sentences[-1], *sentences[1:-1]])
    return (article, Article(id=article.id + "-near", title=article.title, text=near,
                             lang=article.lang), f"{first[-1]} {last[0]}")


def test_closer_words_rank_first_when_otherwise_equal(
        tmp_path, research_articles: list[Article], monkeypatch: pytest.MonkeyPatch) -> None:
    from searchlib.query import proximity

    english = [a for a in research_articles if str(a.lang) == "en"]
    far, near, query = next(filter(None, map(_moved, english)))
    index = Index.create(tmp_path / "index")
    # The far article first: on equal scores the earlier article would come first.
    index.add([far, near, *english[:40]])
    hits = index.search(query, limit=10, collapse=False).hits
    assert [hit.id for hit in hits[:2]] == [near.id, far.id]
    assert hits[0].score > hits[1].score
    monkeypatch.setattr(proximity, "WEIGHT", 0.0)
    plain = index.search(query, limit=10, collapse=False).hits
    assert [hit.id for hit in plain[:2]] == [far.id, near.id]
    assert plain[0].score == plain[1].score  # same words, same length: only proximity differs


@pytest.mark.parametrize("query", [
    "Brexit deal Johnson", "Северный поток Меркель", "ціни на нафту", "Trump election fraud",
    "How many votes did Biden win?",
])
def test_proximity_reorders_but_never_changes_matches(
        research_index: Index, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from searchlib.query import proximity

    shown = research_index.search(query, limit=proximity.CANDIDATES, collapse=False)
    paged = research_index.search(query, limit=10, offset=10, collapse=False)
    assert [hit.id for hit in paged.hits] == [hit.id for hit in shown.hits[10:20]]
    for partial in (False, True):
        scores = [hit.score for hit in shown.hits if hit.partial is partial]
        assert scores == sorted(scores, reverse=True)
    monkeypatch.setattr(proximity, "WEIGHT", 0.0)
    plain = research_index.search(query, limit=proximity.CANDIDATES, collapse=False)
    assert plain.total == shown.total
    assert {h.id for h in plain.hits if not h.partial} == {h.id for h in shown.hits
                                                           if not h.partial}
    assert [h.partial for h in plain.hits] == [h.partial for h in shown.hits]
