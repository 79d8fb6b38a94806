"""The word-memoised chains give exactly the tokens of the plain chains (hypothesis)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CompositeAnalyzer, LowercaseFilter

from searchlib.analysis import build_analyzer, build_exact_analyzer, build_translit_analyzer, memo
from searchlib.analysis.filters import NormaliseFilter, StopWordFilter, TranslitFilter
from searchlib.analysis.memo import MemoAnalyzer
from searchlib.analysis.tokenizers import WordTokenizer
from searchlib.model import Lang

_WORDS = [
    # stop words of every language, capitalised and not
    "і", "І", "що", "та", "и", "что", "это", "the", "The", "of", "in", "And",
    # names and capitalised words in several scripts
    "Зеленський", "Зеленского", "Zelenskyy", "Києві", "Київ", "Карні", "London", "Трамп",
    # inflected content words
    "війни", "оборони", "обороны", "elections", "Канаді", "ціни", "нефти",
    # apostrophes and their look-alikes, stress marks, soft hyphen, zero-width characters
    "м'ясо", "м\u2019ясо", "м\u02bcясо", "м`ясо", "O'Brien", "Trump's", "міні\u0301стр",
    "Ки\u00adїв", "Ки\u200bїв", "п'ять",
    # hyphenated words, stop words among their parts
    "прем'єр-міністр", "Ростов-на-Дону", "будь-що", "хоч-не-хоч", "Нью-Йорк", "e-mail",
    "що-небудь", "state-of-the-art", "сорок\u2011два",
    # Latin homoglyphs in Cyrillic words, ё, numbers
    "Pociя", "Расiя", "Ёлка", "ещё", "2024", "COVID-19",
]
_SEPARATORS = [" ", "  ", ", ", ". ", "\n", "\n\n", " - ", "'", " \u2014 ", "\u00a0", "-", "'s "]
_NOISE = list("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъ АБВГҐЄІЇЁ abcxyz ABCXYZ 09") + [
    "'", "\u2019", "\u02bc", "`", "\u0301", "\u00ad", "\u200b", "-", "\u2011", ".", "_", "İ", "ß",
]
_TEXT = st.one_of(
    st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), max_size=25).map(
        lambda pairs: "".join(word + sep for word, sep in pairs)),
    st.text(st.sampled_from(_NOISE), max_size=60),
    st.text(max_size=30),
)
_CHAINS = {
    "uk": build_analyzer(Lang.UK),
    "ru": build_analyzer(Lang.RU),
    "en": build_analyzer(Lang.EN),
    "exact": build_exact_analyzer(),
    "names": build_translit_analyzer(),
}


def _plain(chain: MemoAnalyzer) -> CompositeAnalyzer:
    return CompositeAnalyzer(*chain.items)


def _tokens(analyzer, text: str, **kwargs) -> list[tuple]:
    return [
        (t.text, getattr(t, "pos", None), getattr(t, "startchar", None),
         getattr(t, "endchar", None), t.stopped, t.boost, t.mode, t.removestops)
        for t in analyzer(text, **kwargs)
    ]


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.sampled_from(["index", "query", ""]), st.booleans(), st.booleans(),
       st.booleans(), st.sampled_from([(0, 0), (3, 17)]))
def test_memoised_chain_gives_the_plain_chain_tokens(text, mode, positions, chars, removestops,
                                                      start):
    start_pos, start_char = start
    for chain in _CHAINS.values():
        kwargs = dict(mode=mode, positions=positions, chars=chars, removestops=removestops,
                      start_pos=start_pos, start_char=start_char)
        assert _tokens(chain, text, **kwargs) == _tokens(_plain(chain), text, **kwargs)


@pytest.mark.parametrize("name", sorted(_CHAINS))
def test_whoosh_index_values_are_the_same(name):
    """What Whoosh's postings formats read: term, frequency, weight, positions."""
    from whoosh.formats import Frequency, Positions

    chain = _CHAINS[name]
    text = " ".join(_WORDS * 3)
    for fmt in (Positions(), Frequency()):
        assert (list(fmt.word_values(text, chain, mode="index"))
                == list(fmt.word_values(text, _plain(chain), mode="index")))


def test_unusual_calls_run_the_plain_chain():
    chain = _CHAINS["uk"]
    text = "Прем'єр-міністр і Зеленський"
    for kwargs in ({"keeporiginal": True}, {"tokenize": False}, {"no_morph": True}):
        got = [(t.text, t.pos, getattr(t, "original", None))
               for t in chain(text, positions=True, mode="index", **kwargs)]
        want = [(t.text, t.pos, getattr(t, "original", None))
                for t in _plain(chain)(text, positions=True, mode="index", **kwargs)]
        assert got == want and got


@pytest.mark.parametrize("name", sorted(_CHAINS))
def test_pickles_small_without_its_cache(name):
    chain = _CHAINS[name]
    list(chain(" ".join(_WORDS), mode="index"))  # fill the cache
    data = pickle.dumps(chain)
    assert len(data) <= len(pickle.dumps(_plain(chain))) + 100
    copy = pickle.loads(data)
    assert copy == chain and _tokens(copy, "Канаді O'Brien") == _tokens(chain, "Канаді O'Brien")


def test_equal_to_the_plain_chain_of_equal_filters():
    chain = build_exact_analyzer()
    assert chain == _plain(chain) and _plain(chain) == chain
    assert chain != build_translit_analyzer() and _plain(chain) != build_translit_analyzer()


def test_word_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(memo, "WORD_CACHE_LIMIT", 50)
    memo.clear_word_caches()
    chain = build_exact_analyzer()
    words = [f"слово{n}" for n in range(500)]
    assert [t.text for word in words for t in chain(word)] == words
    assert memo._CACHES and all(len(cache) <= 50 for cache in memo._CACHES.values())
    assert memo._PREVIOUS and all(len(cache) <= 50 for cache in memo._PREVIOUS.values())


def test_previous_generation_serves_words_without_analysing_them(monkeypatch):
    monkeypatch.setattr(memo, "WORD_CACHE_LIMIT", 50)
    memo.clear_word_caches()
    chain = build_exact_analyzer()
    words = [f"слово{n}" for n in range(60)]
    assert [t.text for t in chain(" ".join(words[:50]))] == words[:50]
    # The first generation is full: a new one starts and takes "слово0" over from it.
    assert [t.text for t in chain("слово0 слово55")] == ["слово0", "слово55"]
    (key,) = memo._CACHES
    assert set(memo._CACHES[key]) == {"слово0", "слово55"}
    assert memo._CACHES[key]["слово0"] is memo._PREVIOUS[key]["слово0"]


def test_refuses_chains_it_cannot_memoise():
    from whoosh.analysis import RegexTokenizer, StopFilter

    with pytest.raises(ValueError):
        MemoAnalyzer(RegexTokenizer() | LowercaseFilter())
    with pytest.raises(ValueError):
        MemoAnalyzer(WordTokenizer() | StopFilter())
    with pytest.raises(ValueError):
        MemoAnalyzer(WordTokenizer() | NormaliseFilter() | StopWordFilter(Lang.UK)
                     | TranslitFilter())
