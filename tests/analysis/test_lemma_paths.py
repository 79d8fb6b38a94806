"""Issue 24: the cheaper pymorphy3 path of `choose_lemma` gives, for every distinct word of the
shared corpus, the lemma the plain path gave.

The plain path (below, as it was before issue 24's last pass) asked pymorphy3 whether each parse
of a known word is a known form, and took every parse's canonical lemma for a Russian word whose
first one wins. The words are those the lemma and names chains hand to `lemmatise`: every
Cyrillic token of the benchmark corpus (15.7k real articles), normalised and lowercased, parts of
hyphenated words included, each in both dictionaries, as written and (Ukrainian) capitalised.
"""

from __future__ import annotations

from typing import Any

import pytest

from searchlib.analysis.filters import _CYRILLIC, CompoundFilter, NormaliseFilter
from searchlib.analysis.morph import (
    _BASE_ENDINGS,
    _has_foreign_letter,
    _lemma_of,
    _morph,
    _ukrainian_choice,
    _usual_spelling,
    canonical_lemma,
    choose_lemma,
    strip_ending,
)
from searchlib.analysis.tokenizers import WORD_PATTERN, WordTokenizer
from searchlib.model import Lang


def _plain_unknown_word_lemma(word: str, lang: Lang) -> str:
    stem = strip_ending(word, lang)
    analyser = _morph(lang)
    for ending in _BASE_ENDINGS:
        lemma = stem + ending
        if (lemma != word and not _has_foreign_letter(lemma, lang)
                and analyser.word_is_known(lemma)):
            if strip_ending(lemma, lang) == stem and any(
                    parse.is_known and parse.normal_form == lemma
                    for parse in analyser.parse(lemma)
            ) and canonical_lemma(lemma, lang) == lemma:
                return lemma
    return stem


def _plain_choose_lemma(word: str, lang: Lang, capitalised: bool = False) -> str:
    """`choose_lemma` before issue 24's last pass."""
    if _has_foreign_letter(word, lang):
        return strip_ending(word, lang)
    analyser = _morph(lang)
    written = word
    if lang is Lang.UK and "ґ" in word and analyser.word_is_known(word.replace("ґ", "г")):
        word = word.replace("ґ", "г")
    if not analyser.word_is_known(word):
        return _plain_unknown_word_lemma(word, lang)
    parses = [p for p in analyser.parse(word) if p.is_known]
    if not parses:
        return _plain_unknown_word_lemma(word, lang)
    lemmas = tuple(dict.fromkeys(_lemma_of(p, lang) for p in parses))
    if lang is Lang.UK:
        lemmas = tuple(dict.fromkeys(_usual_spelling(lemma, lemmas) for lemma in lemmas))
    if len(lemmas) == 1 or lang is not Lang.UK:
        return lemmas[0]
    # From here on the path did not change: the ambiguous Ukrainian word's choice.
    return _ukrainian_choice(word, written, parses, lemmas, capitalised, True)


@pytest.fixture(scope="module")
def corpus_words(corpus_dir: Any) -> tuple[set[str], set[str]]:
    """(Every distinct Cyrillic word of the benchmark corpus as the chains lemmatise it; those
    of them written with a capital somewhere)."""
    from benchmarks._common import load_corpus

    distinct: set[str] = set()
    for article in load_corpus():
        distinct.update(WORD_PATTERN.findall(f"{article.title}\n{article.text}"))
    chain = WordTokenizer() | CompoundFilter() | NormaliseFilter(fold_yo=True)
    words: set[str] = set()
    capitalised: set[str] = set()
    # Each distinct word once, as the word memo analyses new words (one space between them).
    for token in chain(" ".join(distinct), mode="index"):
        word = token.text.lower()
        if _CYRILLIC.search(word):
            words.add(word)
            if token.capitalised:
                capitalised.add(word)
    return words, capitalised


@pytest.mark.parametrize("lang", [Lang.UK, Lang.RU])
def test_every_corpus_word_takes_the_lemma_the_plain_path_gave(
        corpus_words: tuple[set[str], set[str]], lang: Lang) -> None:
    words, capitalised = corpus_words
    assert len(words) > 300_000  # the corpus's real vocabulary, not an empty comparison
    differ = [(word, capital) for word in sorted(words)
              for capital in ((False, True) if word in capitalised and lang is Lang.UK
                              else (False,))
              if choose_lemma(word, lang, capital) != _plain_choose_lemma(word, lang, capital)]
    assert not differ, differ[:20]
