"""The searchlib analyzer chains and their registry of names and versions.

Each builder returns a Whoosh chain (``tokenizer | filter | ...``) that indexing, querying and
highlighting share, wrapped in a `MemoAnalyzer` so that its filters run once per distinct word
(same tokens as the plain chain). Chains are registered under ``<name>@<version>``; the index
stores `ANALYZER_VERSION` and refuses to open with another one (bump it whenever any chain would
emit different tokens for the same text).
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.analysis import Analyzer, LowercaseFilter

from searchlib.analysis.filters import (
    CompoundFilter,
    LemmaFilter,
    NormaliseFilter,
    SnowballStemFilter,
    StopWordFilter,
    TranslitFilter,
)
from searchlib.analysis.memo import MemoAnalyzer
from searchlib.analysis.tokenizers import WordTokenizer
from searchlib.model import Lang

__all__ = [
    "ANALYZER_VERSION",
    "ANALYZERS",
    "build_analyzer",
    "build_exact_analyzer",
    "build_translit_analyzer",
]

ANALYZER_VERSION = "searchlib-analysis@6"


def build_analyzer(lang: Lang) -> MemoAnalyzer:
    """The morphological chain of a language (fields ``title_<lang>`` / ``text_<lang>``).

    uk/ru: words | parts of hyphenated words (index time) | normalise | lowercase | stop words
    | pymorphy3 lemma. en: the same up to stop words, then Snowball (Porter2) stems. At query
    time every word gives exactly one token, so phrases analysed by this chain stay aligned.
    A Latin-script word gets the same term from every language's chain (English stop words
    dropped, ASCII words stemmed), so ``"Nord Stream"`` or ``iPhone`` typed in any language
    finds the Russian and Ukrainian articles that quote it. Plural-only nouns share the lemma
    of the noun whose plural they are (`searchlib.analysis.morph.canonical_lemma`).

    >>> [t.text for t in build_analyzer(Lang.UK)("У Канаді говорили про м’ясо")]
    ['канада', 'говорити', "м'ясо"]
    >>> [t.text for t in build_analyzer(Lang.RU)("The Nord Stream AG и выборы")]
    ['nord', 'stream', 'ag', 'выбор']
    >>> [t.text for t in build_analyzer(Lang.RU)("Вопросы обороны")]
    ['вопрос', 'оборона']
    >>> [t.text for t in build_analyzer(Lang.EN)("The elections in Canada")]
    ['elect', 'canada']
    """
    lang = Lang(lang)
    chain = (
        WordTokenizer()
        | CompoundFilter()
        | NormaliseFilter(fold_yo=True)
        | LowercaseFilter()
        | StopWordFilter(lang)
    )
    if lang is Lang.EN:
        return MemoAnalyzer(chain | SnowballStemFilter("english"))
    return MemoAnalyzer(chain | LemmaFilter(lang))


def build_exact_analyzer() -> MemoAnalyzer:
    """Surface forms in any language (fields ``title_exact`` / ``text_exact``): phrase search and
    the exact-form syntax. Same words and normalisation, lowercase, no stop words, no lemmas.

    >>> [(t.text, t.pos) for t in build_exact_analyzer()("Прем’єр-міністр у Києві",
    ...                                                 positions=True, mode="index")]
    [("прем'єр-міністр", 0), ("прем'єр", 0), ('міністр', 0), ('у', 1), ('києві', 2)]
    """
    return MemoAnalyzer(
        WordTokenizer() | CompoundFilter() | NormaliseFilter(fold_yo=True) | LowercaseFilter()
    )


def build_translit_analyzer() -> MemoAnalyzer:
    """Names across scripts (field ``names``: title and text of every article, any language).

    Index time: capitalised words only, each as its script-independent key; query time: every
    word. ``Zelenskyy``, ``Зеленський``, ``Зеленского`` and ``Zelensky`` share the key
    ``zelensk``. Search this field with a low boost so that same-script matches rank first.

    >>> [t.text for t in build_translit_analyzer()("Zelenskyy", mode="query")]
    ['zelensk']
    >>> [t.text for t in build_translit_analyzer()("Візит Зеленського до Канади", mode="index")]
    ['vizit', 'zelensk', 'kanad']
    """
    return MemoAnalyzer(
        WordTokenizer() | CompoundFilter() | NormaliseFilter(fold_yo=True) | TranslitFilter()
    )


ANALYZERS: dict[str, Callable[[], Analyzer]] = {
    "uk-lemma@5": lambda: build_analyzer(Lang.UK),
    "ru-lemma@4": lambda: build_analyzer(Lang.RU),
    "en-snowball@2": lambda: build_analyzer(Lang.EN),
    "exact@1": build_exact_analyzer,
    "translit@3": build_translit_analyzer,
}
"""Every chain by ``name@version``; `ANALYZER_VERSION` covers them all."""
