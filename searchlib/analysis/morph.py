"""Lemmas for Ukrainian and Russian (pymorphy3) and English stems (PyStemmer), with caches.

The dictionaries load lazily on first use into module-level caches, so importing this module
(and pickling or comparing the filters that use it) costs nothing. Words the dictionary does not
know (new names, war-time words such as "шахедів") get a suffix-stripped stem instead of
pymorphy3's guess: the guess for each inflected form of an unknown word often differs (it is a
paradigm prediction per form), while stripping the inflection makes "Байрактара"/"Байрактаром"
meet.
"""

from __future__ import annotations

import sys
import threading
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from searchlib.errors import ConfigError
from searchlib.model import Lang

__all__ = [
    "lemmatise",
    "choose_lemma",
    "word_lemma_key",
    "candidate_lemmas",
    "canonical_lemma",
    "strip_ending",
    "name_lemma",
    "lemma_sources",
    "stem_english",
    "cache_stats",
    "clear_caches",
]

_CACHE_LIMIT = 400_000
_MORPH: dict[Lang, Any] = {}
_LEMMAS: dict[tuple[Lang, bool], dict[str, str]] = {}
_PRIORS: dict[Lang, dict[str, int]] = {}
_UNCHANGING = frozenset({"ADVB", "CONJ", "PREP", "PRCL", "INTJ", "PRED", "COMP", "NPRO", "NUMR"})
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


def _dictionary_path(lang: Lang) -> str | None:
    """The installed dictionary's folder, found without pymorphy3's entry-point scan.

    The scan imports `importlib.metadata` and reads every installed package's metadata: ~0.1 s
    of a 0.5 s cold start (issue 7). None (pymorphy3 decides) when the user points pymorphy3
    at a dictionary with its environment variable, or the package has no `get_path`.
    """
    import importlib
    import os

    if "PYMORPHY2_DICT_PATH" in os.environ or "PYMORPHY3_DICT_PATH" in os.environ:
        return None
    try:
        return str(importlib.import_module(f"pymorphy3_dicts_{lang}").get_path())
    except (ImportError, AttributeError):
        return None


class _LazyTags(Sequence[Any]):
    """A dictionary's tag table that parses each tag string on first use.

    pymorphy3 parses all of them when it loads a dictionary (4k uk, 5.5k ru: 15-30 ms of a cold
    search, issue 7) though a search meets a few dozen; it only ever indexes the table.
    """

    def __init__(self, tag_class: Any, strings: list[str]) -> None:
        self._tag_class = tag_class
        self._strings = strings
        self._tags: list[Any] = [None] * len(strings)

    def __len__(self) -> int:
        return len(self._strings)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        tag = self._tags[index]
        if tag is None:
            tag = self._tags[index] = self._new_tag(self._strings[index])
        return tag

    def _new_tag(self, text: str) -> Any:
        try:
            return self._tag_class(text)
        except ValueError:
            # A tag checks its grammemes against its class's known set, which every dictionary
            # load resets to that dictionary's own (uk and ru share the class): make every
            # loaded dictionary's grammemes known again, keeping the current aliases.
            for name, alias in _KNOWN_GRAMMEMES.items():
                self._tag_class.add_grammemes_to_known(name, alias, overwrite=False)
            return self._tag_class(text)


_KNOWN_GRAMMEMES: dict[str, str] = {}
"""Name -> alias of the grammemes of every dictionary loaded in this process."""


def _load_dictionary(path: str, gramtab_format: str = "opencorpora-int") -> Any:
    """`pymorphy3.opencorpora_dict.storage.load_dict` (2.0.6) with a `_LazyTags` tag table."""
    import os

    from pymorphy3 import dawg
    from pymorphy3.opencorpora_dict import storage

    def file(name: str) -> str:
        return os.path.join(path, name)

    meta = storage.load_meta(file("meta.json"))
    storage._assert_format_is_compatible(meta, path)
    tag_class = storage._load_tag_class(gramtab_format, file("grammemes.json"))
    for name, alias in tag_class._LAT2CYR.items():  # this dictionary's, just registered
        _KNOWN_GRAMMEMES.setdefault(name, alias)
    prefixes = meta["compile_options"]["paradigm_prefixes"]
    return storage.LoadedDictionary(
        meta=meta,
        gramtab=_LazyTags(tag_class, storage._load_gramtab(meta, gramtab_format, path)),
        suffixes=storage.json_read(file("suffixes.json")),
        paradigms=_load_paradigms(file("paradigms.array")),
        words=dawg.WordsDawg().load(file("words.dawg")),
        prediction_suffixes_dawgs=[
            dawg.PredictionSuffixesDAWG().load(file(f"prediction-suffixes-{number}.dawg"))
            for number in range(len(prefixes))
        ],
        Tag=tag_class,
        paradigm_prefixes=prefixes,
    )


def _load_paradigms(path: str) -> list[array]:
    """`storage._load_paradigms`, sliced from one read of the file: it is 16-bit numbers (the
    paradigm count, then each paradigm's length and items), and pymorphy3 read it a paradigm
    at a time (~10 ms per dictionary)."""
    numbers = array("H")
    with open(path, "rb") as file:
        numbers.frombytes(file.read())
    if sys.byteorder == "big":
        numbers.byteswap()
    paradigms = []
    start = 1
    for _ in range(numbers[0]):
        end = start + 1 + numbers[start]
        paradigms.append(numbers[start + 1:end])
        start = end
    return paradigms


def _load_analyzer(pymorphy3: Any, lang: Lang) -> Any:
    """A `pymorphy3.MorphAnalyzer` for `lang` whose dictionary loads with `_load_dictionary`
    (the dictionary wrapper's loader is swapped for the call; the caller holds `_LOCK`)."""
    from pymorphy3.opencorpora_dict import wrapper

    own_loader = wrapper.load_dict
    wrapper.load_dict = _load_dictionary
    try:
        return pymorphy3.MorphAnalyzer(path=_dictionary_path(lang), lang=str(lang))
    finally:
        wrapper.load_dict = own_loader


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
                    analyzer = _load_analyzer(pymorphy3, lang)
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


def candidate_lemmas(word: str, lang: Lang) -> tuple[str, ...]:
    """The distinct dictionary lemmas of a word in pymorphy3's order (ё folded, plural-only
    nouns as their singular: `canonical_lemma`), or the stripped stem alone when the dictionary
    does not know the word."""
    parses = _morph(lang).parse(word)
    known = [canonical_lemma(p.normal_form.replace("ё", "е"), lang) for p in parses if p.is_known]
    if not known:
        return (strip_ending(word, lang),)
    return tuple(dict.fromkeys(known))


_CANONICAL: dict[tuple[Lang, str], str] = {}


def canonical_lemma(lemma: str, lang: Lang) -> str:
    """The lemma that names a dictionary lemma's word: a plural-only noun (pymorphy3's
    ``Pltm``) whose every form is also a plural form of a regular noun is that noun, so all
    their forms meet whichever is typed (uk ``вибори``/``виборів`` with ``вибір``, ``новини``
    with ``новина``, ru ``выборы`` with ``выбор``); other lemmas are themselves. A plural-only
    noun with a form of its own (uk ``гроші``: ``грошей``) stays apart from the other noun
    (``гріш``: ``грошів``). Decided from the dictionary's paradigms, not a word list.

    >>> canonical_lemma("вибори", Lang.UK), canonical_lemma("гроші", Lang.UK)
    ('вибір', 'гроші')
    >>> canonical_lemma("выборы", Lang.RU)
    'выбор'
    """
    key = (lang, lemma)
    known = _CANONICAL.get(key)
    if known is not None:
        return known
    canonical = lemma
    parses = [p for p in _morph(lang).parse(lemma) if p.is_known]
    plural_only = next((p for p in parses if "Pltm" in p.tag.grammemes
                        and p.normal_form.replace("ё", "е") == lemma), None)
    if plural_only is not None:
        forms = {form.word.replace("ё", "е") for form in plural_only.lexeme}
        singulars = sorted({
            p.normal_form.replace("ё", "е") for p in parses
            if p.tag.POS == "NOUN" and "Pltm" not in p.tag.grammemes and "plur" in p.tag
            and p.normal_form.replace("ё", "е") != lemma
            and forms <= {form.word.replace("ё", "е") for form in p.lexeme}
        })
        if singulars:
            canonical = singulars[0]
    if len(_CANONICAL) >= _CACHE_LIMIT:
        _CANONICAL.clear()
    _CANONICAL[key] = canonical
    return canonical


def _prior(lang: Lang) -> dict[str, int]:
    prior = _PRIORS.get(lang)
    if prior is None:
        from searchlib.analysis.prior import load_prior

        prior = load_prior() if lang is Lang.UK else {}
        _PRIORS[lang] = prior
    return prior


def _word_lemmas(lang: Lang) -> dict[str, str]:
    table = _WORD_LEMMAS.get(lang)
    if table is None:
        from searchlib.analysis.prior import load_word_lemmas

        table = _WORD_LEMMAS[lang] = load_word_lemmas() if lang is Lang.UK else {}
    return table


_WORD_LEMMAS: dict[tuple[Lang, bool], dict[str, str]] = {}
_PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr"})
"""pymorphy3's grammemes of proper nouns (names, surnames, places, organisations, brands)."""
_NAME_BONUS = 3
"""How much more likely a proper-noun lemma is for a capitalised word than its lemma prior says
(uk). Brown-UK, net tokens fixed on the even/odd halves of its files: 2 +11/+0, 3 +28/+32,
5 +24/+21 (Ігор, Дудко, Марченко; 5 starts turning Львові into лев)."""
_NOT_NAMES = frozenset({"NPRO", "ADJF", "ADJS", "PRTF", "PRTS", "NUMR"})
"""Parts of speech whose capitalised words stay themselves (Українська, Мені, Усі)."""


def word_lemma_key(word: str, capitalised: bool) -> str:
    """The key of a word in the learnt word table: capitalised words start with a capital."""
    return word[:1].upper() + word[1:] if capitalised else word


def choose_lemma(word: str, lang: Lang, capitalised: bool = False,
                 learnt: bool = True) -> str:
    """The lemma of a lowercase, normalised word, uncached (`lemmatise`); `learnt=False` leaves
    out the learnt word table (to learn it)."""
    # A word the dictionary does not know has no known parse: skip pymorphy3's predictors, the
    # costliest part of parsing (issue 7: indexing speed).
    if _has_foreign_letter(word, lang):
        return strip_ending(word, lang)
    morph = _morph(lang)
    written = word
    if lang is Lang.UK and "ґ" in word and morph.word_is_known(word.replace("ґ", "г")):
        word = word.replace("ґ", "г")  # ``реґіону`` is analysed as ``регіону``
    if not morph.word_is_known(word):
        return _unknown_word_lemma(word, lang)
    # A known word's parses are all the dictionary's (its analyser runs first and ends the
    # parse when it finds the word), each a known form: no `is_known` check per parse.
    parses = morph.parse(word)
    if lang is not Lang.UK:
        # Russian parses come ordered by pymorphy3's frequency estimate: the first one wins.
        return _lemma_of(parses[0], lang)
    lemmas = tuple(dict.fromkeys(_lemma_of(p, lang) for p in parses))
    # A lemma spelt with ґ beside the same lemma spelt with г (``реґіон`` / ``регіон``,
    # ``вашинґтон`` / ``вашингтон``) is one word: the г spelling (Brown-UK: +123 tokens).
    lemmas = tuple(dict.fromkeys(_usual_spelling(lemma, lemmas) for lemma in lemmas))
    if len(lemmas) == 1:
        return lemmas[0]
    return _ukrainian_choice(word, written, parses, lemmas, capitalised, learnt)


def _ukrainian_choice(word: str, written: str, parses: list[Any], lemmas: tuple[str, ...],
                      capitalised: bool, learnt: bool) -> str:
    """The lemma of a known Ukrainian word (`written`, looked up as `word`) among its two or
    more dictionary `lemmas` (from `parses`)."""
    lang = Lang.UK
    if any(_PROPER & p.tag.grammemes for p in parses):
        _NAME_WORDS.add(written)  # its capitalised form may take another lemma
    # Ukrainian. A word whose lemma Brown-UK's hand-checked texts give most of the time
    # (``стану`` -> стан, ``заяви`` -> заява, ``свята`` -> свято): `prior.load_word_lemmas`.
    if learnt:
        known = _word_lemmas(lang).get(word_lemma_key(word, capitalised))
        if known is not None:
            return known
    # A word that is itself an unchanging word (conjunction, preposition, adverb, particle,
    # pronoun, numeral, plural-only noun) is that word (та, коли, дуже, його, гроші), not a form
    # of a rarer inflected lemma (той, кола, дужий, йога, гріш). Else the lemma prior decides.
    # Tuned on half of Brown-UK, checked on the other half: 93.6% -> 96.2%. A plural-only noun
    # that is the plural of a regular one is that one (`canonical_lemma`).
    for parse in parses:
        if parse.normal_form == word and (
            parse.tag.POS in _UNCHANGING or "Pltm" in parse.tag.grammemes
        ):
            return canonical_lemma(word, lang)
    prior = _prior(lang)
    # Highest prior wins; pymorphy3's order breaks ties (max keeps the first maximum).
    lemma = max(lemmas, key=lambda lemma: prior.get(lemma, 0))
    if capitalised:
        lemma = _name_lemma_choice(parses, lemmas, lemma, prior, lang)
    return lemma


_BASE_ENDINGS = ("", "а", "я", "о", "е", "ь", "й", "ий", "ый", "ой", "і", "и", "ы")
"""Endings a lemma may put on a stem (`_unknown_word_lemma`), tried in this order."""


def _unknown_word_lemma(word: str, lang: Lang) -> str:
    """A word the dictionary does not know: the dictionary lemma whose stem (`strip_ending`) is
    the word's stem, else that stem. So the forms of a name the dictionary holds only partly
    meet: ru ``Теслы``/``Теслой`` (unknown) go to ``тесло`` as ``Тесла``/``Теслу`` do."""
    stem = strip_ending(word, lang)
    morph = _morph(lang)
    for ending in _BASE_ENDINGS:
        lemma = stem + ending
        if lemma != word and not _has_foreign_letter(lemma, lang) and morph.word_is_known(lemma):
            # A known word's parses are all known (`choose_lemma`).
            if strip_ending(lemma, lang) == stem and any(
                    parse.normal_form == lemma for parse in morph.parse(lemma)
            ) and canonical_lemma(lemma, lang) == lemma:
                return lemma
    return stem


def _lemma_of(parse: Any, lang: Lang) -> str:
    return canonical_lemma(parse.normal_form.replace("ё", "е"), lang)


def _usual_spelling(lemma: str, lemmas: tuple[str, ...]) -> str:
    """`lemma` with ґ spelt г when `lemmas` also holds that spelling."""
    if "ґ" in lemma:
        usual = lemma.replace("ґ", "г")
        if usual in lemmas:
            return usual
    return lemma


def _name_lemma_choice(parses: list[Any], lemmas: tuple[str, ...], lemma: str,
                       prior: dict[str, int], lang: Lang) -> str:
    """For a capitalised word: a proper-noun lemma (``Ігор`` -> ігор, not гра; ``Дудко`` ->
    дудко, not дудка) when its prior times `_NAME_BONUS` beats the chosen `lemma`'s, unless
    `lemma` is a pronoun, adjective or numeral (``Українська``, ``Мені``)."""
    if not any(_PROPER & p.tag.grammemes for p in parses):
        return lemma
    best, best_score = lemma, 0
    for parse in parses:
        candidate = _usual_spelling(_lemma_of(parse, lang), lemmas)
        if candidate == lemma and parse.tag.POS in _NOT_NAMES:
            return lemma
        score = (prior.get(candidate, 0) + 1) * (
            _NAME_BONUS if _PROPER & parse.tag.grammemes else 1)
        if score > best_score or (score == best_score and candidate == lemma):
            best, best_score = candidate, score
    return best


def lemmatise(word: str, lang: Lang, capitalised: bool = False) -> str:
    """The lemma of a lowercase, normalised uk/ru word (ё folded to е); `capitalised` says the
    word was written with a capital (a name's lemma is preferred, Ukrainian).

    One lemma per word, whatever its neighbours: a query word has none, so a lemma chosen from
    context at index time could differ from the query's (measured on Brown-UK: a noun after a
    preposition, a verb after a pronoun fixed 29 tokens and broke 8 of 163k; not worth losing
    the per-word memo). Russian takes pymorphy3's first parse; Ukrainian, whose dictionary has
    no frequencies, takes the learnt word table, the rule and lemma prior and the name bonus of
    `choose_lemma`. An out-of-dictionary word takes the dictionary lemma of its stem, else the
    stem (its inflectional ending stripped).

    >>> lemmatise("канади", Lang.UK), lemmatise("стану", Lang.UK)
    ('канада', 'стан')
    >>> lemmatise("ігор", Lang.UK), lemmatise("ігор", Lang.UK, capitalised=True)
    ('гра', 'ігор')
    >>> lemmatise("обороны", Lang.RU)
    'оборона'
    """
    lemma, computed = _cached_lemma(word, lang, False)
    if capitalised and lang is Lang.UK and (
            word in _NAME_WORDS or word_lemma_key(word, True) in _word_lemmas(lang)):
        lemma, named = _cached_lemma(word, lang, True)
        computed = computed or named
    _STATS["misses" if computed else "hits"] += 1  # per word, however many lemmas it took
    return lemma


_NAME_WORDS: set[str] = set()
"""Ukrainian words with a proper-noun parse among several lemmas, met by `choose_lemma`: only
their capitalised forms (and those of the word table) are analysed apart from the lowercase
ones. Emptied with the lowercase lemma cache, so a word is never missing while its lemma is
cached."""


def _cached_lemma(word: str, lang: Lang, capitalised: bool) -> tuple[str, bool]:
    """`choose_lemma`'s lemma from the cache, or computed and cached (then True)."""
    key = (lang, capitalised)
    cache = _LEMMAS.get(key)
    if cache is None:
        cache = _LEMMAS.setdefault(key, {})
    lemma = cache.get(word)
    if lemma is not None:
        return lemma, False
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
        if not capitalised and lang is Lang.UK:
            _NAME_WORDS.clear()
    lemma = cache[word] = choose_lemma(word, lang, capitalised)
    return lemma, True


_SOURCES: dict[tuple[Lang, str], frozenset[str]] = {}
_SOURCES_LIMIT = 10_000
"""Lemmas whose sources are remembered (a few hundred bytes to a few kB each)."""
_SUBSTITUTES = {Lang.UK: ("ґ", "г"), Lang.RU: ("ё", "е")}
"""The letter pymorphy3 lets a word write as another (dictionary letter, written letter)."""


def lemma_sources(lemma: str, lang: Lang) -> frozenset[str]:
    """Every word that `lemmatise` can turn into `lemma`, and a few more (a superset): the
    forms of each dictionary lexeme whose normal form is `lemma` (with ``ґ``/``ё`` also written
    ``г``/``е``, as pymorphy3 accepts them; uk: also the lexemes of its ґ spelling), `lemma`
    itself, and `lemma` and its stem plus each ending `strip_ending` removes (words the
    dictionary does not know: `_unknown_word_lemma`). The highlighter analyses only the words
    in this set (issue 7: cold start); ``tests/query/test_highlight.py`` checks it against
    `lemmatise` on real text.

    >>> sorted(w for w in lemma_sources("київ", Lang.UK) if w.startswith("києв"))
    ['києва', 'києве', 'києвом', 'києву', 'києві']
    """
    key = (lang, lemma)
    sources = _SOURCES.get(key)
    if sources is not None:
        return sources
    written, common = _SUBSTITUTES[lang]
    stem = strip_ending(lemma, lang)
    forms = {lemma, stem, *(base + ending for base in (lemma, stem) for ending in _ENDINGS[lang])}
    for parse in _morph(lang).parse(lemma):
        normal = parse.normal_form.replace("ё", "е")
        if parse.is_known and (normal == lemma or normal.replace("ґ", "г") == lemma):
            for form in parse.lexeme:
                forms |= _spellings(form.word, written, common)
    if len(_SOURCES) >= _SOURCES_LIMIT:
        _SOURCES.clear()
    sources = _SOURCES[key] = frozenset(forms)
    return sources


def _spellings(word: str, written: str, common: str) -> set[str]:
    """`word` with each subset of its `written` letters spelt `common` instead."""
    spellings = {""}
    for letter in word:
        spellings = {s + letter for s in spellings} | (
            {s + common for s in spellings} if letter == written else set())
    return spellings


_NAME_LEMMAS: dict[str, str] = {}


def name_lemma(word: str) -> str:
    """The lemma of a lowercase Cyrillic word of unknown language (for names across scripts):
    Ukrainian when that dictionary knows the word, else Russian, else the word without its
    ending.

    >>> name_lemma("зеленського"), name_lemma("зеленского"), name_lemma("києва")
    ('зеленський', 'зеленск', 'київ')
    """
    lemma = _NAME_LEMMAS.get(word)
    if lemma is not None:
        _STATS["hits"] += 1
        return lemma
    _STATS["misses"] += 1
    for lang in (Lang.UK, Lang.RU):
        if _word_is_known(word, lang):
            lemma = lemmatise(word, lang)
            break
    else:
        lemma = strip_ending(word, Lang.UK)
    if len(_NAME_LEMMAS) >= _CACHE_LIMIT:
        _NAME_LEMMAS.clear()
    _NAME_LEMMAS[word] = lemma
    return lemma


_FOREIGN_LETTERS = {Lang.RU: frozenset("іїєґ"), Lang.UK: frozenset("ыэъё")}
"""Letters that no word of the language's dictionary holds (checked over both word lists: none of
Russian's 5.1M words, none of Ukrainian's 6.5M), so a word with one is unknown there without
loading the dictionary: a query is analysed in every language (issue 18), and `Київ` in the
Russian fields would otherwise load all of Russian for a cold Ukrainian search."""


def _has_foreign_letter(word: str, lang: Lang) -> bool:
    foreign = _FOREIGN_LETTERS.get(lang)
    return foreign is not None and not foreign.isdisjoint(word)


def _word_is_known(word: str, lang: Lang) -> bool:
    """`_morph(lang).word_is_known(word)`, read from the dictionary's word list alone while the
    rest of it is not loaded: a name lemma asks Russian about every capitalised word Ukrainian
    does not know, and loading all of Russian cost 30-45 ms of a cold Ukrainian search whose
    snippets met a few unknown names (issue 7)."""
    if _has_foreign_letter(word.lower(), lang):
        return False
    known = None if lang in _MORPH else _WORDS.get(lang) or _load_words(lang)
    if known is None:
        return bool(_morph(lang).word_is_known(word))
    words, substitutes = known
    word = word.lower()
    return bool(words.similar_keys(word, substitutes)) if substitutes else word in words


def _load_words(lang: Lang) -> tuple[Any, Any] | None:
    """A dictionary's words and its letter substitutes (ru е→ё, uk г→ґ), as
    `MorphAnalyzer.word_is_known` uses them; None when pymorphy3 finds the dictionary itself."""
    import os

    path = _dictionary_path(lang)
    if path is None:
        return None
    import pymorphy3.lang
    from pymorphy3 import dawg

    words = dawg.WordsDawg().load(os.path.join(path, "words.dawg"))
    substitutes = getattr(getattr(pymorphy3.lang, str(lang)), "CHAR_SUBSTITUTES", None)
    known = _WORDS[lang] = (words, words.compile_replaces(substitutes or {}))
    return known


_WORDS: dict[Lang, tuple[Any, Any]] = {}
"""Per language, `_load_words` (used until the whole dictionary is loaded)."""

_STEMMERS: dict[str, Callable[[str], str]] = {}
_STEMS: dict[str, str] = {}


def stem_english(word: str, algorithm: str = "english") -> str:
    """The Snowball stem of a lowercase word (PyStemmer, cached; English unless `algorithm`).

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
    _NAME_WORDS.clear()
    _STEMS.clear()
    _NAME_LEMMAS.clear()
    _SOURCES.clear()
    _CANONICAL.clear()
    _STATS.update(hits=0, misses=0)
