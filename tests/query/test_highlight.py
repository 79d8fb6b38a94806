"""Snippets: the chunk cache marks exactly what the whole analyzer chain marks, and the passages
are those of Whoosh's `ContextFragmenter`."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, RegexTokenizer, Token
from whoosh.highlight import ContextFragmenter

from searchlib.analysis.morph import lemma_sources, lemmatise
from searchlib.ingest import find_inputs, read_articles
from searchlib.model import Lang
from searchlib.query.highlight import (
    CONTEXT_CHARS,
    FRAGMENT_CHARS,
    _Chunks,
    _fragments,
    _key_initials,
    _matched_spans,
    _matched_spans_by_paragraph,
    _may_start,
    _plain,
    make_snippet,
)
from searchlib.store.schema import build_schema

ANALYZED_FIELDS = ("text_uk", "text_ru", "text_en", "text_exact", "names")


def _bodies(samples_dir: Path, corpus: list) -> list[str]:
    articles = list(read_articles(find_inputs([samples_dir]))) + corpus[::5]
    bodies = ["\n\n".join(p for p in (a.lead, a.text) if p) for a in articles]
    # Odd layouts: no paragraphs, stray whitespace, hyphens and apostrophes at chunk edges.
    bodies.append("Прем’єр-міністр  у\tКиєві -- 'Зеленський' сказав:\u00a0«Канада»\r\nкінець")
    return [b for b in bodies if b]


@pytest.fixture(scope="module")
def bodies(samples_dir: Path, request: pytest.FixtureRequest) -> list[str]:
    try:  # real news from the shared corpus when it is there
        corpus = list(request.getfixturevalue("corpus_index").articles())
    except pytest.skip.Exception:
        corpus = []
    return _bodies(samples_dir, corpus)


@pytest.mark.parametrize("field", ANALYZED_FIELDS)
def test_chunk_cache_marks_what_the_whole_chain_marks(bodies: list[str], field: str) -> None:
    analyzer = build_schema()[field].analyzer
    chance = random.Random(7)
    compared = 0
    for text in bodies:
        forms = sorted({t.text for t in analyzer(text, mode="index", removestops=False)})
        if not forms:
            continue
        # Some terms the text has, plus one it has not (then no early stop).
        for terms in (frozenset(chance.sample(forms, min(3, len(forms)))),
                      frozenset(chance.sample(forms, min(2, len(forms))) + ["zzzнема"])):
            expected = list(_matched_spans_by_paragraph(text, terms, analyzer))
            assert list(_matched_spans(_Chunks(text), terms, analyzer)) == expected
            compared += len(expected)
    assert compared > 0


def _whoosh_passages(text: str, spans: dict[tuple[int, int], str]) -> list[tuple]:
    """The passages the previous implementation took from Whoosh (one `Token` per word)."""
    from searchlib.query.highlight import _WORD

    ordered = sorted(spans.items())

    def words():
        cursor = 0
        for word in _WORD.finditer(text):
            start, end = word.span()
            while cursor < len(ordered) and ordered[cursor][0][1] <= start:
                cursor += 1
            hit = cursor < len(ordered) and ordered[cursor][0][0] < end
            token = Token(text=ordered[cursor][1] if hit else word.group().lower(),
                          startchar=start, endchar=end)
            token.matched = hit
            yield token

    fragmenter = ContextFragmenter(maxchars=FRAGMENT_CHARS, surround=CONTEXT_CHARS,
                                   charlimit=None)
    return [(f.startchar, f.endchar, [(t.startchar, t.endchar, t.text) for t in f.matches])
            for f in fragmenter.fragment_tokens(text, words()) if f.matches]


def test_passages_equal_whoosh_context_fragmenter(bodies: list[str]) -> None:
    from searchlib.query.highlight import _WORD

    chance = random.Random(11)
    for text in bodies:
        words = [m.span() for m in _WORD.finditer(text)]
        if not words:
            continue
        for density in (0.01, 0.1, 0.5):
            spans = {span: f"t{chance.randrange(3)}" for span in words
                     if chance.random() < density}
            ours = [(f.start, f.end, f.matches) for f in _fragments(text, spans)]
            assert ours == _whoosh_passages(text, spans)


def test_snippet_marks_forms_across_repeated_calls() -> None:
    schema = build_schema()
    text = "Уряд Канади обговорив оборону. У Канаді знову говорили про Канаду, <b>&</b>."
    matchers = ((("канада",), schema["text_uk"].analyzer),)
    first = make_snippet(text, matchers)
    again = make_snippet(text, matchers)  # every chunk now comes from the cache
    assert first == again
    assert [first.text[s:e] for s, e in first.highlights] == ["Канади", "Канаді", "Канаду"]
    assert "&lt;b&gt;&amp;&lt;/b" in first.to_html()


@pytest.mark.parametrize("lang", [Lang.UK, Lang.RU])
def test_lemma_sources_hold_every_word_of_their_lemma(bodies: list[str], lang: Lang) -> None:
    # The snippet of a lemma field analyses only the words `lemma_sources` lists: a word it
    # missed would lose its mark. Every language's words, through this language's lemmatiser.
    words = build_schema()[f"text_{lang}"].analyzer.items[:-1]
    surface = CompositeAnalyzer(*words)
    checked = set()
    for text in bodies:
        for token in surface(text, mode="index", removestops=False):
            if token.text not in checked:
                checked.add(token.text)
                assert token.text in lemma_sources(lemmatise(token.text, lang), lang), token.text
    assert len(checked) > 1000


def test_an_analyzer_whose_tokens_span_chunks_is_read_by_paragraph() -> None:
    # Tokens of two words cannot be filed under one chunk: from the first paragraph where that
    # happens, the snippet reads whole paragraphs through the analyzer.
    analyzer = RegexTokenizer(r"\w+(?: \w+)?") | LowercaseFilter()
    text = "Канада\n\nУряд Канади обговорив оборону\nКанада і далі"
    terms = frozenset({"канада", "уряд канади", "обговорив оборону"})
    expected = list(_matched_spans_by_paragraph(text, terms, analyzer))
    assert [text[s:e] for (s, e), _ in expected] == ["Канада", "Уряд Канади",
                                                     "обговорив оборону"]
    assert list(_matched_spans(_Chunks(text), terms, analyzer)) == expected


TRICKY = (
    "Ки\u0301єві і Ки\u00adєва, Kиїв (латинська K), КИЄВІ, «Києва»,Київ—Львів, Ёлка ёлки Елки; "
    "Расiя та Pоссия, м’ясо м`ясо, Зеленського\u200b.\n\nЗЕЛЕНСЬКИЙ ǅ Ʌ Київщина 5-й Києва'.",
    # İ lowercases to two characters: no chunk is read from the lowercase text.
    "İstanbul: Києва İ Ки\u0301єві, Київ.",
)


@pytest.mark.parametrize("text", TRICKY)
@pytest.mark.parametrize("field", ANALYZED_FIELDS)
def test_words_that_normalisation_changes_are_marked_as_the_chain_marks_them(
        field: str, text: str) -> None:
    # Each form the chain makes of the text, alone and with one it does not make: the chunk
    # tests of the snippet (lowercase text, capitals) must not skip any chunk that makes it.
    analyzer = build_schema()[field].analyzer
    forms = sorted({t.text for t in analyzer(text, mode="index", removestops=False)})
    assert len(forms) >= 2
    for form in forms:
        for terms in (frozenset({form}), frozenset({form, "zzzнема"})):
            expected = list(_matched_spans_by_paragraph(text, terms, analyzer))
            assert expected
            assert list(_matched_spans(_Chunks(text), terms, analyzer)) == expected, form


_ALPHABET = "київКИЇВєаьлЛоеёЁKiaopxcyIİ’`'\u0301\u00ad-—«» \n"


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=_ALPHABET, max_size=40), field=st.sampled_from(ANALYZED_FIELDS))
def test_any_text_is_marked_as_the_chain_marks_it(text: str, field: str) -> None:
    analyzer = build_schema()[field].analyzer
    forms = sorted({t.text for t in analyzer(text, mode="index", removestops=False)})
    for form in forms[:4]:
        terms = frozenset({form, "київ"})
        expected = list(_matched_spans_by_paragraph(text, terms, analyzer))
        assert list(_matched_spans(_Chunks(text), terms, analyzer)) == expected


def _unsure_one_by_one(text: str) -> set[str]:
    """The chunks `_Chunks.unsure` finds, as found before: every chunk tested (`_plain`)."""
    return {chunk for chunk in set(text.split()) if not _plain(chunk)}


def test_unsure_chunks_are_those_each_chunk_test_finds(bodies: list[str]) -> None:
    unsure = 0
    for text in bodies:
        found = _Chunks(text).unsure()
        assert found == _unsure_one_by_one(text)
        unsure += len(found)
    assert unsure > 100  # real news has them: curly apostrophes, ё, mixed scripts


_ODD_CHARACTERS = "aZяЇё`’'\x00\x01\x1c\x7f\u00a0\u2009\u3000 \t\n-«»\u0301\u00ad1"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=_ODD_CHARACTERS, max_size=30))
def test_unsure_chunks_of_any_text(text: str) -> None:
    assert _Chunks(text).unsure() == _unsure_one_by_one(text)


def _may_start_letter_by_letter(chunk: str, initials: frozenset[str]) -> bool:
    """`_may_start` as it was: each word start's initials tested in turn."""
    for letter in re.findall(r"(?:^|\W)(\w)", chunk):
        known = _key_initials(letter)
        if not known or not initials.isdisjoint(known):
            return True
    return False


def test_may_start_tests_what_each_word_start_tests(bodies: list[str]) -> None:
    chunks = sorted({chunk for text in bodies for chunk in text.split()})
    tested = 0
    for initials in (frozenset("k"), frozenset("gf"), frozenset("zsx"), frozenset("a")):
        for chunk in chunks + ["", "-", "1-й", "к-п", "́а"]:
            assert _may_start(chunk, initials) == _may_start_letter_by_letter(chunk, initials), \
                (chunk, initials)
            tested += 1
    assert tested > 10_000


def test_a_cold_snippet_lemmatises_only_words_that_can_make_a_term() -> None:
    # Issue 7 (cold start): the lemma filter runs on the chunks that may hold a form of the
    # term, not on every word of the text.
    from searchlib.analysis.memo import clear_word_caches
    from searchlib.analysis.morph import cache_stats, clear_caches
    from searchlib.query import highlight

    text = ("Уряд обговорив бюджет, оборону, енергетику та ціни на газ у регіонах. "
            "Депутати підтримали зміни до податкового кодексу після довгих дебатів у Києві.")
    clear_caches()
    clear_word_caches()
    highlight._CHUNK_TOKENS.clear()
    snippet = make_snippet(text, ((("київ",), build_schema()["text_uk"].analyzer),))
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["Києві"]
    assert cache_stats()["misses"] == 1
