"""`searchlib.text`: normalisation and language detection (pure, no Whoosh, no dictionaries)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchlib.model import Lang
from searchlib.text import detect_language, normalise, query_languages
from searchlib.text.normalise import normalise_word

_TEXT = st.text(
    alphabet=st.sampled_from(
        list("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъ АБВГҐЄІЇЁabcdeiopxyzABCEHIKMOPTXY")
        + [
            "'",
            "\u2019",
            "\u02bc",
            "`",
            "\u00b4",
            "\u0301",
            "\u0300",
            "\u00ad",
            "\u200b",
            "-",
            " ",
            "\u00a0",
            "\u0306",
            "\u0308",
            "1",
            "_",
            ".",
            "ï",
        ]
    ),
    max_size=40,
)


@given(_TEXT)
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@given(st.text(max_size=30))
def test_normalise_is_idempotent_on_any_text(text):
    once = normalise(text)
    assert normalise(once) == once


@given(_TEXT)
def test_normalise_word_is_idempotent(text):
    once = normalise_word(text)
    assert normalise_word(once) == once


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u02bc", "`", "\u00b4"])
def test_apostrophes_fold_to_one(apostrophe):
    assert normalise(f"м{apostrophe}ясо") == "м'ясо"
    assert normalise_word(f"м{apostrophe}ясо") == "м'ясо"


def test_invisible_and_stress_marks_removed():
    assert normalise("міні\u0301стр Ки\u00adїв за\u200bкон\u00a0 X") == "міністр Київ закон X"
    assert normalise_word("и\u0300ди") == "иди"


def test_homoglyphs_repaired_but_ukrainian_letters_kept():
    assert normalise("Расiя та Apple") == "Расія та Apple"
    assert normalise_word("Рoссия") == "Россия"
    assert normalise("їжак ґанок Єва іти") == "їжак ґанок Єва іти"


def test_yo_kept_in_text_but_folded_for_words():
    assert normalise("ёлка") == "ёлка"
    assert normalise("ёлка", fold_yo=True) == "елка"
    assert normalise_word("ёлка") == "елка"
    assert normalise_word("ёлка", fold_yo=False) == "ёлка"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Україна і Канада підписали план дій щодо оборони", Lang.UK),
        ("Россия и Канада обсудили вопросы обороны", Lang.RU),
        ("Canada and Ukraine signed a defence plan", Lang.EN),
        ("Уряд затвердив бюджет на наступний рік", Lang.UK),
        ("Правительство утвердило бюджет на следующий год", Lang.RU),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) is lang


def test_detect_language_falls_back_to_hint():
    assert detect_language("12345", hint=Lang.UK) is Lang.UK
    assert detect_language("") is None


def test_query_languages():
    assert query_languages("Zelensky")[0] is Lang.EN
    assert query_languages("обороны") == (Lang.RU,)
    assert query_languages("Київ")[0] is Lang.UK
    assert set(query_languages("Канада")) >= {Lang.UK, Lang.RU}


def test_text_layer_imports_no_heavy_modules():
    code = (
        "import sys, searchlib.text; "
        "bad = [m for m in ('whoosh', 'pymorphy3', 'lxml', 'Stemmer') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
