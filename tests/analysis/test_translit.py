"""Names across scripts: the translit key and the `names` field analyzer."""

from __future__ import annotations

import pickle

import pytest

from searchlib.analysis import build_translit_analyzer
from searchlib.text.translit import translit_key

ZELENSKYY = [
    "Зеленський",
    "Зеленский",
    "Zelenskyy",
    "Zelensky",
    "Zelenskyi",
    "Zelenskiy",
    "Zelenskij",
]


def keys(text, mode):
    return [t.text for t in build_translit_analyzer()(text, mode=mode)]


@pytest.mark.parametrize("spelling", ZELENSKYY)
def test_every_spelling_shares_one_key(spelling):
    assert translit_key(spelling) == translit_key("Zelenskyy")


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Харків", "Kharkiv"),
        ("Гончаренко", "Honcharenko"),
        ("Гончаренко", "Goncharenko"),
        ("Щербаков", "Shcherbakov"),
        ("Юлія", "Yulia"),
        ("Тимошенко", "Tymoshenko"),
        ("Київ", "Kyiv"),
    ],
)
def test_romanisations_meet(cyrillic, latin):
    assert translit_key(cyrillic) == translit_key(latin)


@pytest.mark.parametrize("form", ["Зеленського", "Зеленському", "Зеленским", "Зеленского"])
def test_inflected_cyrillic_names_meet_the_latin_query(form):
    assert keys("Zelenskyy", "query") == keys(form, "index")


def test_index_keeps_capitalised_words_only_query_keeps_all():
    assert keys("заява Зеленського щодо NATO", "index") == ["zelensk", "nato"]
    assert keys("zelensky", "query") == ["zelensk"]


def test_offsets_point_at_the_name():
    text = "Візит Зеленського"
    spans = [(t.startchar, t.endchar) for t in build_translit_analyzer()(text, chars=True)]
    assert [text[start:end] for start, end in spans] == ["Візит", "Зеленського"]


def test_pickles_and_compares_equal():
    analyzer = build_translit_analyzer()
    assert pickle.loads(pickle.dumps(analyzer)) == analyzer == build_translit_analyzer()
