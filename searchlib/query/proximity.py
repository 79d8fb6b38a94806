"""Term proximity: among the best-scored articles, those whose query words stand close together
rank higher (issue 20 item 6).

For each of the `CANDIDATES` best articles of a page (full matches and partial matches apart),
the positions of its matched words are read from the posting lists of the title and text fields
of its language. Words at one position (a hyphenated word and its parts, two lemmas of one form)
are one word. `closeness` is the largest share of the article's matched words that fit in a
window of `WINDOW` positions, in the field where that share is largest: 1 when they all stand
together, near 0 when they are scattered; 0 for an article that matched one word only. The
score is multiplied by ``1 + WEIGHT * closeness``, so an article never falls below one it
outscored on the words alone by more than that factor, and the articles past the candidates
(scored lower than all of them) stay below them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from whoosh.searching import Searcher

from searchlib.query.matches import term_positions
from searchlib.store import LANGS, text_field, title_field

__all__ = ["CANDIDATES", "WINDOW", "WEIGHT", "closeness"]

CANDIDATES = 30
"""Articles of a ranking re-ordered by proximity (the best by score)."""
WINDOW = 10
"""Positions a window of close words spans."""
WEIGHT = 0.2
"""Score multiplier at full closeness: ``score * (1 + WEIGHT * closeness)``."""

_FIELDS = frozenset(field(lang) for lang in LANGS for field in (title_field, text_field))
"""The language fields (lemmas): not the surface-form ones, where one word has many forms."""


def closeness(searcher: Searcher,
              docs: Sequence[tuple[int, Sequence[tuple[str, Any]]]]) -> dict[int, float]:
    """document -> closeness in [0, 1] of its matched words (module docstring), from
    (document, its matched (field, term) pairs)."""
    leaves = searcher.reader().leaf_readers()
    offsets = [offset for _, offset in leaves]
    wanted: dict[tuple[int, str, bytes], list[int]] = defaultdict(list)
    for docnum, terms in docs:
        segment = bisect_right(offsets, docnum) - 1
        for fieldname, text in set(terms):
            if fieldname in _FIELDS and isinstance(text, bytes):
                wanted[segment, fieldname, text].append(docnum)
    # document -> field -> position -> terms there
    found: dict[int, dict[str, dict[int, set[bytes]]]] = defaultdict(lambda: defaultdict(dict))
    for (segment, fieldname, text), docnums in wanted.items():
        reader, offset = leaves[segment]
        if not reader.schema[fieldname].format.supports("positions"):
            continue
        for docnum, positions in term_positions(reader, fieldname, text,
                                                sorted(d - offset for d in docnums)):
            by_position = found[docnum + offset][fieldname]
            for position in positions:
                by_position.setdefault(position, set()).add(text)
    result: dict[int, float] = {}
    for docnum, _ in docs:
        fields = found.get(docnum)
        result[docnum] = max((_field_closeness(by_position) for by_position in fields.values()),
                             default=0.0) if fields else 0.0
    return result


def _field_closeness(by_position: dict[int, set[bytes]]) -> float:
    """The largest share of the field's matched words within `WINDOW` positions (words at one
    position are one word); 0 with fewer than two words."""
    word_of = _words(by_position.values())
    words = len(set(word_of.values()))
    if words < 2:
        return 0.0
    ordered = sorted((position, word_of[next(iter(terms))])
                     for position, terms in by_position.items())
    best, start = 0, 0
    inside: dict[int, int] = defaultdict(int)
    for position, word in ordered:
        inside[word] += 1
        while ordered[start][0] <= position - WINDOW:
            gone = ordered[start][1]
            inside[gone] -= 1
            if not inside[gone]:
                del inside[gone]
            start += 1
        best = max(best, len(inside))
    return (best - 1) / (words - 1)


def _words(groups: Iterable[set[bytes]]) -> dict[bytes, int]:
    """term -> word number, terms that share a position being one word (union-find)."""
    parent: dict[bytes, bytes] = {}

    def root(term: bytes) -> bytes:
        while parent.setdefault(term, term) != term:
            parent[term] = parent[parent[term]]
            term = parent[term]
        return term

    for terms in groups:
        first, *rest = terms
        root(first)
        for term in rest:
            parent[root(term)] = root(first)
    roots: dict[bytes, int] = {}
    return {term: roots.setdefault(root(term), len(roots)) for term in list(parent)}
