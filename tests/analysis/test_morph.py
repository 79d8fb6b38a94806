"""The dictionaries `morph` loads (lazy tag table, one-read paradigms) parse exactly as
pymorphy3's own loader does, whatever order the uk and ru dictionaries load in."""

from __future__ import annotations

import re
from pathlib import Path

import pymorphy3
import pytest
from pymorphy3.opencorpora_dict import storage

from searchlib.analysis import morph
from searchlib.model import Lang

_SAMPLES = Path(__file__).parents[2] / "samples"


def _words(lang: str) -> list[str]:
    text = " ".join(path.read_text(encoding="utf-8") for path in (_SAMPLES / lang).iterdir())
    return sorted(set(re.findall(r"[а-яёіїєґ'’-]{2,}", text.lower())))


def _parses(analyzer: pymorphy3.MorphAnalyzer, word: str) -> list[tuple[object, ...]]:
    return [(p.word, str(p.tag), p.normal_form, p.score, p.is_known)
            for p in analyzer.parse(word)]


@pytest.mark.parametrize("first", [Lang.UK, Lang.RU])
def test_lazily_loaded_dictionaries_parse_like_pymorphy3(first: Lang) -> None:
    # Ours load one after the other (the second load resets the shared tag class to its own
    # grammemes), then pymorphy3's own (which resets it again): tags made after all that, of
    # either language, must still be made, and equal pymorphy3's.
    second = Lang.RU if first is Lang.UK else Lang.UK
    ours = {lang: morph._load_analyzer(pymorphy3, lang) for lang in (first, second)}
    theirs = {lang: pymorphy3.MorphAnalyzer(path=morph._dictionary_path(lang), lang=str(lang))
              for lang in (second, first)}
    for lang in (first, second):
        words = _words(str(lang))
        assert len(words) > 300
        for word in words:
            assert _parses(ours[lang], word) == _parses(theirs[lang], word), word
        lexeme = [str(form.tag) for form in ours[lang].parse(words[0])[0].lexeme]
        assert lexeme == [str(form.tag) for form in theirs[lang].parse(words[0])[0].lexeme]


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_paradigms_read_at_once_equal_pymorphy3s(lang: str) -> None:
    path = str(Path(morph._dictionary_path(Lang(lang)) or "") / "paradigms.array")
    assert morph._load_paradigms(path) == storage._load_paradigms(path)


@pytest.mark.parametrize("lang", [Lang.UK, Lang.RU])
def test_word_list_alone_knows_the_words_the_dictionary_knows(lang: Lang, monkeypatch) -> None:
    words = _words("uk") + _words("ru") + ["елка", "ёлка", "ганок", "ґанок", "Елка", "ГАНОК"]
    monkeypatch.setattr(morph, "_MORPH", {})  # no dictionary loaded: the word list answers
    monkeypatch.setattr(morph, "_WORDS", {})
    answers = [morph._word_is_known(word, lang) for word in words]
    assert lang in morph._WORDS and not morph._MORPH
    analyzer = pymorphy3.MorphAnalyzer(path=morph._dictionary_path(lang), lang=str(lang))
    assert answers == [analyzer.word_is_known(word) for word in words]
    assert 0 < sum(answers) < len(words)


def test_lemmas_of_inflected_words() -> None:
    assert morph.lemmatise("канади", Lang.UK) == "канада"
    assert morph.lemmatise("обороны", Lang.RU) == "оборона"
    assert morph.name_lemma("зеленського") == "зеленський"


def test_words_with_the_other_languages_letters_are_unknown_without_a_dictionary() -> None:
    # No word of the Russian dictionary has і ї є ґ and no Ukrainian one has ы э ъ ё (checked
    # over both word lists), so the shortcut gives what the dictionary would.
    assert morph.lemmatise("київ", Lang.RU) == morph.strip_ending("київ", Lang.RU)
    assert morph.lemmatise("москвы", Lang.UK) == morph.strip_ending("москвы", Lang.UK)
    assert not morph._word_is_known("Київ", Lang.RU)
    assert morph._morph(Lang.RU).word_is_known("київ") is False
