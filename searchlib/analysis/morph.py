"""Lemmas for Ukrainian and Russian (pymorphy3) and English stems (PyStemmer), with caches.

The dictionaries load lazily on first use into module-level caches, so importing this module
(and pickling or comparing the filters that use it) costs nothing. Words the dictionary does not
know (new names, war-time words such as "шахедів") get a suffix-stripped stem instead of
pymorphy3's guess: the guess for each inflected form of an unknown word often differs (it is a
paradigm prediction per form), while stripping the inflection makes "Байрактара"/"Байрактаром"
meet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from searchlib.errors import ConfigError
from searchlib.model import Lang

__all__ = ["lemmatise", "stem_english", "cache_stats", "clear_caches"]

_CACHE_LIMIT = 400_000
_MORPH: dict[Lang, Any] = {}
_LEMMAS: dict[Lang, dict[str, str]] = {}
_STATS = {"hits": 0, "misses": 0}
_LOCK = threading.Lock()

# Inflectional endings stripped from out-of-dictionary words, longest first. A stem keeps at
# least three letters so short words are left whole.
_UK_ENDINGS = sorted(
    """
    ами ями ові еві ого ому ими іми ій ій ою ею єю ів їв ах ях ам ям ом ем им ім их іх ої ує
    ти ть ла ло ли ві а я у ю і ї е є о и й
    """.split(),
    key=len,
    reverse=True,
)
_RU_ENDINGS = sorted(
    """
    ами ями ого его ому ему ыми ими ией ой ей ою ею ов ев ах ях ам ям ом ем ым им ых их ий ый
    ая яя ое ее ые ие а я у ю ы и е о ь й
    """.split(),
    key=len,
    reverse=True,
)
_ENDINGS = {Lang.UK: _UK_ENDINGS, Lang.RU: _RU_ENDINGS}


def _morph(lang: Lang) -> Any:
    analyzer = _MORPH.get(lang)
    if analyzer is None:
        with _LOCK:
            analyzer = _MORPH.get(lang)
            if analyzer is None:
                try:
                    import pymorphy3
                except ImportError as err:  # pragma: no cover - dependency is declared
                    raise ConfigError(
                        "pymorphy3 is not installed: pip install pymorphy3 "
                        "pymorphy3-dicts-uk pymorphy3-dicts-ru"
                    ) from err
                try:
                    analyzer = pymorphy3.MorphAnalyzer(lang=str(lang))
                except (ValueError, OSError, ImportError) as err:
                    raise ConfigError(
                        f"the pymorphy3 {lang} dictionary is missing: "
                        f"pip install pymorphy3-dicts-{lang}"
                    ) from err
                _MORPH[lang] = analyzer
    return analyzer


def strip_ending(word: str, lang: Lang) -> str:
    """The word without its longest inflectional ending, keeping a stem of three letters.

    >>> strip_ending("байрактарами", Lang.UK)
    'байрактар'
    """
    for ending in _ENDINGS[lang]:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _lemma_uncached(word: str, lang: Lang) -> str:
    parses = _morph(lang).parse(word)
    if not parses:
        return word
    best = parses[0]
    if not best.is_known:
        return strip_ending(word, lang)
    return best.normal_form.replace("ё", "е")


def lemmatise(word: str, lang: Lang) -> str:
    """The lemma of a lowercase, normalised uk/ru word (ё folded to е).

    The first parse wins (measured: all parses' lemmas retrieve worse; preferring a proper-noun
    parse for capitalised words turned ``Львові`` into ``львов``). Out-of-dictionary words get
    their inflectional ending stripped.

    >>> lemmatise("канади", Lang.UK)
    'канада'
    >>> lemmatise("обороны", Lang.RU)
    'оборона'
    """
    cache = _LEMMAS.get(lang)
    if cache is None:
        cache = _LEMMAS.setdefault(lang, {})
    lemma = cache.get(word)
    if lemma is not None:
        _STATS["hits"] += 1
        return lemma
    _STATS["misses"] += 1
    lemma = _lemma_uncached(word, lang)
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[word] = lemma
    return lemma


_STEMMERS: dict[str, Callable[[str], str]] = {}
_STEMS: dict[str, str] = {}


def stem_english(word: str, algorithm: str = "english") -> str:
    """The Snowball stem of a lowercase English word (PyStemmer, cached).

    >>> stem_english("elections")
    'elect'
    """
    key = algorithm + ":" + word
    stem = _STEMS.get(key)
    if stem is not None:
        _STATS["hits"] += 1
        return stem
    _STATS["misses"] += 1
    stemmer = _STEMMERS.get(algorithm)
    if stemmer is None:
        import Stemmer

        stemmer = Stemmer.Stemmer(algorithm).stemWord
        _STEMMERS[algorithm] = stemmer
    stem = stemmer(word)
    if len(_STEMS) >= _CACHE_LIMIT:
        _STEMS.clear()
    _STEMS[key] = stem
    return stem


def cache_stats() -> dict[str, float]:
    """Hits, misses and hit rate of the lemma and stem caches since the last `clear_caches`."""
    total = _STATS["hits"] + _STATS["misses"]
    return {**_STATS, "hit_rate": _STATS["hits"] / total if total else 0.0}


def clear_caches() -> None:
    """Empty the lemma and stem caches and reset the statistics (benchmarks)."""
    _LEMMAS.clear()
    _STEMS.clear()
    _STATS.update(hits=0, misses=0)
