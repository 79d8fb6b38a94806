"""Issue 18 item 7: did-you-mean never rewrites a word that has results of its own, and never
swaps in a word of another language, checked on the real articles of `research_index`."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from searchlib.api import Index
from searchlib.model import Article

_CAPITALISED = re.compile(r"(?<![\w'-])[А-ЯІЇЄҐ][а-яіїєґё']{3,}(?![\w'-])")


def _articles_per_word(articles: list[Article]) -> Counter[str]:
    """In how many articles each capitalised Cyrillic word occurs as written (a regex, not
    searchlib)."""
    counts: Counter[str] = Counter()
    for a in articles:
        counts.update(set(_CAPITALISED.findall(f"{a.title} {a.text}")))
    return counts


# Words the frequency rule alone rewrote (Орбан -> Оба, Пермь -> Перед, Кларк -> Как,
# Тільки -> Только), with the articles that hold them as written.
REAL_WORDS = {"Орбан": 3, "Пермь": 5, "Кларк": 6, "Тільки": 3}


@pytest.mark.parametrize("word", REAL_WORDS)
def test_a_word_with_results_of_its_own_is_not_replaced(
        research_index: Index, research_articles: list[Article], word: str) -> None:
    assert _articles_per_word(research_articles)[word] == REAL_WORDS[word]
    assert research_index.search(word, relax=False, collapse=False).total >= 3
    assert research_index.suggest(word).suggestion is None


def test_no_word_found_in_three_articles_gets_a_suggestion(
        research_index: Index, research_articles: list[Article]) -> None:
    counts = _articles_per_word(research_articles)
    words = sorted(word for word, n in counts.items() if n >= 3)
    assert len(words) > 5000
    sample = random.Random(18).sample(words, 150)
    assert [w for w in sample if research_index.suggest(w).suggestion] == []


def test_a_ukrainian_question_gets_no_russian_word(research_index: Index) -> None:
    # `тилько` is one letter from Russian `только` and two from Ukrainian `тільки`: the
    # Ukrainian question is corrected in Ukrainian.
    suggestion = research_index.suggest("Чому тилько Угорщина")
    assert suggestion.corrections == (("тилько", "тільки"),)
    assert research_index.suggest("Чи буде війна тількы").corrections == (("тількы", "тільки"),)


def test_misspellings_are_still_corrected(research_index: Index) -> None:
    assert research_index.suggest("sanctoins").suggestion == "sanctions"
    assert research_index.suggest("Скільки коштуе газ").corrections == (("коштуе", "коштує"),)
