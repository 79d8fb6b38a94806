"""Language detection for documents and queries (uk / ru / en)."""

from __future__ import annotations

import re

from searchlib.model import Lang

_UK_ONLY = set("іїєґ")
_RU_ONLY = set("ыэъё")
_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def detect_language(text: str, *, hint: Lang | None = None) -> Lang | None:
    """The language of `text`, or `hint` (else None) when the text does not decide it.

    >>> detect_language("Україна і Канада підписали план дій")
    <Lang.UK: 'uk'>
    >>> detect_language("Россия и Канада обсудили вопросы обороны")
    <Lang.RU: 'ru'>
    """
    sample = text[:20000].lower()
    cyrillic = len(_CYRILLIC.findall(sample))
    latin = len(_LATIN.findall(sample))
    if cyrillic == 0 and latin == 0:
        return hint
    if latin > cyrillic:
        return Lang.EN
    uk = sum(sample.count(ch) for ch in _UK_ONLY)
    ru = sum(sample.count(ch) for ch in _RU_ONLY)
    if uk > ru:
        return Lang.UK
    if ru > uk:
        return Lang.RU
    return hint if hint in (Lang.UK, Lang.RU) else None


def query_languages(query: str) -> tuple[Lang, ...]:
    """The languages a query may be in, most likely first."""
    found = detect_language(query)
    if found is Lang.EN:
        return (Lang.EN,)
    if found is not None:
        return (found,)
    if _CYRILLIC.search(query):
        return (Lang.UK, Lang.RU)
    return (Lang.EN, Lang.UK, Lang.RU)
