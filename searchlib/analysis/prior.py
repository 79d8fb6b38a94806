"""Lemma priors for Ukrainian: which lemma of an ambiguous word is the likely one.

The Ukrainian pymorphy3 dictionary has no frequency estimates, so its first parse is close to
arbitrary: ``року`` -> ``рок`` (rock music) instead of ``рік`` (year), ``його`` -> ``йога``,
``роботи`` -> ``робот``. `build_prior` learns lemma frequencies from *unlabelled* text with a few
rounds of expectation-maximisation over each word's candidate lemmas (a word that has one
candidate counts fully; an ambiguous one is shared in proportion to the current estimates).
`choose_lemma` then picks the candidate with the highest prior.

The shipped table (``data/uk_lemma_prior.tsv.gz``: lemma, count; lemmas that take part in an
ambiguity only) was built by ``python -m benchmarks.retrieval --build-prior`` from the shared
corpus' Ukrainian news text, leaving out every Brown-UK text whose hand-checked lemmas are used
to measure accuracy. It holds dictionary words and counts, no corpus text.

A lemma prior cannot tell the forms of one word apart: ``стану`` goes to ``стати``, the far more
frequent lemma, though news writes ``стану`` as a form of ``стан``. `build_word_lemmas` learns
those words from hand-checked lemmas (word -> the lemma given to most of its occurrences, when
that is not the lemma searchlib chooses): the shipped ``data/uk_word_lemmas.tsv`` was built by
``python -m benchmarks.retrieval --build-word-lemmas`` from half of Brown-UK's disambiguated
press texts (the even-numbered files, sorted), so the other half measures it.
"""

from __future__ import annotations

import gzip
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "build_prior",
    "load_prior",
    "write_prior",
    "PRIOR_PATH",
    "build_word_lemmas",
    "load_word_lemmas",
    "write_word_lemmas",
    "WORD_LEMMAS_PATH",
]

PRIOR_PATH = Path(__file__).with_name("data") / "uk_lemma_prior.tsv.gz"
WORD_LEMMAS_PATH = Path(__file__).with_name("data") / "uk_word_lemmas.tsv"


def build_prior(
    words: Iterable[str], candidates: Callable[[str], tuple[str, ...]], rounds: int = 4
) -> dict[str, float]:
    """Expected lemma counts over `words` (lowercase, normalised), by EM over candidate lemmas.

    >>> cands = {"року": ("рок", "рік"), "рік": ("рік",), "років": ("рік",)}.__getitem__
    >>> prior = build_prior(["року", "рік", "років", "року"], cands)
    >>> prior["рік"] > prior["рок"]
    True
    """
    types = Counter(words)
    sets = {word: candidates(word) for word in types}
    prior: dict[str, float] = defaultdict(float)
    for word, n in types.items():
        for lemma in sets[word]:
            prior[lemma] += n / len(sets[word])
    for _ in range(rounds):
        new: dict[str, float] = defaultdict(float)
        for word, n in types.items():
            cands = sets[word]
            if len(cands) == 1:
                new[cands[0]] += n
                continue
            weights = [prior[lemma] + 0.01 for lemma in cands]
            total = sum(weights)
            for lemma, weight in zip(cands, weights, strict=True):
                new[lemma] += n * weight / total
        prior = new
    ambiguous = {lemma for cands in sets.values() if len(cands) > 1 for lemma in cands}
    return {lemma: count for lemma, count in prior.items() if lemma in ambiguous}


def write_prior(prior: dict[str, float], path: Path = PRIOR_PATH, min_count: float = 0.5) -> int:
    """Write the table (lemma TAB rounded count, most frequent first); returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted(((c, lem) for lem, c in prior.items() if c >= min_count), reverse=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        for count, lemma in rows:
            f.write(f"{lemma}\t{max(1, round(count))}\n")
    return len(rows)


def load_prior(path: Path = PRIOR_PATH) -> dict[str, int]:
    """The shipped lemma prior, or an empty table if the data file is missing."""
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        text = f.read()
    # One split of the whole file, not one per line: half the time of a cold search's load.
    cells = text.rstrip("\n").replace("\n", "\t").split("\t") if text.strip() else []
    return dict(zip(cells[0::2], map(int, cells[1::2]), strict=True))


def build_word_lemmas(
    pairs: Iterable[tuple[str, str]],
    choose: Callable[[str], str],
    candidates: Callable[[str], tuple[str, ...]],
    min_count: int = 3,
    min_share: float = 0.7,
) -> dict[str, str]:
    """Words whose hand-checked lemma differs from `choose`'s: word -> its most frequent gold
    lemma, kept when it is one of the word's `candidates`, covers `min_share` of the word's
    occurrences and at least `min_count` of them (thresholds chosen once, not tuned).

    >>> pairs = [("стану", "стан")] * 4 + [("стану", "стати")] + [("року", "рік")] * 3
    >>> build_word_lemmas(pairs, {"стану": "стати", "року": "рік"}.__getitem__,
    ...                   lambda word: ("стан", "стати") if word == "стану" else ("рік", "рок"))
    {'стану': 'стан'}
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for word, lemma in pairs:
        counts[word][lemma] += 1
    table = {}
    for word, lemmas in sorted(counts.items()):
        lemma, count = lemmas.most_common(1)[0]
        if (count >= min_count and count >= min_share * sum(lemmas.values())
                and lemma != choose(word) and lemma in candidates(word)):
            table[word] = lemma
    return table


def write_word_lemmas(table: dict[str, str], path: Path = WORD_LEMMAS_PATH) -> int:
    """Write the word table (word TAB lemma, sorted); returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{word}\t{lemma}\n" for word, lemma in sorted(table.items())),
                    encoding="utf-8")
    return len(table)


def load_word_lemmas(path: Path = WORD_LEMMAS_PATH) -> dict[str, str]:
    """The shipped word table, or an empty one if the data file is missing."""
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if line)
