"""Issue 18 item 9: names across scripts with conventional spellings, learnt from parallel text.

The table (`searchlib/text/data/name_keys.tsv.gz`) is mined by `benchmarks/name_pairs.py` from
``text/ntrex`` and ``text/wmt-general-test``; its recall is measured on SlavicNER's entity names,
a source not used to build it, and on those of them the parallel text never mentions.
"""

from __future__ import annotations

import re

import pytest

from searchlib.analysis import build_translit_analyzer
from searchlib.model import Lang
from searchlib.text.translit import _load_name_keys

SPELLINGS = [
    ("Trump", "Трамп", "Трампа", "Трампові", "Trump's"),
    ("Biden", "Байден", "Байдена", "Байдену"),
    ("Johnson", "Джонсон", "Джонсона"),
    ("Kyiv", "Kiev", "Київ", "Киев", "Києва", "Киева"),
    ("Moscow", "Москва", "Москви", "Москвы", "Москвою"),
    ("Brexit", "Брексит", "Брекзит", "Брексіт", "Брекзиту", "брекзит"),
    ("Canada's", "Canada", "Канада", "Канади", "Канаде"),
]


def _keys(word: str, mode: str) -> list[str]:
    return [t.text for t in build_translit_analyzer()(word, mode=mode)]


@pytest.mark.parametrize("spellings", SPELLINGS, ids=lambda s: s[0])
def test_conventional_spellings_share_one_names_key(spellings: tuple[str, ...]) -> None:
    # As indexed (capitalised words, lowercase ones the table knows) and as queried.
    query_key = _keys(spellings[0], "query")
    assert len(query_key) == 1
    for word in spellings:
        assert _keys(word, "index") == query_key, word


def test_lowercase_words_outside_the_table_stay_out_of_the_names_field() -> None:
    assert _keys("зустріч брекзиту та канада", "index") == ["bregit"]


@pytest.fixture(scope="module")
def name_pairs(corpus_dir):
    from benchmarks import name_pairs

    return name_pairs


def test_the_shipped_table_is_what_the_parallel_text_gives(name_pairs) -> None:
    # Provenance: `python -m benchmarks.name_pairs --build` rebuilds exactly the shipped file.
    table = name_pairs.key_table(name_pairs.mine_pairs(name_pairs.aligned_sentences()))
    assert table == _load_name_keys()
    assert len(table) > 1000


def test_recall_on_names_not_used_to_build_the_table(name_pairs) -> None:
    gold = name_pairs.gold_pairs()
    seen = {name for english, _, _ in name_pairs.aligned_sentences()
            for name in name_pairs._names(english, name_pairs.english_name)}
    unseen = [pair for pair in gold if name_pairs.english_name(pair[0]) not in seen]
    assert len(gold) > 2000 and len(unseen) > 1000
    # SlavicNER entities (English id word, top ru/uk lemma word): README "Names across scripts".
    assert round(name_pairs.recall(gold, learned=False), 3) == 0.531
    assert round(name_pairs.recall(gold, learned=True), 3) == 0.670
    # Those whose English name the parallel text never mentions: the table must not hurt them.
    assert round(name_pairs.recall(unseen, learned=False), 3) == 0.566
    assert round(name_pairs.recall(unseen, learned=True), 3) == 0.573


# (query, regex of the name's forms in Latin and Cyrillic script, case-insensitive)
NAMES = [
    ("Trump", r"(?<!\w)(?:Trump(?:'s)?|Трамп(?:а|у|ом|е|ові|і)?)(?!\w)"),
    ("Biden", r"(?<!\w)(?:Biden(?:'s)?|Байден(?:а|у|ом|е|ові|і)?)(?!\w)"),
    ("Johnson", r"(?<!\w)(?:Johnson(?:'s)?|Джонсон(?:а|у|ом|е|ові|і)?)(?!\w)"),
    ("Moscow", r"(?<!\w)(?:Moscow(?:'s)?|Москв(?:а|и|ы|у|ою|ой|і|е))(?!\w)"),
    ("Brexit", r"(?<!\w)(?:Brexit|Брекс[иі]т|Брекз[иі]т)"),
]


@pytest.mark.parametrize(("query", "pattern"), NAMES, ids=[n for n, _ in NAMES])
@pytest.mark.parametrize("lang", [Lang.RU, Lang.UK, Lang.EN])
def test_an_english_name_finds_every_script_in_real_articles(
        research_index, research_articles, query: str, pattern: str, lang: Lang) -> None:
    regex = re.compile(pattern, re.IGNORECASE)
    expected = {a.id for a in research_articles
                if a.lang == lang and regex.search(f"{a.title}\n{a.text}")}
    results = research_index.search(query, lang=str(lang), collapse=False, relax=False,
                                    limit=1000)
    assert results.total == len(expected)
    assert {hit.id for hit in results.hits} == expected
