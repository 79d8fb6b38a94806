"""Names across scripts: one Latin "skeleton" key for every spelling of a name.

``Зеленський`` (uk), ``Зеленский`` (ru), ``Zelenskyy`` (uk national 2010), ``Zelensky``
(BGN/PCGN, press), ``Zelenskyi``, ``Zelenskij`` (ISO 9 / scholarly), ``Zelenskiy`` all give
``zelensk``. Built in three steps, each folding what the romanisation systems disagree on:

1. Cyrillic -> Latin letter by letter (uk and ru letters alike; ``ь ъ`` dropped);
2. fold the variants: ``y i j`` (and runs of them) -> ``i``; ``kh x`` -> ``h``, then ``h g``
   -> ``g`` outside ``ch sh zh`` (uk Г is H, ru Г is G); ``c`` -> ``k`` (except in ``ch``);
   ``w`` -> ``v``; ``ph`` -> ``f``; ``tz`` -> ``ts``; doubled letters -> one;
3. strip one inflectional ending (``-ogo -omu -oi -a -u -i ...``) from keys of five letters or
   more, so ``Зеленського``/``Зеленському`` meet ``Zelensky``.

Pure and deliberately lossy: it is a recall key for ranking *below* same-script matches, never
shown to users.
"""

from __future__ import annotations

import re

__all__ = ["translit_key", "to_latin"]

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


def to_latin(word: str) -> str:
    """Lowercase Cyrillic -> Latin, letter by letter (Latin letters pass through).

    >>> to_latin("зеленський")
    'zelenskii'
    """
    return word.lower().translate(_TABLE)


def translit_key(word: str) -> str:
    """The script-independent key of a (name) word; empty when nothing Latin is left.

    >>> {translit_key(w) for w in ("Зеленський", "Зеленский", "Zelenskyy", "Zelensky",
    ...                            "Zelenskyi", "Zelenskiy", "Zelenskij", "Зеленського")}
    {'zelensk'}
    >>> translit_key("Гончаренко") == translit_key("Honcharenko") == translit_key("Goncharenko")
    True
    >>> translit_key("Харків") == translit_key("Kharkiv")
    True
    """
    key = _NOT_LATIN.sub("", to_latin(word))
    for pattern, replacement in _FOLDS:
        key = pattern.sub(replacement, key)
    if len(key) >= 5:
        stripped = _ENDINGS.sub("", key)
        if len(stripped) >= 4:
            key = stripped
    return key
