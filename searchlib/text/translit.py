"""Names across scripts: one Latin "skeleton" key for every spelling of a name.

``Зеленський`` (uk), ``Зеленский`` (ru), ``Zelenskyy`` (uk national 2010), ``Zelensky``
(BGN/PCGN, press), ``Zelenskyi``, ``Zelenskij`` (ISO 9 / scholarly), ``Zelenskiy`` all give
``zelensk``. Built in three steps, each folding what the romanisation systems disagree on:

1. Cyrillic -> Latin letter by letter (uk and ru letters alike; ``ь ъ`` dropped);
2. fold the variants: ``y i j`` (and runs of them) -> ``i``; ``kh x`` -> ``h``, then ``h g``
   -> ``g`` outside ``ch sh zh`` (uk Г is H, ru Г is G); ``c`` -> ``k`` (except in ``ch``);
   ``w`` -> ``v``; ``ph`` -> ``f``; ``tz`` -> ``ts``; doubled letters -> one;
3. strip one inflectional ending (``-ogo -omu -oi -a -u -i ...``) from keys of five letters or
   more, so ``Зеленського``/``Зеленському`` meet ``Zelensky``; an English possessive ``'s``
   goes first (``Canada's``).

That is the `skeleton_key`. Conventional spellings no letter rule derives (Trump/Трамп,
Biden/Байден, Kiev/Kyiv/Київ/Киев, Moscow/Москва, Brexit/Брексит) come from a table learnt from
parallel news text (``data/name_keys.tsv.gz``: skeleton key -> the key of its class; built and
measured by ``python -m benchmarks.name_pairs --build``): `translit_key` is the skeleton key
looked up in it.

Pure and deliberately lossy: it is a recall key for ranking *below* same-script matches, never
shown to users.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

__all__ = [
    "translit_key", "skeleton_key", "learnt_key", "learnt_sources", "to_latin", "NAME_KEYS_PATH",
]

NAME_KEYS_PATH = Path(__file__).with_name("data") / "name_keys.tsv.gz"

_CYR_TO_LAT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "ё": "io",
    "є": "ie",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "і": "i",
    "ї": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "i",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
    "'": "",
}
_TABLE = str.maketrans(_CYR_TO_LAT)
_FOLDS = [
    (re.compile("kh|x"), "h"),
    (re.compile("(?<![csz])h"), "g"),
    (re.compile("ph"), "f"),
    (re.compile("tz"), "ts"),
    (re.compile("ck"), "k"),
    (re.compile("c(?!h)"), "k"),
    (re.compile("w"), "v"),
    (re.compile("q"), "k"),
    (re.compile("[yij]+"), "i"),
    (re.compile(r"(.)\1+"), r"\1"),
]
_ENDINGS = re.compile(
    "(?:ogo|ego|omu|emu|ami|iami|ah|iah|ov|ev|om|em|im|oi|ei|ia|iu|ie|a|u|e|i|o)$"
)
_NOT_LATIN = re.compile("[^a-z]")
_POSSESSIVE = re.compile("'s$")
_NAME_KEYS: dict[str, str] = {}
_NAME_KEYS_LOADED: list[bool] = []
_SOURCES: dict[str, set[str]] = {}


def to_latin(word: str) -> str:
    """Lowercase Cyrillic -> Latin, letter by letter (Latin letters pass through).

    >>> to_latin("зеленський")
    'zelenskii'
    """
    return word.lower().translate(_TABLE)


def translit_key(word: str) -> str:
    """The script-independent key of a (name) word: its `skeleton_key`, or the key the learnt
    table gives it; empty when nothing Latin is left.

    >>> {translit_key(w) for w in ("Зеленський", "Зеленский", "Zelenskyy", "Zelensky",
    ...                            "Zelenskyi", "Zelenskiy", "Zelenskij", "Зеленського")}
    {'zelensk'}
    >>> translit_key("Гончаренко") == translit_key("Honcharenko") == translit_key("Goncharenko")
    True
    >>> translit_key("Харків") == translit_key("Kharkiv")
    True
    >>> translit_key("Трамп") == translit_key("Trump"), translit_key("Canada's")
    (True, 'kanad')
    """
    key = skeleton_key(word)
    return learnt_key(key) or key


def learnt_sources(key: str) -> frozenset[str]:
    """The skeleton keys the learnt table turns into `key` (empty for most keys).

    >>> sorted(learnt_sources("bregit"))
    ['breksit', 'brekzit']
    """
    learnt_key(key)  # loads the table
    if not _SOURCES:
        for source, name in _NAME_KEYS.items():
            _SOURCES.setdefault(name, set()).add(source)
    return frozenset(_SOURCES.get(key, ()))


def learnt_key(key: str) -> str | None:
    """The key the learnt table gives a skeleton key, or None when the table does not hold it
    (a spelling seen as a name or exonym in the parallel text: ``breksit`` -> ``bregit``).

    >>> learnt_key("breksit"), learnt_key("zelensk")
    ('bregit', None)
    """
    if not _NAME_KEYS_LOADED:
        _NAME_KEYS.update(_load_name_keys())
        _NAME_KEYS_LOADED.append(True)
    return _NAME_KEYS.get(key)


def _load_name_keys(path: Path = NAME_KEYS_PATH) -> dict[str, str]:
    """The learnt table (empty if the data file is missing)."""
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        cells = f.read().split()
    return dict(zip(cells[0::2], cells[1::2], strict=True))


def skeleton_key(word: str) -> str:
    """The letter-rule key of a word (steps 1-3 above), without the learnt table.

    >>> skeleton_key("Зеленського"), skeleton_key("Canada's"), skeleton_key("Трамп")
    ('zelensk', 'kanad', 'tramp')
    """
    key = _NOT_LATIN.sub("", to_latin(_POSSESSIVE.sub("", word.lower())))
    for pattern, replacement in _FOLDS:
        key = pattern.sub(replacement, key)
    if len(key) >= 5:
        stripped = _ENDINGS.sub("", key)
        if len(stripped) >= 4:
            key = stripped
    return key
