"""Issue 18, what the index holds: Latin-script words inside Cyrillic articles (item 3) and
plural-only nouns (item 8), checked on the real articles of `research_index` against counts
taken by regular expressions over the same texts."""

from __future__ import annotations

import re

import pytest
from whoosh import query as wq

from searchlib.analysis import build_analyzer, build_exact_analyzer
from searchlib.analysis.morph import canonical_lemma, lemmatise
from searchlib.model import Lang

CYRILLIC_LANGS = (Lang.RU, Lang.UK)


def _ids(articles: list, lang: Lang, pattern: str) -> set[str]:
    regex = re.compile(pattern, re.IGNORECASE)
    return {a.id for a in articles if a.lang == lang and regex.search(f"{a.title}\n{a.text}")}


def _matching(index, query: wq.Query) -> set[str]:
    with index.searcher() as searcher:
        return {searcher.stored_fields(docnum)["id"] for docnum in query.docs(searcher)}


@pytest.mark.parametrize("lang", CYRILLIC_LANGS)
def test_a_latin_word_gives_every_chain_the_english_terms(lang: Lang) -> None:
    text = "The Nord Stream 2 AG, iPhones and NATO's plans"
    english = [(t.text, t.pos) for t in build_analyzer(Lang.EN)(text, positions=True)]
    assert english == [("nord", 0), ("stream", 1), ("2", 2), ("ag", 3), ("iphon", 4),
                       ("nato", 5), ("plan", 6)]
    assert [(t.text, t.pos) for t in build_analyzer(lang)(text, positions=True)] == english


# (query as typed, regex of every form of it in an article's title and text)
LATIN_WORDS = [
    ('"Nord Stream"', r"\bnord\W+streams?\b"),
    ("NATO", r"\bnato\b"),
    ("nato", r"\bnato\b"),
    ("Brexit", r"\bbrexit\b"),
    ("iPhone", r"\biphones?\b"),
    ("Trump", r"\btrump(?:'s)?\b"),
]


@pytest.mark.parametrize(("typed", "pattern"), LATIN_WORDS)
@pytest.mark.parametrize("lang", CYRILLIC_LANGS)
def test_latin_words_in_cyrillic_articles_hold_the_english_terms(
        research_index, research_articles, lang: Lang, typed: str, pattern: str) -> None:
    # The terms the English chain makes of the query are what the ru/uk fields hold: a query
    # word analysed in any language finds the Cyrillic articles that quote it, in every form.
    terms = [t.text for t in build_analyzer(Lang.EN)(typed.strip('"'), mode="query")]
    fields = (f"title_{lang}", f"text_{lang}")
    query = wq.Or([wq.Phrase(f, terms) if len(terms) > 1 else wq.Term(f, terms[0])
                   for f in fields])
    expected = _ids(research_articles, lang, pattern)
    assert _matching(research_index, query) == expected
    if typed == '"Nord Stream"':
        assert len(expected) == 40  # slavicner nord_stream, ng.ru and RT quote it in Latin


@pytest.mark.parametrize("lang", CYRILLIC_LANGS)
def test_latin_surface_forms_in_cyrillic_articles_serve_prefixes(
        research_index, research_articles, lang: Lang) -> None:
    # Wildcards match surface forms (the exact fields): `Nord*` in a Cyrillic article.
    prefix = next(t.text for t in build_exact_analyzer()("Nord"))
    assert prefix == "nord"
    query = wq.And([wq.Term("lang", str(lang)), wq.Or(
        [wq.Prefix("title_exact", prefix), wq.Prefix("text_exact", prefix)])])
    expected = _ids(research_articles, lang, r"(?<![^\W_])nord")
    assert _matching(research_index, query) == expected
    assert len(expected) >= 40


def test_plural_only_nouns_take_the_lemma_of_their_singular() -> None:
    # Decided from pymorphy3's paradigms: every form of the plural-only noun is a plural form
    # of the regular one. `гроші` has a form of its own (`грошей`) and stays itself.
    assert {lemmatise(w, Lang.UK) for w in ("вибори", "виборів", "виборах", "вибір")} == {"вибір"}
    assert {lemmatise(w, Lang.UK) for w in ("новини", "новин", "новина")} == {"новина"}
    assert {lemmatise(w, Lang.RU) for w in ("выборы", "выборов", "выбор")} == {"выбор"}
    assert lemmatise("грошей", Lang.UK) == lemmatise("гроші", Lang.UK) == "гроші"
    assert canonical_lemma("двері", Lang.UK) == "двері"


# Every form of the word, written out from the Ukrainian paradigm (singular and plural).
UK_FORMS = {
    ("вибори", "виборів", "виборах", "вибір"): (
        "вибір вибору виборові вибором виборі виборе вибори виборів виборам виборами виборах",
        121),
    ("новини", "новин", "новина"): (
        "новина новини новині новину новиною новино новин новинам новинами новинах", 27),
}


@pytest.mark.parametrize("typed", list(UK_FORMS))
def test_every_form_of_a_plural_only_noun_finds_the_same_articles(
        research_index, research_articles, typed: tuple[str, ...]) -> None:
    forms, count = UK_FORMS[typed]
    expected = _ids(research_articles, Lang.UK, rf"(?<!\w)(?:{'|'.join(forms.split())})(?!\w)")
    assert len(expected) == count
    for word in typed:
        results = research_index.search(word, lang="uk", collapse=False, relax=False,
                                        limit=500)
        assert results.total == len(expected), word
        assert {hit.id for hit in results.hits} == expected, word
