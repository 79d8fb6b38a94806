"""Language detection for documents and queries (uk / ru / en). Pure Python, no models to load.

Cyrillic text is scored uk against ru with a small log-likelihood model over two kinds of
evidence:

- letters only one language writes: ``і ї є ґ`` and the apostrophe inside words (uk) against
  ``ы э ъ ё`` (ru). Their *absence* is evidence too: about 7.5% of Ukrainian letters are
  ``і ї є``, so forty letters without one are unlikely Ukrainian (Russian has ``ы`` at ~2%).
- frequent function words that exist in one language only (``що``, ``та``, ``від`` against
  ``что``, ``это``, ``от``).

Latin text is English when Latin letters outnumber Cyrillic ones. ``<html lang>`` (the `hint`)
only settles texts whose evidence is weak. Rates were set from typical letter frequencies and
checked with ``python -m benchmarks.retrieval --only lang`` (document and title accuracy).
"""

from __future__ import annotations

import math
import re

from searchlib.model import Lang

__all__ = ["detect_language", "query_languages", "language_scores"]

_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_LATIN = re.compile(r"[a-z]")
_WORDS = re.compile(r"[а-яёіїєґ']+")
_UK_LETTERS = re.compile(r"[іїєґ]|(?<=[а-яіїєґ])['\u2019\u02bc](?=[а-яіїєґ])")
_RU_LETTERS = re.compile(r"[ыэъё]")

_UK_WORDS = frozenset(
    """та що це як від його її їх які який яка яке був була було були також щодо цього року з
    буде
    він вони але тому ще через після між під чи або коли де для із зі своїх своє є бути
    має мають може можна вже тільки лише понад однак проте зокрема наразі сьогодні вчора
    україни україна україні київ києві президент уряд війни""".split()
)
_RU_WORDS = frozenset(
    """что это как от его ее их которые который которая было был была были также года с к
    будет
    он они но еще через после между под или когда где для из своих есть быть может можно
    уже только лишь более однако сегодня вчера россии россия украины президент правительство
    войны кроме если чтобы этого этом этой эти""".split()
)
# Words in both lists cancel out; keep only the distinctive ones.
_UK_ONLY_WORDS = _UK_WORDS - _RU_WORDS
_RU_ONLY_WORDS = _RU_WORDS - _UK_WORDS

# Spelling patterns (log-likelihood weights) for texts too short to hold a marker letter, as
# headlines often are: uk plurals in -и after hard consonants (ru writes -ы), infinitives in
# -ти, -ння and -ць, 1st person plural -имо/-емо; ru -ие/-ия (uk -іє/-ія), -ться is shared.
_UK_PATTERNS = re.compile(r"[бвдзлмнпрстф]и\b|ти\b|ння|ць|[иеє]мо\b")
_RU_PATTERNS = re.compile(r"и[еяю]\b|ие|ия")
_PATTERN_WEIGHT = 0.8

# Per-letter rates of the marker letters in each language, and the log weight of one word.
_UK_MARK_IN_UK = 0.075
_UK_MARK_IN_RU = 0.0004
_RU_MARK_IN_RU = 0.022
_RU_MARK_IN_UK = 0.0004
_WORD_WEIGHT = 2.0
_DECISIVE = 3.0  # nats: below this the hint (document) or both languages (query) win


def language_scores(text: str) -> tuple[int, int, float]:
    """(Cyrillic letters, Latin letters, log-likelihood ratio uk over ru) of a text sample."""
    sample = text[:20000].lower()
    cyrillic = len(_CYRILLIC.findall(sample))
    latin = len(_LATIN.findall(sample))
    if not cyrillic:
        return 0, latin, 0.0
    uk = len(_UK_LETTERS.findall(sample))
    ru = len(_RU_LETTERS.findall(sample))
    other = max(cyrillic - uk - ru, 0)
    llr = (
        uk * math.log(_UK_MARK_IN_UK / _UK_MARK_IN_RU)
        + ru * math.log(_RU_MARK_IN_UK / _RU_MARK_IN_RU)
        + other
        * math.log((1 - _UK_MARK_IN_UK - _RU_MARK_IN_UK) / (1 - _RU_MARK_IN_RU - _UK_MARK_IN_RU))
    )
    llr += _PATTERN_WEIGHT * (len(_UK_PATTERNS.findall(sample)) - len(_RU_PATTERNS.findall(sample)))
    for word in _WORDS.findall(sample):
        if word in _UK_ONLY_WORDS:
            llr += _WORD_WEIGHT
        elif word in _RU_ONLY_WORDS:
            llr -= _WORD_WEIGHT
    return cyrillic, latin, llr


def detect_language(text: str, *, hint: Lang | None = None) -> Lang | None:
    """The language of `text`, or `hint` (else None) when the text does not decide it.

    >>> detect_language("Україна і Канада підписали план дій")
    <Lang.UK: 'uk'>
    >>> detect_language("Правительство утвердило бюджет на следующий год")
    <Lang.RU: 'ru'>
    >>> detect_language("Canada signs the plan")
    <Lang.EN: 'en'>
    >>> detect_language("Канада", hint=Lang.UK)
    <Lang.UK: 'uk'>
    """
    cyrillic, latin, llr = language_scores(text)
    if cyrillic == 0 and latin == 0:
        return hint
    if latin > cyrillic:
        return Lang.EN
    if abs(llr) < _DECISIVE and hint in (Lang.UK, Lang.RU):
        return hint
    if llr > 0:
        return Lang.UK
    if llr < 0:
        return Lang.RU
    return hint if hint in (Lang.UK, Lang.RU) else None


def query_languages(query: str) -> tuple[Lang, ...]:
    """The languages a short query may be in, most likely first.

    A Cyrillic query without decisive evidence (``Канада``, ``Зеленський``... a name) is both
    Ukrainian and Russian; a query without letters could be anything.

    >>> query_languages("Канада")
    (<Lang.RU: 'ru'>, <Lang.UK: 'uk'>)
    >>> query_languages("Київ")
    (<Lang.UK: 'uk'>,)
    >>> query_languages("election")
    (<Lang.EN: 'en'>,)
    """
    cyrillic, latin, llr = language_scores(query)
    if cyrillic == 0 and latin == 0:
        return (Lang.UK, Lang.RU, Lang.EN)
    if cyrillic == 0:
        return (Lang.EN,)
    if llr >= _DECISIVE:
        slavic: tuple[Lang, ...] = (Lang.UK,)
    elif llr <= -_DECISIVE:
        slavic = (Lang.RU,)
    else:
        slavic = (Lang.UK, Lang.RU) if llr > 0 else (Lang.RU, Lang.UK)
    # A query mixing scripts ("Zelensky OR Зеленський") is analysed in English too.
    if latin == 0:
        return slavic
    return (Lang.EN, *slavic) if latin > cyrillic else (*slavic, Lang.EN)
