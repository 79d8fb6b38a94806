"""Match sets and scores of a query read straight from its posting lists (search's fast path).

Whoosh's collectors step through a query's matcher tree one posting at a time in Python. Listing
every match of a two-word query (for the exact total and the duplicate collapse) cost as much as
scoring its top 10 on a 20k index, and that scoring pass stepped through every posting again.
Here each term's posting list is read once, a block at a time, into a dict (document -> weight).
The tree of matchers Whoosh's scored search would build on each segment (same shape: its
size-weighted pairing of sub-queries) is built over those postings and evaluated twice: as set
algebra (union, intersection, difference) for the match set, and over the wanted documents only
for their scores: each term's score as its scorer computes it, summed pairwise along the same
tree, so every score is the float Whoosh's matchers give a document.

The page is then the exact top N by score. Whoosh's own top-N search can miss documents: its
matcher replacement (`UnionMatcher.replace` -> `AndMaybeMatcher`, whose `skip_to` leaves the
optional side behind the document it lands on) drops terms from some scores. On the 20k benchmark
index 4 of 24 queries' top 10 differed from the exhaustive ranking (`collectors.TopCollector(
usequality=False, replace=0)`); these pages are that exhaustive ranking.

`read_matches` returns None for a query with a part it does not build (phrases and other span
queries, date ranges, `*`): callers then use Whoosh's collectors.
Not here: filters, collapse, paging (see `searchlib.query.search`).
"""

from __future__ import annotations

import heapq
import pickle
import zlib
from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from io import BytesIO
from itertools import accumulate, repeat
from typing import Any

from whoosh import query as wq
from whoosh import scoring
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.structfile import _INT_SIZE
from whoosh.matching import (
    AndNotMatcher,
    FilterMatcher,
    IntersectionMatcher,
    UnionMatcher,
)
from whoosh.query import Query
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from searchlib.model import Lang
from searchlib.query.scoring import PostingScores
from searchlib.store import text_field, title_field
from searchlib.store.codec import W3_TERMS_READERS

__all__ = ["Matches", "read_matches", "segment_slices", "term_positions"]

Term = tuple[str, bytes]


class _Unsupported(Exception):
    """The query has a part whose matcher this module does not build."""


class _Leaf:
    """One term's postings on one segment (document -> weight) and their scores so far (a term
    of every language's part of a query, `names`, is scored once per document)."""

    __slots__ = ("term", "weights", "_scorer", "_bound", "_max_weight", "_scores")

    def __init__(self, term: Term, weights: dict[int, float],
                 scorer: Callable[[], PostingScores],
                 bound: Callable[[float], float | None], max_weight: float | None) -> None:
        self.term, self.weights, self._scorer, self._bound = term, weights, scorer, bound
        self._max_weight = max_weight
        self._scores: dict[int, float] | None = None

    def docs(self) -> Any:
        return self.weights.keys()

    def within(self, candidates: set[int]) -> set[int]:
        return self.weights.keys() & candidates

    def has(self, docnum: int) -> bool:
        return docnum in self.weights

    def size(self) -> int:
        return len(self.weights)

    def bound(self) -> float | None:
        """No posting of the term here scores above this (None: unknown)."""
        if not self.weights:
            return 0.0
        weight = self._max_weight
        return self._bound(max(self.weights.values()) if weight is None else weight)

    def scores(self, wanted: set[int]) -> dict[int, float]:
        weights = self.weights
        known = self._scores
        if known is None:
            known = self._scores = {}
        here = weights.keys() & wanted  # iterates the smaller; `set.intersection(dict)` does not
        missing = here.difference(known)
        if missing:
            known.update(self._scorer()(missing, weights))
        return dict(zip(here, map(known.__getitem__, here), strict=True))

    def terms(self, docnum: int, out: list[Term]) -> None:
        if docnum in self.weights:
            out.append(self.term)


class _Null:
    __slots__ = ()

    def docs(self) -> set[int]:
        return set()

    def within(self, candidates: set[int]) -> set[int]:
        return set()

    def has(self, docnum: int) -> bool:
        return False

    def size(self) -> int:
        return 0

    def scores(self, wanted: set[int]) -> dict[int, float]:
        return {}

    def terms(self, docnum: int, out: list[Term]) -> None:
        return None


class _Pair:
    """A binary matcher: union, intersection or a AND NOT b (`kind`: Whoosh's matcher class)."""

    __slots__ = ("kind", "a", "b", "_docs")

    def __init__(self, kind: type, a: Any, b: Any) -> None:
        self.kind, self.a, self.b = kind, a, b
        self._docs: set[int] | None = None

    def docs(self) -> set[int]:
        if self._docs is None:
            if self.kind is UnionMatcher:
                self._docs = set(self.a.docs()).union(self.b.docs())
            elif self.kind is IntersectionMatcher:
                # The smaller side's documents, looked up in the other: a union of large
                # posting lists (a word in any field) is never built whole.
                small, large = sorted((self.a, self.b), key=_size)
                self._docs = large.within(set(small.docs()))
            else:
                found = set(self.a.docs())
                self._docs = found - self.b.within(found)
        return self._docs

    def within(self, candidates: set[int]) -> set[int]:
        """The node's documents among `candidates`."""
        if self._docs is not None:
            return self._docs & candidates
        if self.kind is UnionMatcher:
            return self.a.within(candidates) | self.b.within(candidates)
        found = self.a.within(candidates)
        if self.kind is IntersectionMatcher:
            return self.b.within(found)
        return found - self.b.within(found)

    def has(self, docnum: int) -> bool:
        if self.kind is UnionMatcher:
            return self.a.has(docnum) or self.b.has(docnum)
        if self.kind is IntersectionMatcher:
            return self.a.has(docnum) and self.b.has(docnum)
        return self.a.has(docnum) and not self.b.has(docnum)

    def size(self) -> int:
        """An estimate of the number of documents (an upper bound)."""
        if self.kind is UnionMatcher:
            return self.a.size() + self.b.size()
        if self.kind is IntersectionMatcher:
            return min(self.a.size(), self.b.size())
        return self.a.size()

    def scores(self, wanted: set[int]) -> dict[int, float]:
        # The matchers' score(): a.score() + b.score() where both match (same operand order).
        if self.kind is AndNotMatcher:
            scored = self.a.scores(wanted)
            excluded = self.b.within(set(scored))
            return {d: s for d, s in scored.items() if d not in excluded}
        a = self.a.scores(wanted)
        if self.kind is IntersectionMatcher:
            b = self.b.scores(wanted.intersection(a))
            return {d: a[d] + s for d, s in b.items()}
        b = self.b.scores(wanted)
        both = {d: a[d] + b[d] for d in a.keys() & b.keys()}
        a.update(b)
        a.update(both)
        return a

    def terms(self, docnum: int, out: list[Term]) -> None:
        # Called on a matching node only. Whoosh's TermsCollector records the terms of the
        # branches positioned on the document: not b of a AND NOT b, nor a branch that misses.
        if self.kind is not UnionMatcher or self.a.has(docnum):
            self.a.terms(docnum, out)
        if self.kind is IntersectionMatcher or (self.kind is UnionMatcher
                                                and self.b.has(docnum)):
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

    def within(self, candidates: set[int]) -> set[int]:
        found = self.child.within(candidates)
        if self.ids is not None:
            found = found.difference(self.ids) if self.exclude else found.intersection(self.ids)
        return found

    def has(self, docnum: int) -> bool:
        if self.ids is not None and (docnum in self.ids) == self.exclude:
            return False
        return self.child.has(docnum)  # type: ignore[no-any-return]

    def size(self) -> int:
        return self.child.size()  # type: ignore[no-any-return]

    def scores(self, wanted: set[int]) -> dict[int, float]:
        if self.ids is not None:
            wanted = self.within(wanted)
        boost = self.boost
        scores = self.child.scores(wanted)
        return scores if boost == 1.0 else {d: s * boost for d, s in scores.items()}

    def terms(self, docnum: int, out: list[Term]) -> None:
        if self.has(docnum):
            self.child.terms(docnum, out)


class _Inverse:
    """NOT q as a sub-query (`InverseMatcher`): every live document q misses, each scoring 1.0
    (its constant weight; Whoosh adds it to the document's score)."""

    __slots__ = ("child", "live", "_docs")

    def __init__(self, child: Any, live: set[int]) -> None:
        self.child, self.live = child, live
        self._docs: set[int] | None = None

    def docs(self) -> set[int]:
        if self._docs is None:
            self._docs = self.live.difference(self.child.docs())
        return self._docs

    def within(self, candidates: set[int]) -> set[int]:
        found = self.live & candidates
        return found - self.child.within(found)

    def has(self, docnum: int) -> bool:
        return docnum in self.live and not self.child.has(docnum)

    def size(self) -> int:
        return len(self.live)

    def bound(self) -> float:
        return 1.0

    def scores(self, wanted: set[int]) -> dict[int, float]:
        return dict.fromkeys(self.within(wanted), 1.0)

    def terms(self, docnum: int, out: list[Term]) -> None:
        return None


class _Constant:
    """A constant-score range (`ConstantScoreQuery` in a search that asks for no matched
    terms: a `ListMatcher` of the range's documents, each scoring `score`)."""

    __slots__ = ("child", "score")

    def __init__(self, child: Any, score: float) -> None:
        self.child, self.score = child, score

    def docs(self) -> Any:
        return self.child.docs()

    def within(self, candidates: set[int]) -> set[int]:
        return self.child.within(candidates)  # type: ignore[no-any-return]

    def has(self, docnum: int) -> bool:
        return self.child.has(docnum)  # type: ignore[no-any-return]

    def size(self) -> int:
        return self.child.size()  # type: ignore[no-any-return]

    def bound(self) -> float:
        return self.score

    def scores(self, wanted: set[int]) -> dict[int, float]:
        return dict.fromkeys(self.child.within(wanted), self.score)

    def terms(self, docnum: int, out: list[Term]) -> None:
        return None


class _Summed:
    """An Or that Whoosh preloads (`PreloadedOr`, an `ArrayUnionMatcher`: a search that asks
    for no matched terms, on a segment of at most 5,000 documents): each document's score is
    its children's scores times `boost`, added in the children's order; unscored (under a
    constant-score expansion, `MultiTerm.matcher`), 1.0. Its documents are those scoring
    above 0, as the matcher's scan keeps them (every child here scores above 0)."""

    __slots__ = ("children", "boost", "scored", "_docs")

    def __init__(self, children: list[Any], boost: float, scored: bool) -> None:
        self.children, self.boost, self.scored = children, boost, scored
        self._docs: set[int] | None = None

    def docs(self) -> set[int]:
        if self._docs is None:
            self._docs = set().union(*(child.docs() for child in self.children))
        return self._docs

    def within(self, candidates: set[int]) -> set[int]:
        if self._docs is not None:
            return self._docs & candidates
        return set().union(*(child.within(candidates) for child in self.children))

    def has(self, docnum: int) -> bool:
        return any(child.has(docnum) for child in self.children)

    def size(self) -> int:
        return sum(child.size() for child in self.children)

    def bound(self) -> float:
        return 1.0  # unscored only: the scored one's parts are bounded one by one

    def scores(self, wanted: set[int]) -> dict[int, float]:
        if not self.scored:
            return dict.fromkeys(self.within(wanted), 1.0)
        boost = self.boost
        summed: dict[int, float] = {}
        for child in self.children:
            for docnum, score in child.scores(wanted).items():
                summed[docnum] = summed.get(docnum, 0.0) + score * boost
        return {d: s for d, s in summed.items() if s > 0}

    def terms(self, docnum: int, out: list[Term]) -> None:
        for child in self.children:
            if child.has(docnum):
                child.terms(docnum, out)


_NULL = _Null()


class _Builder:
    """The matcher tree of a query on one segment, as `Query.matcher` builds it for a scored
    search, with the postings read.

    With `terms` (a search that asks for the matched terms: Whoosh's `needs_current`), every
    Or is a tree of binary unions. Without, as Whoosh builds it then: an Or of more than two
    parts on a segment of at most 5,000 documents is preloaded (`_Summed`), and a
    constant-score range scores its boost for each of its documents (`_Constant`).

    Whoosh looks each term up four times per segment (exists, scorer, postings, size estimate)
    and builds a scorer with a block-quality bound; this looks it up once and scores with the
    weighting's `posting_scores` when it has one.
    """

    def __init__(self, searcher: Searcher, weighting: Any,
                 doc_frequencies: dict[Term, int], *, terms: bool = True) -> None:
        self._searcher = searcher
        self._needs_current = terms
        self._scored = True
        """False under a constant-score expansion (Whoosh's context without a weighting)."""
        self._reader = searcher.reader()
        self._schema = searcher.schema
        self._weighting = weighting
        # Only a segment has deletions (the set `SegmentReader.postings` filters by).
        self._deleted: frozenset[int] = getattr(self._reader, "deleted_docs_set", frozenset())
        self._terms: dict[Term, tuple[Any, int]] = {}
        self._doc_frequencies = doc_frequencies
        """Each term's document frequency summed over the segments read so far (the builders
        of every segment share it): the idf, without a second lookup of the term per segment."""

    def node(self, query: Query) -> Any:
        return self._node(query)[0]

    def _node(self, query: Query) -> tuple[Any, int]:
        """(tree, `query.estimate_size(reader)`)."""
        kind = type(query)
        if kind is wq.Term:
            return self._term(query)
        if kind is wq.And or kind is wq.Or:
            return self._compound(query)
        if kind is wq.AndNot:
            a, a_size = self._node(query.a)
            b, b_size = self._node(query.b)
            return _Pair(AndNotMatcher, a, b), min(a_size + b_size, self._reader.doc_count())
        if query is wq.NullQuery:
            return _NULL, 0
        if kind is wq.Not:
            return _Inverse(self._node(query.query)[0], self._live()), self._reader.doc_count()
        if isinstance(query, wq.NumericRange) and not self._needs_current:
            return self._range(query)
        if isinstance(query, wq.MultiTerm) and kind.estimate_size is wq.MultiTerm.estimate_size \
                and (kind.matcher is wq.MultiTerm.matcher
                     or (kind is wq.Prefix and query.text != "")
                     or (kind is wq.Wildcard and query.text != "*")):
            return self._expanded(query)
        raise _Unsupported(kind.__name__)

    def _live(self) -> set[int]:
        return set(range(self._reader.doc_count_all())).difference(self._deleted)

    def _expanded(self, query: Any) -> tuple[Any, int]:
        """A wildcard, prefix or fuzzy term: `MultiTerm.matcher`, an Or of its words."""
        fieldname = query.field()
        terms = [wq.Term(fieldname, word) for word in query._btexts(self._reader) if word]
        # Each word's document frequency, from the term info its node reads anyway (once).
        size = sum(self._term(term)[1] for term in terms)
        if not terms:
            return _NULL, size
        if len(terms) == 1:
            return self._node(terms[0])[0], size
        scored, self._scored = self._scored, not query.constantscore and self._scored
        try:
            return self._node(wq.Or(terms, boost=query.boost))[0], size
        finally:
            self._scored = scored

    def _range(self, query: wq.NumericRange) -> tuple[Any, int]:
        """A numeric or date range (`NumericRange.matcher`: an Or of its trie terms, with a
        constant score unless asked otherwise)."""
        compiled = query._compile_query(self._reader)
        if compiled is wq.NullQuery:
            return _NULL, 0
        if type(compiled) is not wq.ConstantScoreQuery:
            return self._node(compiled)
        tree, size = self._node(compiled.child)
        return (_NULL if tree is _NULL else _Constant(tree, compiled.score)), size

    def _compound(self, query: Any) -> tuple[Any, int]:
        subs = query.subqueries
        if isinstance(query, wq.Or) and (query.scale or query.matcher_type != wq.Or.AUTO_MATCHER
                                         or len(subs) >= wq.Or.TOO_MANY_CLAUSES):
            raise _Unsupported("Or with a coordination factor or a forced matcher")
        built = [self._node(sub) for sub in subs]
        if isinstance(query, wq.And):
            size = min((size for _, size in built), default=0)
            pair, weighted = IntersectionMatcher, [(-size, tree) for tree, size in built]
        else:
            size = min(sum(size for _, size in built), self._reader.doc_count())
            pair, weighted = UnionMatcher, [(size, tree) for tree, size in built]
        if not built:
            return _NULL, size
        if len(built) == 1:  # CompoundQuery.matcher: the sub-query's matcher, unboosted
            return built[0][0], size
        if isinstance(query, wq.Or) and not self._needs_current and len(built) > 2 \
                and self._reader.doc_count_all() <= _PRELOADED_OR_DOCS:
            return _Summed([tree for tree, _ in built], query.boost, self._scored), size
        tree = _weighted_tree(pair, weighted)
        return (tree if query.boost == 1.0 else _Wrapped(tree, query.boost)), size

    def _term(self, query: Any) -> tuple[Any, int]:
        if query.minquality:
            raise _Unsupported("Term with a minimum quality")
        fieldname = query.fieldname
        if fieldname not in self._schema:
            return _NULL, 0
        try:
            text = self._schema[fieldname].to_bytes(query.text)
        except ValueError:
            return _NULL, 0
        key = (fieldname, text)
        if key not in self._terms:
            self._terms[key] = self._read(fieldname, text)
        tree, size = self._terms[key]
        return (tree if query.boost == 1.0 else _Wrapped(tree, query.boost)), size

    def _read(self, fieldname: str, text: bytes) -> tuple[Any, int]:
        frequencies = self._doc_frequencies
        frequencies.setdefault((fieldname, text), 0)
        try:
            info = self._reader.term_info(fieldname, text)
        except TermNotFound:
            return _NULL, 0
        frequencies[fieldname, text] += info.doc_frequency()
        searcher, weighting = self._searcher, self._weighting
        leaf: Any = _Leaf((fieldname, text), self._postings(fieldname, text, info),
                          lambda: _posting_scores(weighting, searcher, fieldname, text,
                                                  frequencies[fieldname, text]),
                          lambda weight: _score_bound(weighting, searcher, fieldname,
                                                      frequencies[fieldname, text], weight),
                          _max_weight(info))
        if self._deleted:
            leaf = _Wrapped(leaf, 1.0, self._deleted, exclude=True)
        return leaf, info.doc_frequency()

    def _postings(self, fieldname: str, text: bytes, info: Any) -> dict[int, float]:
        """document -> weight of the term's postings, deleted documents included."""
        start = _w3_start(self._reader, info)
        if start is not None:
            return _w3_postings(*start)
        matcher = self._reader.postings(fieldname, text)
        if type(matcher) is FilterMatcher:  # the segment's deletions
            matcher = matcher.child
        weights: dict[int, float] = {}
        while matcher.is_active():
            weights[matcher.id()] = matcher.weight()
            matcher.next()
        return weights


_PRELOADED_OR_DOCS = 5000
"""`Or._matcher`: without `needs_current`, an Or of more than two parts on a segment of at
most this many documents is preloaded."""


def _weighted_tree(pair: type, weighted: list[tuple[int, Any]]) -> Any:
    """`whoosh.util.make_weighted_tree`: repeatedly pair the two lightest, lightest first.

    Whoosh sorts (weight, matcher) tuples, but matchers compare equal or unordered, so the
    order is by weight alone, stable; the pair goes after the items of equal weight.
    """
    items = sorted(weighted, key=_weight)
    while len(items) > 1:
        (a_weight, a), (b_weight, b) = items.pop(0), items.pop(0)
        insort(items, (a_weight + b_weight, _Pair(pair, a, b)), key=_weight)
    return items[0][1]


def _weight(item: tuple[float, Any]) -> float:
    """The first item of a (weight, node) pair: tree weights and score bounds sort by it."""
    return item[0]


def _size(node: Any) -> int:
    return node.size()  # type: ignore[no-any-return]


def _posting_scores(weighting: Any, searcher: Searcher, fieldname: str, text: bytes,
                    doc_frequency: int) -> PostingScores:
    fast = getattr(weighting, "posting_scores", None)
    if fast is not None:
        return fast(searcher, fieldname, text,  # type: ignore[no-any-return]
                    doc_frequency=doc_frequency)
    score = _score_function(weighting.scorer(searcher, fieldname, text))
    return lambda docs, weights: {d: score(d, weights[d]) for d in docs}


def _max_weight(info: Any) -> float | None:
    """At least the highest weight of a term's postings in a segment, from its term info (a
    float32, so raised by more than its rounding), or None to find it in the postings."""
    if type(info) is W3TermInfo and not info.is_inlined() and info.max_weight() is not None:
        return info.max_weight() * (1 + 1e-6)  # type: ignore[no-any-return]
    return None


def _score_bound(weighting: Any, searcher: Searcher, fieldname: str, doc_frequency: int,
                 max_weight: float) -> float | None:
    bound = getattr(weighting, "score_bound", None)
    return None if bound is None else bound(searcher, fieldname, doc_frequency, max_weight)


_VALUES_START = b"c_codecs\nencode\n"
"""Where a block's values (positions, characters) begin in its pickle: a `bytes` (protocol 2
pickles one as a call of `_codecs.encode`, GLOBAL), or a tuple (MARK) whose first item is one.
No 16-byte run of the ids (BININT opcodes) or weights (BINFLOAT opcodes) before it can match."""


_MARK = pickle.MARK[0]
_HEAD_BYTES_PER_POSTING = 12
"""Bytes of a block's pickle to inflate at a time, per posting, until its values begin: the
ids and weights take up to ~11 bytes a posting (a delta is a BININT1 of 2 bytes or longer, a
weight a BINFLOAT of 9 bytes, or one float for the block)."""


def _ids_and_weights(data: bytes, count: int, compressed: bool) -> tuple[Any, Any]:
    """The (delta-coded ids, weights) of a block's pickled (ids, weights, values).

    Unpickling the values is 90% of the cost for a text field (a `bytes` object per posting,
    each made by a `_codecs.encode` call) and they are not needed: the pickle is cut where
    they begin and closed as a pair (TUPLE2, STOP). A compressed block is inflated only as far
    as its ids and weights can reach: the positions are most of it (and of the inflating).
    """
    if compressed:
        inflater = zlib.decompressobj()
        step = count * _HEAD_BYTES_PER_POSTING + 64
        data = inflater.decompress(data, step)
        while inflater.unconsumed_tail:
            found = _cut_before_values(data, count)
            if found is not None:
                return found
            data += inflater.decompress(inflater.unconsumed_tail, step)
        data += inflater.flush()
    found = _cut_before_values(data, count)
    if found is not None:
        return found
    deltas, weights, _ = pickle.loads(data)
    return deltas, weights


def _cut_before_values(data: bytes, count: int) -> tuple[Any, Any] | None:
    start = data.find(_VALUES_START)
    if start > 0 and data[start - 1] == _MARK:
        start -= 1
    if start > 0:
        try:
            head = pickle.loads(data[:start] + b"\x86.")
        except pickle.UnpicklingError:
            return None
        if type(head) is tuple and len(head) == 2 and type(head[0]) is tuple \
                and len(head[0]) == count:
            return head
    return None


def _w3_start(reader: Any, info: Any) -> tuple[Any, int] | None:
    """(posting file, position of the first block) of a term of a segment reader whose
    postings are in W3's layout (not inlined in its term info), else None.

    Where `W3TermsReader.matcher` would start a `W3LeafMatcher` (a third lookup of the term,
    and the first block's header read through a file object)."""
    terms: Any = getattr(reader, "_terms", None)
    if type(terms) in W3_TERMS_READERS and type(info) is W3TermInfo and not info.is_inlined():
        offset = info.extent()[0]
        if terms._postfile.get(offset, len(WHOOSH3_HEADER_MAGIC)) == WHOOSH3_HEADER_MAGIC:
            return terms._postfile, offset + len(WHOOSH3_HEADER_MAGIC)
    return None


def term_positions(reader: Any, fieldname: str, text: bytes,
                   docnums: Sequence[int]) -> Iterator[tuple[int, list[int]]]:
    """(document, positions of the term in `fieldname`) for each of `docnums` (ascending, of
    this segment reader) that has the term, as ``matcher.value_as("positions")`` gives them.

    Read in W3's layout a block at a time: blocks whose last document is before the next
    wanted one are stepped over on their header, the others decoded at once (ids by
    `accumulate`, each wanted document found by bisection). A `W3LeafMatcher` steps through
    every posting before a wanted one in Python and reads each header through a file object.
    """
    fieldobj = reader.schema[fieldname]
    decode = fieldobj.format.decoder("positions")
    fixed_size = fieldobj.format.fixed_value_size()
    try:
        info = reader.term_info(fieldname, text)
    except TermNotFound:
        return
    start = _w3_start(reader, info) if fixed_size is None or fixed_size < 0 else None
    if start is None:
        yield from _matcher_positions(reader.postings(fieldname, text), docnums, decode)
        return
    postfile, position = start
    wanted = iter(docnums)
    target = next(wanted, None)
    while target is not None:
        length = postfile.get_int(position)
        block = postfile.get(position + _INT_SIZE, abs(length))
        stream = BytesIO(block)
        count, last_id, _, compression, _, _ = pickle.load(stream)
        if target <= last_id:
            data = block[stream.tell():]
            deltas, _, values = pickle.loads(zlib.decompress(data) if compression else data)
            ids = list(accumulate(deltas))
            at = 0
            while target is not None and target <= last_id:
                at = bisect_left(ids, target, at)
                if ids[at] == target:
                    yield target, decode(values[at])
                target = next(wanted, None)
        if length < 0:
            return
        position += _INT_SIZE + abs(length)


def _matcher_positions(matcher: Any, docnums: Sequence[int],
                       decode: Callable[[bytes], list[int]]) -> Iterator[tuple[int, list[int]]]:
    """`term_positions` through a Whoosh matcher (any codec)."""
    for docnum in docnums:
        if not matcher.is_active():
            return
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                return
        if matcher.id() == docnum:
            yield docnum, decode(matcher.value())


def _w3_postings(postfile: Any, position: int) -> dict[int, float]:
    """The postings of a Whoosh 3 posting list whose first block starts at `position`, decoded
    a block at a time.

    The codec's layout, read as `W3LeafMatcher` reads it (`_goto`, `_read_ids`,
    `_read_weights`): per block a signed length (negative for the last block), the pickled
    block info, then the pickled (optionally zlib-compressed) (delta-coded ids, weights,
    values). The matcher itself unpickles the info through a file object (a dozen small reads)
    and decodes the ids in a Python generator: three times slower.
    """
    weights: dict[int, float] = {}
    while True:
        length = postfile.get_int(position)
        block = postfile.get(position + _INT_SIZE, abs(length))
        stream = BytesIO(block)
        count, _, _, compression, _, _ = pickle.load(stream)
        deltas, block_weights = _ids_and_weights(block[stream.tell():], count, bool(compression))
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


def segment_slices(ordered: list[int], offsets: Sequence[int]) -> list[tuple[int, int, int]]:
    """(segment number, start, stop) of each segment's documents in the ascending document
    numbers `ordered`, given each segment's first document number; segments with none left out."""
    stops = [*(bisect_left(ordered, offset) for offset in offsets[1:]), len(ordered)]
    starts = [0, *stops[:-1]]
    return [(number, start, stop)
            for number, (start, stop) in enumerate(zip(starts, stops, strict=True))
            if start < stop]


_PRUNE_FROM = 8
"""`top_scores` scores every document when there are at most this many per wanted one."""


def _bounded_parts(tree: Any) -> list[tuple[float, Any]] | None:
    """The parts of a segment's tree that add to a score, each once, with a bound of what it
    adds to one document's score (its terms' bounds times the boosts above it, summed over
    where it occurs), smallest first; None when some part has no bound."""
    found: dict[int, list[Any]] = {}
    if not _collect(tree, 1.0, found):
        return None
    parts: list[tuple[float, Any]] = []
    for node, multiplier in found.values():
        bound = node.bound()
        if bound is None:
            return None
        parts.append((bound * multiplier, node))
    parts.sort(key=_weight)
    return parts


def _collect(node: Any, multiplier: float, found: dict[int, list[Any]]) -> bool:
    """Add the score-making nodes under `node` to `found` (id -> [node, summed multiplier]);
    False for a negative boost, under which no bound holds."""
    kind = type(node)
    if kind is _Summed and node.scored:
        return node.boost >= 0 and all(_collect(child, multiplier * node.boost, found)
                                       for child in node.children)
    if kind is _Leaf or kind is _Inverse or kind is _Constant or kind is _Summed:
        entry = found.setdefault(id(node), [node, 0.0])
        entry[1] += multiplier
        return True
    if kind is _Pair:
        # a AND NOT b scores as a; the other pairs add both sides' scores.
        return _collect(node.a, multiplier, found) and (
            node.kind is AndNotMatcher or _collect(node.b, multiplier, found))
    if kind is _Wrapped:
        return node.boost >= 0 and _collect(node.child, multiplier * node.boost, found)
    return True  # _Null adds nothing


def _seeds(bounded: list[tuple[int, set[int], list[tuple[float, Any]]]],
           count: int) -> list[tuple[int, set[int]]]:
    """Per segment, its wanted documents holding its highest-bound parts: one part more in
    every segment until there are `count` documents (or no part is left)."""
    seeds = [(number, set()) for number, _, _ in bounded]
    depth = 0
    while sum(len(seed) for _, seed in seeds) < count:
        depth += 1
        if all(depth > len(parts) for _, _, parts in bounded):
            break
        for (_, wanted, parts), (_, seed) in zip(bounded, seeds, strict=True):
            if depth <= len(parts):
                seed |= parts[-depth][1].docs() & wanted
    return seeds


def _essential(wanted: set[int], parts: list[tuple[float, Any]], below: float) -> set[int]:
    """The documents of `wanted` that may score `below` or more: for each language, those
    holding a part outside the smallest-bound parts a document of that language can hold
    whose bounds add up to less than `below`."""
    languages = {_LANGUAGE_OF.get(_field(node)) for _, node in parts} - {None}
    found: set[int] = set()
    for language in languages or {None}:
        group = [part for part in parts if _LANGUAGE_OF.get(_field(part[1])) in (None, language)]
        total = 0.0
        first = 0
        while first < len(group) and total + group[first][0] < below:
            total += group[first][0]
            first += 1
        for _, node in group[first:]:
            found |= node.docs() & wanted
    return found


def _field(node: Any) -> str | None:
    return node.term[0] if type(node) is _Leaf else None


_LANGUAGE_OF = {name(lang): lang for lang in Lang for name in (title_field, text_field)}
"""Field name -> its language, for the fields an article has only in its own language."""


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
        return self._scores(self._per_segment(docnums))

    def top_scores(self, docnums: Iterable[int], count: int) -> dict[int, float]:
        """`scores` of the documents of `docnums` that can be among the `count` best: the
        others are never scored (MaxScore, Turtle and Flood 1995).

        First the documents holding the highest-scoring terms are scored, until there are
        `count` of them: the `count`-th best of those scores is one the page's last document
        reaches at least. A document whose terms' score bounds add up to less cannot be on the
        page, so only the documents holding a term outside the smallest bounds that stay below
        it are scored. An article has the title and text fields of its own language only, so
        the bounds of the other languages' fields are not added up for it.
        """
        per_segment = self._per_segment(docnums)
        if sum(len(wanted) for _, wanted in per_segment) <= count * _PRUNE_FROM:
            return self._scores(per_segment)
        bounded = [(number, wanted, _bounded_parts(self.trees[number]))
                   for number, wanted in per_segment]
        if any(parts is None for _, _, parts in bounded):
            return self._scores(per_segment)
        seeds = _seeds(bounded, count)  # type: ignore[arg-type]
        scores = self._scores(seeds)
        if len(scores) < count:
            return self._scores(per_segment)
        threshold = heapq.nlargest(count, scores.values())[-1]
        below = threshold - abs(threshold) * 1e-9 - 1e-12  # float rounding of the sums
        rest = [(number, _essential(wanted, parts, below) - seed)  # type: ignore[arg-type]
                for (number, wanted, parts), (_, seed) in zip(bounded, seeds, strict=True)]
        scores.update(self._scores(rest))
        return scores

    def _per_segment(self, docnums: Iterable[int]) -> list[tuple[int, set[int]]]:
        """(segment number, its documents among `docnums`, numbered in the segment)."""
        ordered = sorted(docnums)
        offsets = self.offsets
        return [(number, set(ordered[start:stop]) if offsets[number] == 0 else
                 {d - offsets[number] for d in ordered[start:stop]})
                for number, start, stop in segment_slices(ordered, offsets)]

    def _scores(self, per_segment: list[tuple[int, set[int]]]) -> dict[int, float]:
        result: dict[int, float] = {}
        for number, wanted in per_segment:
            if wanted:
                offset = self.offsets[number]
                scored = self.trees[number].scores(wanted)
                result.update(scored if offset == 0 else
                              ((d + offset, s) for d, s in scored.items()))
        return result

    def matched_terms(self, docnum: int) -> list[Term]:
        """The (field, term) pairs through which the matching `docnum` matches."""
        number = bisect_right(self.offsets, docnum) - 1
        found: list[Term] = []
        self.trees[number].terms(docnum - self.offsets[number], found)
        return found


def read_matches(searcher: Searcher, query: Query, *, terms: bool = True) -> Matches | None:
    """The query's matcher trees with their postings, or None if the query has a part this
    module does not build (the caller then uses Whoosh's collectors).

    Scores use the searcher's weighting, as Whoosh's collectors compute them for
    ``searcher.search(query, terms=terms)`` (without `terms`, numeric and date ranges are
    read too).
    """
    leaves = searcher.leaf_searchers()
    doc_frequencies: dict[Term, int] = {}
    try:
        trees = tuple(_Builder(leaf, searcher.weighting, doc_frequencies, terms=terms)
                      .node(query) for leaf, _ in leaves)
    except _Unsupported:
        return None
    return Matches(tuple(offset for _, offset in leaves), trees)
