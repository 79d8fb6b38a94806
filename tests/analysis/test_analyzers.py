"""The analyzer chains: tokens with positions and offsets, morphology meeting, pickling."""

from __future__ import annotations

import pickle

import pytest

from searchlib.analysis import (
    ANALYZER_VERSION,
    ANALYZERS,
    build_analyzer,
    build_exact_analyzer,
)
from searchlib.model import Lang


def tokens(analyzer, text, mode="index"):
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in analyzer(text, positions=True, chars=True, mode=mode)
    ]


def texts(analyzer, text, mode="index"):
    return [t.text for t in analyzer(text, mode=mode)]


def meets(lang, a, b):
    """Do two texts share a token at query time (a) and index time (b)?"""
    analyzer = build_analyzer(lang)
    return bool(set(texts(analyzer, a, "query")) & set(texts(analyzer, b, "index")))


ALL_CHAINS = [
    build_analyzer(Lang.UK),
    build_analyzer(Lang.RU),
    build_analyzer(Lang.EN),
    build_exact_analyzer(),
]


@pytest.mark.parametrize("analyzer", ALL_CHAINS, ids=["uk", "ru", "en", "exact"])
def test_chain_pickles_and_compares_equal(analyzer):
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy == analyzer
    assert texts(copy, "Канада Canada") == texts(analyzer, "Канада Canada")


def test_builders_are_equal_by_config_and_differ_by_language():
    assert build_analyzer(Lang.UK) == build_analyzer(Lang.UK)
    assert build_exact_analyzer() == build_exact_analyzer()
    assert build_analyzer(Lang.UK) != build_analyzer(Lang.RU)
    assert build_analyzer(Lang.EN) != build_exact_analyzer()


def test_registry_names_carry_versions():
    assert ANALYZER_VERSION.startswith("searchlib-analysis@")
    assert all("@" in name for name in ANALYZERS)
    assert ANALYZERS["uk-lemma@5"]() == build_analyzer(Lang.UK)


@pytest.mark.parametrize("form", ["Канади", "Канаді", "Канадою", "канаду"])
def test_uk_inflections_meet(form):
    assert meets(Lang.UK, "Канада", form)
    assert meets(Lang.UK, form, "Канада")


@pytest.mark.parametrize("form", ["обороны", "обороне", "обороной"])
def test_ru_inflections_meet(form):
    assert meets(Lang.RU, "оборона", form)


def test_en_stems_meet():
    assert meets(Lang.EN, "election", "Elections")
    assert meets(Lang.EN, "Trump", "Trump's")


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u02bc", "`", "\u00b4"])
def test_apostrophe_variants_meet(apostrophe):
    word = f"м{apostrophe}ясо"
    uk = build_analyzer(Lang.UK)
    assert tokens(uk, word) == [("м'ясо", 0, 0, 5)]
    assert tokens(build_exact_analyzer(), word) == [("м'ясо", 0, 0, 5)]
    assert meets(Lang.UK, "м'яса", word)


def test_apostrophe_not_inside_word_is_not_kept():
    assert texts(build_exact_analyzer(), "'цитата' від них'") == ["цитата", "від", "них"]


def test_hyphenated_word_whole_and_parts():
    exact = build_exact_analyzer()
    assert tokens(exact, "Прем’єр-міністр Канади") == [
        ("прем'єр-міністр", 0, 0, 15),
        ("прем'єр", 0, 0, 7),
        ("міністр", 0, 8, 15),
        ("канади", 1, 16, 22),
    ]
    # At query time the whole word only (it is indexed whole).
    assert tokens(exact, "прем'єр-міністр", mode="query") == [("прем'єр-міністр", 0, 0, 15)]
    uk = build_analyzer(Lang.UK)
    assert meets(Lang.UK, "прем'єр-міністра", "Прем'єр-міністр")
    assert meets(Lang.UK, "міністр", "прем'єр-міністра")
    assert meets(Lang.UK, "прем'єр", "прем'єр-міністр")
    assert "прем'єр-міністр" in texts(uk, "прем'єр-міністром")


def test_latin_homoglyph_repaired():
    uk = build_analyzer(Lang.UK)
    assert tokens(build_exact_analyzer(), "Расiя") == [("расія", 0, 0, 5)]
    assert meets(Lang.UK, "Расія", "Расiя")
    assert meets(Lang.RU, "Россия", "Pоссия")  # Latin P
    assert texts(uk, "Apple") == texts(build_analyzer(Lang.EN), "Apple") == ["appl"]


def test_stress_marks_and_invisible_characters():
    exact = build_exact_analyzer()
    text = "Міні\u0301стр Ки\u00adїв за\u200bкон"
    assert tokens(exact, text) == [
        ("міністр", 0, 0, 8),
        ("київ", 1, 9, 14),
        ("закон", 2, 15, 21),
    ]
    assert meets(Lang.UK, "міністр", "міні\u0301стра")
    assert meets(Lang.RU, "замок", "за\u0301мок")


def test_decomposed_letters_are_composed():
    assert texts(build_exact_analyzer(), "Ки\u0438\u0306в") == ["киив"[:2] + "\u0439" + "в"]


def test_yo_folds_to_ye():
    assert texts(build_exact_analyzer(), "Ёлка") == ["елка"]
    assert meets(Lang.RU, "елки", "ёлка")
    assert meets(Lang.RU, "ёлка", "елкой")
    assert (
        "е" in texts(build_analyzer(Lang.RU), "ещё")[0]
        if texts(build_analyzer(Lang.RU), "ещё")
        else True
    )


def test_ukrainian_letters_stay_distinct():
    assert texts(build_exact_analyzer(), "Їжак Єва ґанок іти") == ["їжак", "єва", "ґанок", "іти"]


def test_names_stay_findable_by_surface_form():
    # The lemma chain gives one token per word; the surface form lives in the exact chain.
    uk, exact = build_analyzer(Lang.UK), build_exact_analyzer()
    assert texts(uk, "Карні", "query") == ["карний"]
    assert texts(exact, "Карні", "index") == ["карні"]
    assert texts(exact, "Зеленський") == ["зеленський"]
    assert meets(Lang.UK, "Зеленський", "Зеленського")


def test_one_token_per_word_at_query_time():
    """So that a quoted phrase analysed by the lemma chain stays one word per position."""
    for lang in Lang:
        chain = build_analyzer(lang)
        text = "Прем'єр-міністр Канади Карні заявив у Києві"
        positions = [t.pos for t in chain(text, positions=True, mode="query")]
        assert len(positions) == len(set(positions))


def test_stop_words_removed_before_lemmas():
    assert texts(build_analyzer(Lang.UK), "і що це таке", "query") == ["такий"]
    assert texts(build_analyzer(Lang.RU), "и что это такое", "query") == ["такой"]
    assert texts(build_analyzer(Lang.EN), "the war in Ukraine", "query") == ["war", "ukrain"]


def test_stop_words_kept_in_exact_chain():
    assert texts(build_exact_analyzer(), "і що") == ["і", "що"]


def test_positions_renumbered_after_stop_words_keep_shared_positions():
    uk = build_analyzer(Lang.UK)
    result = [(t.text, t.pos) for t in uk("Він і прем'єр-міністр", positions=True)]
    assert result == [
        ("прем'єр-міністр", 0),
        ("прем'єр", 0),
        ("міністр", 0),
    ]


def test_out_of_dictionary_words_still_meet():
    assert meets(Lang.UK, "байрактарами", "байрактарів")
    assert meets(Lang.UK, "шахеди", "шахедів")


def test_removestops_false_marks_instead_of_dropping():
    uk = build_analyzer(Lang.UK)
    stopped = [(t.text, t.stopped) for t in uk("і план", removestops=False)]
    assert stopped == [("і", True), ("план", False)]


def test_no_morph_gives_surface_forms():
    uk = build_analyzer(Lang.UK)
    assert [t.text for t in uk("Канади", no_morph=True)] == ["канади"]
