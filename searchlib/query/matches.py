"""Match sets and scores of a query read straight from its posting lists (search's fast path).

Whoosh's collectors step through a query's matcher tree one posting at a time in Python. Listing
every match of a two-word query (for the exact total and the duplicate collapse) cost as much as
scoring its top 10 on a 20k index, and that scoring pass stepped through every posting again.
Here each term's posting list is read once, a block at a time, into a dict (document -> weight).
The matcher tree Whoosh builds on each segment is then evaluated twice: as set algebra (union,
intersection, difference) for the match set, and over the wanted documents only for their scores:
each term's own scorer, summed pairwise along the same tree, so every score is the float Whoosh's
matchers give (its top-N pruning skips only documents that cannot make the top N, so the top N
is the same too).

`read_matches` returns None for a tree with a matcher it does not know (phrases and other span
queries, `*`): callers then use Whoosh's collectors. Not here: filters, collapse, paging (see
`searchlib.query.search`).
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from itertools import accumulate, repeat
from typing import Any

from whoosh import scoring
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.structfile import _INT_SIZE
from whoosh.matching import (
    AndMaybeMatcher,
    AndNotMatcher,
    FilterMatcher,
    IntersectionMatcher,
    ListMatcher,
    NullMatcherClass,
    UnionMatcher,
    WrappingMatcher,
)
from whoosh.query import Query
from whoosh.searching import Searcher

__all__ = ["Matches", "read_matches"]

Term = tuple[str, bytes]


class _Unsupported(Exception):
    """The matcher tree holds a matcher whose semantics this module does not reproduce."""


class _Leaf:
    """One term's postings on one segment: document -> weight, and how Whoosh scores them."""

    __slots__ = ("term", "weights", "_score")

    def __init__(self, matcher: Any, scorer: Any) -> None:
        self.term: Term = matcher.term()
        self.weights = _postings(matcher)
        self._score = _score_function(scorer)

    def docs(self) -> Any:
        return self.weights.keys()

    def scores(self, wanted: set[int]) -> dict[int, float]:
        weights, score = self.weights, self._score
        return {d: score(d, weights[d]) for d in wanted.intersection(weights)}

    def terms(self, docnum: int, out: list[Term]) -> None:
        if docnum in self.weights:
            out.append(self.term)


class _Null:
    __slots__ = ()

    def docs(self) -> set[int]:
        return set()

    def scores(self, wanted: set[int]) -> dict[int, float]:
        return {}

    def terms(self, docnum: int, out: list[Term]) -> None:
        return None


class _Pair:
    """A binary matcher: union, intersection, a AND NOT b, or a AND MAYBE b."""

    __slots__ = ("kind", "a", "b", "_docs")

    def __init__(self, kind: type, a: Any, b: Any) -> None:
        self.kind, self.a, self.b = kind, a, b
        self._docs: set[int] | None = None

    def docs(self) -> set[int]:
        if self._docs is None:
            a, b = self.a.docs(), self.b.docs()
            if self.kind is UnionMatcher:
                self._docs = set(a).union(b)
            elif self.kind is IntersectionMatcher:
                self._docs = set(a).intersection(b)
            elif self.kind is AndNotMatcher:
                self._docs = set(a).difference(b)
            else:
                self._docs = set(a)
        return self._docs

    def scores(self, wanted: set[int]) -> dict[int, float]:
        # Same operands in the same order as the matchers' score(): a.score() + b.score().
        kind = self.kind
        if kind is AndNotMatcher:
            excluded = self.b.docs()
            return {d: s for d, s in self.a.scores(wanted).items() if d not in excluded}
        a = self.a.scores(wanted)
        if kind is IntersectionMatcher:
            b = self.b.scores(wanted.intersection(a))
            return {d: a[d] + s for d, s in b.items()}
        b = self.b.scores(wanted if kind is UnionMatcher else wanted.intersection(a))
        for d, s in b.items():
            if d in a:
                a[d] = a[d] + s
            elif kind is UnionMatcher:
                a[d] = s
        return a

    def terms(self, docnum: int, out: list[Term]) -> None:
        # Called on a matching node only. Whoosh's TermsCollector records the terms of the
        # branches positioned on the document: not b of a AND NOT b, nor a branch that misses.
        kind = self.kind
        if kind is not UnionMatcher or docnum in self.a.docs():
            self.a.terms(docnum, out)
        if kind is IntersectionMatcher or (kind is not AndNotMatcher
                                           and docnum in self.b.docs()):
            self.b.terms(docnum, out)


class _Wrapped:
    """A boost (WrappingMatcher) or a document-set filter (FilterMatcher, e.g. deletions)."""

    __slots__ = ("child", "boost", "ids", "exclude", "_docs")

    def __init__(self, child: Any, boost: float, ids: Any = None, exclude: bool = False) -> None:
        self.child, self.boost, self.ids, self.exclude = child, boost, ids, exclude
        self._docs: Any = None

    def docs(self) -> Any:
        if self._docs is None:
            docs = self.child.docs()
            if self.ids is not None:
                docs = set(docs).difference(self.ids) if self.exclude else \
                    set(docs).intersection(self.ids)
            self._docs = docs
        return self._docs

    def scores(self, wanted: set[int]) -> dict[int, float]:
        if self.ids is not None:
            wanted = wanted.intersection(self.docs())
        boost = self.boost
        return {d: s * boost for d, s in self.child.scores(wanted).items()}

    def terms(self, docnum: int, out: list[Term]) -> None:
        if docnum in self.docs():
            self.child.terms(docnum, out)


_PAIRS = (UnionMatcher, IntersectionMatcher, AndNotMatcher, AndMaybeMatcher)


def _node(matcher: Any) -> Any:
    kind = type(matcher)
    if kind in _PAIRS:
        return _Pair(kind, _node(matcher.a), _node(matcher.b))
    if kind is WrappingMatcher:
        return _Wrapped(_node(matcher.child), matcher.boost)
    if kind is FilterMatcher:
        return _Wrapped(_node(matcher.child), matcher.boost, matcher._ids, matcher._exclude)
    if kind is NullMatcherClass:
        return _Null()
    if kind is W3LeafMatcher or (kind is ListMatcher and matcher.term() is not None):
        scorer = matcher.scorer if kind is W3LeafMatcher else matcher._scorer
        return _Leaf(matcher, scorer)
    raise _Unsupported(kind.__name__)


def _postings(matcher: Any) -> dict[int, float]:
    """document -> weight of a fresh leaf matcher's postings."""
    if type(matcher) is W3LeafMatcher:
        return _w3_postings(matcher)
    weights: dict[int, float] = {}
    while matcher.is_active():
        weights[matcher.id()] = matcher.weight()
        matcher.next()
    return weights


def _w3_postings(matcher: W3LeafMatcher) -> dict[int, float]:
    """The postings of a Whoosh 3 posting list, decoded a block at a time.

    The codec's layout, read as `W3LeafMatcher` reads it (`_goto`, `_read_ids`,
    `_read_weights`): per block a signed length (negative for the last block), the pickled
    block info, then the pickled (optionally zlib-compressed) (delta-coded ids, weights,
    values). The matcher itself unpickles the info through a file object (a dozen small reads)
    and decodes the ids in a Python generator: three times slower.
    """
    postfile = matcher._postfile
    position = matcher._baseoffset
    weights: dict[int, float] = {}
    while True:
        length = postfile.get_int(position)
        block = postfile.get(position + _INT_SIZE, abs(length))
        stream = BytesIO(block)
        count, _, _, compression, _, _ = pickle.load(stream)
        data = block[stream.tell():]
        if compression:
            data = zlib.decompress(data)
        deltas, block_weights, _ = pickle.loads(data)
        ids = accumulate(deltas)
        if block_weights is None:
            weights.update(zip(ids, repeat(1.0, count), strict=True))
        elif isinstance(block_weights, float):
            # The matcher stores a block's single weight as a float32.
            weights.update(zip(ids, repeat(array("f", (block_weights,))[0], count),
                               strict=True))
        else:
            weights.update(zip(ids, block_weights, strict=True))
        if length < 0:
            return weights
        position += _INT_SIZE + abs(length)


class _Posting:
    """The current posting, as a scorer reads it from a matcher."""

    __slots__ = ("_id", "_weight")

    def __init__(self, docnum: int, weight: float) -> None:
        self._id, self._weight = docnum, weight

    def id(self) -> int:
        return self._id

    def weight(self) -> float:
        return self._weight


def _score_function(scorer: Any) -> Any:
    """(document, weight) -> the score `scorer.score(matcher)` gives at that posting."""
    if scorer is None:
        return lambda docnum, weight: weight
    method = type(scorer).score
    if method is scoring.WeightLengthScorer.score:
        score, length = scorer._score, scorer.dfl
        return lambda docnum, weight: score(weight, length(docnum))
    if method is scoring.WeightScorer.score:
        return lambda docnum, weight: weight
    return lambda docnum, weight: scorer.score(_Posting(docnum, weight))


@dataclass(frozen=True, slots=True)
class Matches:
    """A query's matcher tree on every segment of a searcher, with its postings read."""

    offsets: tuple[int, ...]
    """The first document number of each segment."""
    trees: tuple[Any, ...]

    def docnums(self) -> set[int]:
        """Every matching (live) document number."""
        found: set[int] = set()
        for offset, tree in zip(self.offsets, self.trees, strict=True):
            docs = tree.docs()
            found.update(docs if offset == 0 else [d + offset for d in docs])
        return found

    def scores(self, docnums: Iterable[int]) -> dict[int, float]:
        """document number -> score, for those of `docnums` that match."""
        per_segment: dict[int, set[int]] = {}
        offsets = self.offsets
        for docnum in docnums:
            number = bisect_right(offsets, docnum) - 1
            per_segment.setdefault(number, set()).add(docnum - offsets[number])
        result: dict[int, float] = {}
        for number, wanted in per_segment.items():
            offset = offsets[number]
            scored = self.trees[number].scores(wanted)
            result.update(scored if offset == 0 else
                          {d + offset: s for d, s in scored.items()})
        return result

    def matched_terms(self, docnum: int) -> list[Term]:
        """The (field, term) pairs through which the matching `docnum` matches."""
        number = bisect_right(self.offsets, docnum) - 1
        found: list[Term] = []
        self.trees[number].terms(docnum - self.offsets[number], found)
        return found


def read_matches(searcher: Searcher, query: Query) -> Matches | None:
    """The query's matcher trees with their postings, or None if a tree has a matcher this
    module cannot evaluate exactly (the caller then uses Whoosh's collectors).

    The trees are the ones Whoosh's scored search builds (`needs_current`: binary unions
    rather than preloaded arrays), with the searcher's weighting.
    """
    context = searcher.context(needs_current=True)
    leaves = searcher.leaf_searchers()
    try:
        trees = tuple(_node(query.matcher(leaf, context)) for leaf, _ in leaves)
    except _Unsupported:
        return None
    return Matches(tuple(offset for _, offset in leaves), trees)
