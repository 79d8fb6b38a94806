"""Text normalisation shared by ingest, analysis and queries (pure ``str -> str``).

Two levels:

- `normalise_word` folds one token's text for indexing and querying: NFC, apostrophe look-alikes
  to U+0027, stress marks / soft hyphens / zero-width characters removed, Latin homoglyphs inside
  Cyrillic words repaired (and Cyrillic ones inside Latin words), ``ё`` -> ``е`` (optional).
  ``і ї є ґ`` stay distinct. The analysis stage calls it from a filter, so token offsets keep
  pointing at the stored text.
- `normalise` cleans a whole string for metadata and language detection (not offset-preserving):
  the same character folding plus collapsed spaces, but ``ё`` is kept by default because it is a
  signal for language detection.

Neither lowercases: case is the analysers' job.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise", "normalise_word", "APOSTROPHE", "INVISIBLE_CHARS", "APOSTROPHE_CHARS"]

APOSTROPHE = "'"
"""The one apostrophe every look-alike folds to (the form the pymorphy3 dictionaries use)."""

APOSTROPHE_CHARS = "'\u2019\u02bc`\u00b4\u2018\u02b9\u2032"
"""U+0027, U+2019, U+02BC, U+0060, U+00B4, plus U+2018, U+02B9 and U+2032 seen in the wild."""

INVISIBLE_CHARS = "\u0301\u0300\u00ad\u200b\u200c\u200d\u2060\ufeff"
"""Stress marks (U+0301, U+0300), soft hyphen and zero-width characters: removed inside words."""

_APOSTROPHE_TABLE = {ord(ch): APOSTROPHE for ch in APOSTROPHE_CHARS}
_INVISIBLE_TABLE = {ord(ch): None for ch in INVISIBLE_CHARS}
_WORD_TABLE = {**_APOSTROPHE_TABLE, **_INVISIBLE_TABLE}
_YO_TABLE = {ord("ё"): "е", ord("Ё"): "Е"}

# Latin letters that look like Cyrillic ones, and back. Latin i is the Ukrainian і (U+0456).
_LATIN_TO_CYRILLIC = str.maketrans(
    "aceiopxyABCEHIKMOPTXYïÏ",
    "асеіорхуАВСЕНІКМОРТХУїЇ",
)
_CYRILLIC_TO_LATIN = str.maketrans(
    "асеіорхуАВСЕНІКМОРТХУ",
    "aceiopxyABCEHIKMOPTXY",
)
_LATIN_HOMOGLYPHS = frozenset("aceiopxyABCEHIKMOPTXYïÏ")
_CYRILLIC_HOMOGLYPHS = frozenset("асеіорхуАВСЕНІКМОРТХУ")
_CYRILLIC_RANGE = re.compile("[\u0400-\u04ff]")
_LATIN_RANGE = re.compile("[A-Za-z\u00c0-\u024f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MIXED_WORD = re.compile(r"[^\W\d_]+")
_PRECOMPOSED_STRESS = re.compile("[ѝЍѐЀ]")


def _repair_homoglyphs(word: str) -> str:
    """Repair a word that mixes Cyrillic and Latin look-alike letters.

    >>> _repair_homoglyphs("Расiя")  # Latin i
    'Расія'
    >>> _repair_homoglyphs("Аpple")  # Cyrillic А
    'Apple'
    """
    cyrillic = _CYRILLIC_RANGE.findall(word)
    latin = _LATIN_RANGE.findall(word)
    if not cyrillic or not latin:
        return word
    if len(cyrillic) >= len(latin) and all(ch in _LATIN_HOMOGLYPHS for ch in latin):
        return word.translate(_LATIN_TO_CYRILLIC)
    if len(latin) > len(cyrillic) and all(ch in _CYRILLIC_HOMOGLYPHS for ch in cyrillic):
        return word.translate(_CYRILLIC_TO_LATIN)
    return word


def _nfc(text: str) -> str:
    """NFC again after a step that may leave a letter and a combining mark apart."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _fold_chars(text: str) -> str:
    """NFC, apostrophes folded, stress marks / soft hyphens / zero-width characters removed."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = text.translate(_WORD_TABLE)
    # NFC composes и/е + U+0300 into ѝ/ѐ (Bulgarian letters, not ours): take the stress off.
    if _PRECOMPOSED_STRESS.search(text):
        text = _PRECOMPOSED_STRESS.sub(lambda m: unicodedata.normalize("NFD", m.group(0))[0], text)
    return text


def normalise_word(word: str, *, fold_yo: bool = True) -> str:
    """Fold one token's text (no lowercasing, no offsets involved).

    >>> normalise_word("м\u2019ясо")
    "м'ясо"
    >>> normalise_word("міні\u0301стр")
    'міністр'
    >>> normalise_word("Расiя")
    'Расія'
    >>> normalise_word("ёлка")
    'елка'
    """
    if word.isascii():
        return word.translate(_APOSTROPHE_TABLE) if "`" in word else word
    for _ in range(3):  # a fold can let NFC compose a new letter (Е + U+0308 -> Ё): repeat
        folded = _repair_homoglyphs(_fold_chars(word))
        folded = _nfc(folded.translate(_YO_TABLE) if fold_yo else folded)
        if folded == word:
            break
        word = folded
    return word


def normalise(text: str, *, fold_yo: bool = False) -> str:
    """NFC, one apostrophe, no stress marks, soft hyphens or zero-width characters, single spaces.

    Latin homoglyphs inside Cyrillic words are repaired. ``ё`` is kept unless `fold_yo`.
    Idempotent: ``normalise(normalise(s)) == normalise(s)``.

    >>> normalise("Прем\u2019єр-міні\u0301стр\u00a0 Канади")
    "Прем'єр-міністр Канади"
    >>> normalise("Расiя")
    'Расія'
    """
    for _ in range(3):  # see normalise_word: repeat until nothing changes
        folded = _MIXED_WORD.sub(lambda m: _repair_homoglyphs(m.group(0)), _fold_chars(text))
        folded = _nfc(folded.translate(_YO_TABLE) if fold_yo else folded)
        if folded == text:
            break
        text = folded
    return _SPACES.sub(" ", text).strip()
