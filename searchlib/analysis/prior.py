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
"""

from __future__ import annotations

import gzip
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["build_prior", "load_prior", "write_prior", "PRIOR_PATH"]

PRIOR_PATH = Path(__file__).with_name("data") / "uk_lemma_prior.tsv.gz"


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
