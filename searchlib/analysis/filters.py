"""Token filters of the searchlib analyzers.

Every filter changes ``t.text`` only: offsets (``startchar``/``endchar``) always point at the
stored text, so the highlighter marks the right characters. Filters that add a form (the parts of
a hyphenated word, a surface form next to a lemma) yield it at the same position and offsets as
the token it comes from. Config (language, options) is the only state, so filters pickle small
and compare equal by config; dictionaries live in module caches (`searchlib.analysis.morph`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import Filter, Token

from searchlib.analysis.morph import lemmatise, name_lemma, stem_english
from searchlib.analysis.stopwords import STOP_WORDS
from searchlib.analysis.tokenizers import HYPHENS
from searchlib.model import Lang
from searchlib.text.normalise import normalise_word
from searchlib.text.translit import learnt_key, skeleton_key, translit_key

__all__ = [
    "CompoundFilter",
    "NormaliseFilter",
    "StopWordFilter",
    "LemmaFilter",
    "SnowballStemFilter",
    "TranslitFilter",
    "lowercase_name_key",
]

_HYPHEN_SPLIT = re.compile("[" + re.escape(HYPHENS) + "]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ALL_STOPS = frozenset().union(*STOP_WORDS.values())
_CHAIN_STOPS = {
    Lang.UK: STOP_WORDS[Lang.UK] | STOP_WORDS[Lang.EN],
    Lang.RU: STOP_WORDS[Lang.RU] | STOP_WORDS[Lang.EN],
    Lang.EN: STOP_WORDS[Lang.EN],
}
"""The stop words each language's chain drops (the scripts do not overlap)."""
_SURFACE_MODES = ("none", "names", "all")


class _ConfigFilter(Filter):
    """A filter whose equality and hash come from its config (its ``__dict__``)."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, tuple(sorted(self.__dict__.items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.__dict__.items()))
        return f"{self.__class__.__name__}({args})"


class CompoundFilter(_ConfigFilter):
    """At index time, add the parts of a hyphenated word after the whole word.

    The parts share the whole word's position, so a phrase that starts or ends inside the
    compound still matches, and each part's offsets cover only that part. At query time only the
    whole word is kept: it is indexed as a whole, and a query of several tokens at one position
    would turn into an AND of the parts.

    >>> from searchlib.analysis.tokenizers import WordTokenizer
    >>> chain = WordTokenizer() | CompoundFilter()
    >>> [(t.text, t.pos, t.startchar, t.endchar)
    ...  for t in chain("прем'єр-міністр", positions=True, chars=True, mode="index")]
    [("прем'єр-міністр", 0, 0, 15), ("прем'єр", 0, 0, 7), ('міністр', 0, 8, 15)]
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if t.mode == "query" or not _HYPHEN_SPLIT.search(t.text):
                yield t
                continue
            # Downstream filters may change the token in place: keep what the parts need.
            whole = t.text
            start = t.startchar if t.chars else 0
            pos = t.pos if t.positions else 0
            yield t
            offset = 0
            for part in _HYPHEN_SPLIT.split(whole):
                t.text = part
                if t.positions:
                    t.pos = pos
                if t.chars:
                    t.startchar = start + offset
                    t.endchar = start + offset + len(part)
                offset += len(part) + 1
                yield t
            t.text = whole


class NormaliseFilter(_ConfigFilter):
    """Fold the token text with `searchlib.text.normalise_word` (apostrophes, stress marks,
    invisible characters, homoglyphs, optionally ё -> е) and remember whether it was capitalised.

    >>> from searchlib.analysis.tokenizers import WordTokenizer
    >>> [t.text for t in (WordTokenizer() | NormaliseFilter())("М’ясо Расiя ёлка")]
    ["М'ясо", 'Расія', 'елка']
    """

    def __init__(self, fold_yo: bool = True) -> None:
        self.fold_yo = fold_yo

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        fold_yo = self.fold_yo
        # Words repeat (news text: > 90% of tokens are words seen before), and folding one costs
        # several passes over it: memoise, as the lemma cache does (issue 7: indexing speed).
        cache = _NORMALISED[fold_yo]
        for t in tokens:
            text = cache.get(t.text)
            if text is None:
                if len(cache) >= _NORMALISED_LIMIT:
                    cache.clear()
                text = cache[t.text] = normalise_word(t.text, fold_yo=fold_yo)
            t.capitalised = text[:1].isupper()
            t.text = text
            yield t


_NORMALISED: dict[bool, dict[str, str]] = {True: {}, False: {}}
_NORMALISED_LIMIT = 200_000


class StopWordFilter(_ConfigFilter):
    """Drop (or mark, when ``removestops=False``) the stop words of a language; uk/ru chains
    drop the English ones too, so a Latin-script phrase inside a Cyrillic text gives the terms
    it gives in an English text (issue 18).

    Positions are renumbered to close the gaps, as Whoosh's `StopFilter` does, but tokens that
    share a position (a compound and its parts) keep sharing it.

    >>> from searchlib.analysis.tokenizers import WordTokenizer
    >>> chain = WordTokenizer() | StopWordFilter(Lang.UK)
    >>> [(t.text, t.pos) for t in chain("план дій і заходи", positions=True)]
    [('план', 0), ('дій', 1), ('заходи', 2)]
    """

    def __init__(self, lang: Lang, maxsize: int = 255) -> None:
        self.lang = Lang(lang)
        self.maxsize = maxsize

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stops = _CHAIN_STOPS[self.lang]
        maxsize = self.maxsize
        last_in: int | None = None
        last_out = -1
        for t in tokens:
            if t.text in stops or len(t.text) > maxsize:
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            if t.positions:
                if t.pos != last_in:
                    last_in = t.pos
                    last_out += 1
                t.pos = last_out
            t.stopped = False
            yield t


class LemmaFilter(_ConfigFilter):
    """Replace uk/ru words by their lemma (`searchlib.analysis.morph.lemmatise`, ё folded;
    a word `NormaliseFilter` saw capitalised may take a name's lemma: ``Ігор`` -> ігор).

    One token per word, at index and query time alike, so a quoted phrase analysed by this
    chain is still one word per position. Surface forms live in the ``*_exact`` fields
    (`build_exact_analyzer`): that is where ``Карні`` (Carney, whose lemma is ``карний``,
    "criminal") stays findable as written, by ``=Карні`` or by the exact-form bonus of the
    query stage. `surface` can add the surface form at the same position for ``"names"``
    (capitalised words) or ``"all"`` words; measured on the known-item benchmark, ``"names"``
    did not help (uk MRR@10 0.765 against 0.770 without), so the default is ``"none"``.

    Words without Cyrillic letters are analysed as the English chain analyses them (issue 18):
    ASCII words (``Nord``, ``iPhones``, ``NATO``, numbers) take their Porter2 stem, other Latin
    words stay as they are. So a Latin-script word inside a uk/ru article holds the same term
    as in an English article, and a query word analysed in any language finds it in every one.

    >>> from searchlib.analysis.tokenizers import WordTokenizer
    >>> from whoosh.analysis import LowercaseFilter
    >>> chain = WordTokenizer() | NormaliseFilter() | LowercaseFilter() | LemmaFilter(Lang.UK)
    >>> [t.text for t in chain("Карні відвідав Канаду", mode="index")]
    ['карний', 'відвідати', 'канада']
    >>> [t.text for t in chain("Про iPhones і Nord Stream", mode="index")]
    ['про', 'iphon', 'і', 'nord', 'stream']
    >>> chain = WordTokenizer() | NormaliseFilter() | LowercaseFilter() | LemmaFilter(
    ...     Lang.UK, surface="names")
    >>> [t.text for t in chain("Карні відвідав Канаду", mode="index")]
    ['карний', 'карні', 'відвідати', 'канада', 'канаду']
    """

    is_morph = True

    def __init__(self, lang: Lang, surface: str = "none") -> None:
        if surface not in _SURFACE_MODES:
            raise ValueError(f"surface must be one of {_SURFACE_MODES}, not {surface!r}")
        self.lang = Lang(lang)
        self.surface = surface

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        lang = self.lang
        surface_mode = self.surface
        for t in tokens:
            if t.stopped or not _CYRILLIC.search(t.text):
                if not t.stopped and t.text.isascii():
                    t.text = stem_english(t.text)
                yield t
                continue
            surface = t.text
            lemma = lemmatise(surface, lang, getattr(t, "capitalised", False))
            t.text = lemma
            yield t
            if lemma != surface and (
                surface_mode == "all"
                or (surface_mode == "names" and getattr(t, "capitalised", False))
            ):
                t.text = surface
                yield t


class SnowballStemFilter(_ConfigFilter):
    """Snowball stems via PyStemmer (``english`` is Porter2; ``porter`` and ``russian`` work too).

    English stems apply to ASCII words only, other algorithms to Cyrillic words only, so a
    foreign name inside a text keeps its form. The possessive ``'s`` goes with the stem.

    >>> from searchlib.analysis.tokenizers import WordTokenizer
    >>> from whoosh.analysis import LowercaseFilter
    >>> chain = WordTokenizer() | LowercaseFilter() | SnowballStemFilter()
    >>> [t.text for t in chain("Elections Trump's")]
    ['elect', 'trump']
    """

    is_morph = True

    def __init__(self, algorithm: str = "english") -> None:
        self.algorithm = algorithm

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        algorithm = self.algorithm
        latin = algorithm in ("english", "porter")
        for t in tokens:
            if not t.stopped and (
                t.text.isascii() if latin else _CYRILLIC.search(t.text) is not None
            ):
                t.text = stem_english(t.text, algorithm)
            yield t


def lowercase_name_key(word: str) -> str | None:
    """The names key of a lowercase (normalised) word at index time: the learnt table's key of
    a Cyrillic word's skeleton, else None (the word is not indexed as a name).

    >>> lowercase_name_key("брекзиту"), lowercase_name_key("зустріч"), lowercase_name_key("trump")
    ('bregit', None, None)
    """
    if not _CYRILLIC.search(word):
        return None
    return learnt_key(skeleton_key(word.lower()))


class TranslitFilter(_ConfigFilter):
    """Names across scripts: replace a word by its script-independent key
    (`searchlib.text.translit.translit_key`), after taking Cyrillic words to their lemma.

    At index time only capitalised words are kept (names; sentence-initial words come along and
    do little harm), and lowercase Cyrillic words whose key the learnt table holds (``брекзит``,
    ``#москва``: `searchlib.text.translit.learnt_key`, keyed from the surface form, no lemma);
    at query time every word is keyed, so ``zelensky`` typed in lowercase still finds
    ``Зеленського``. Stop words of every language and keys under three letters are dropped. A
    capitalised Cyrillic word is lemmatised with the Ukrainian dictionary when it knows the
    word, else the Russian one, else its ending is stripped.

    >>> from searchlib.analysis.tokenizers import WordTokenizer
    >>> chain = WordTokenizer() | NormaliseFilter() | TranslitFilter()
    >>> [t.text for t in chain("Зустріч Зеленського і Zelensky у Києві", mode="index")]
    ['zustrich', 'zelensk', 'zelensk', 'kiv']
    >>> [t.text for t in chain("Трамп про брекзит і Brexit", mode="index")]
    ['trump', 'bregit', 'bregit']
    """

    is_morph = True

    def __init__(self, min_length: int = 3) -> None:
        self.min_length = min_length

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        min_length = self.min_length
        for t in tokens:
            if t.stopped:
                yield t
                continue
            word = t.text.lower()
            if word in _ALL_STOPS:
                continue
            if t.mode != "query" and not getattr(t, "capitalised", t.text[:1].isupper()):
                key = lowercase_name_key(word)
                if key is not None and len(key) >= min_length:
                    t.text = key
                    yield t
                continue
            if _CYRILLIC.search(word):
                word = name_lemma(word)
            key = translit_key(word)
            if len(key) >= min_length:
                t.text = key
                yield t
