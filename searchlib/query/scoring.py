"""Ranking: BM25F with Lucene's idf and per-language collection statistics.

Two departures from Whoosh's `BM25F`, both measured or forced by the index layout:

- **idf.** Whoosh uses ``ln(N / (df + 1)) + 1``, which never falls below 1, so a word found in
  nearly every article still adds a full term's weight; Lucene uses
  ``ln(1 + (N - df + 0.5) / (df + 0.5))``, which goes to 0 for such words. With identical tokens
  the Lucene idf measured about +0.01 MRR@10 on passage retrieval (issue 4), mostly on
  question-like queries full of common words.
- **N and the average field length count only the articles of the field's language.** Each
  article fills only its own language's fields (``text_uk`` ...), but Whoosh divides by every
  article of the index: in an index that is one third Ukrainian, every Ukrainian body would look
  three times longer than average and be penalised as such. Lucene counts the documents that
  have the field; here that is the number of articles whose ``lang`` is the field's language.

``k1`` and ``b`` stay at Whoosh's (and Lucene's) 1.2 and 0.75.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length

__all__ = ["LuceneBM25F", "PostingScores"]

_LANG_SUFFIXES = ("uk", "ru", "en")

PostingScores = Callable[[Iterable[int], Mapping[int, float]], dict[int, float]]
"""(documents, document -> weight) -> document -> score, for one term's postings."""

_FIELD_STATS: WeakKeyDictionary = WeakKeyDictionary()
"""searcher -> field name -> (N, average field length). A scorer is made per term and segment
(~120 for a two-word query on 10 segments) and each summed these over every segment again:
a fifth of a query's matcher set-up on a 20k index."""


def _field_stats(searcher, fieldname: str) -> tuple[int, float]:
    """N (articles that can have `fieldname`) and its average length over them."""
    per_field = _FIELD_STATS.get(searcher)
    if per_field is None:
        per_field = _FIELD_STATS[searcher] = {}
    stats = per_field.get(fieldname)
    if stats is None:
        n = _field_doc_count(searcher, fieldname)
        stats = per_field[fieldname] = (n, (searcher.field_length(fieldname) / n if n else 0) or 1)
    return stats


def _field_doc_count(searcher, fieldname: str) -> int:
    """Articles that can have `fieldname`: those of its language, else every article."""
    total = searcher.doc_count_all()
    suffix = fieldname.rsplit("_", 1)[-1]
    if suffix in _LANG_SUFFIXES and "lang" in searcher.schema:
        in_language = searcher.doc_frequency("lang", suffix)
        if in_language:
            return min(in_language, total)
    return total


class _Scorer(scoring.BM25FScorer):
    def __init__(self, searcher, fieldname, text, B, K1, qf=1):
        # Not super().__init__: setup() computes the block-max bound from avgfl, so avgfl must
        # be ours before it runs.
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = _field_stats(parent, fieldname)[1]
        self.B = B
        self.K1 = K1
        self.qf = qf
        self.setup(searcher, fieldname, text)


class LuceneBM25F(scoring.BM25F):
    """`whoosh.scoring.BM25F` with Lucene's idf and per-language N and average field length.

    Pass it when opening a searcher: ``ix.searcher(weighting=LuceneBM25F())``. Per-field ``B``
    options (``text_uk_B=0.7``) work as in `BM25F`.
    """

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        return _idf(_field_stats(parent, fieldname)[0], parent.doc_frequency(fieldname, text))

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        B = self._field_B.get(fieldname, self.B)
        return _Scorer(searcher, fieldname, text, B, self.K1, qf=qf)

    def posting_scores(self, searcher, fieldname, text, doc_frequency: int) -> PostingScores:
        """(documents, document -> weight) -> the score `scorer(...).score(matcher)` gives each
        of those postings of the term on `searcher`'s segment, bit for bit, without the scorer's
        block-quality set-up (a term-info lookup per term and segment). Used by
        `searchlib.query.matches`, which passes the term's `doc_frequency` in the whole index,
        summed from the segments' term infos it reads anyway (the searcher's `idf` looks the
        term up in every segment again)."""
        if not searcher.schema[fieldname].scorable:
            return lambda docs, weights: {d: weights[d] for d in docs}
        field = self._segment_field(searcher, fieldname)
        idf, lengths, norms = _idf(field.n, doc_frequency), field.lengths, field.norms
        if lengths is None or norms is None:
            bm25, avgfl, B, K1 = scoring.bm25, field.avgfl, field.B, self.K1
            length = searcher.reader().doc_field_length
            return lambda docs, weights: {
                d: bm25(idf, weights[d], length(d, fieldname, 1), avgfl, B, K1) for d in docs}
        # `scoring.bm25` is idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))):
        # the length term, computed the same way for each of the 255 length codes, and the same
        # operations in the same order give the same floats without two calls per posting.
        k1_plus_1 = self.K1 + 1
        return lambda docs, weights: {
            d: idf * ((weights[d] * k1_plus_1) / (weights[d] + norms[lengths[d]])) for d in docs}

    def score_bound(self, searcher, fieldname, doc_frequency: int,
                    max_weight: float) -> float | None:
        """No posting of weight <= `max_weight` gets a higher `posting_scores` score: BM25
        grows with the weight and falls with the length term, which is at least
        ``K1 * (1 - B)``. None for a per-field B outside [0, 1], where that fails."""
        if not searcher.schema[fieldname].scorable:
            return max_weight
        field = self._segment_field(searcher, fieldname)
        if not 0 <= field.B <= 1:
            return None
        idf = _idf(field.n, doc_frequency)
        return idf * ((max_weight * (self.K1 + 1)) / (max_weight + self.K1 * (1 - field.B)))

    def _segment_field(self, searcher, fieldname: str) -> _SegmentField:
        """What scoring `fieldname` on `searcher`'s segment needs, made once per searcher (a
        query scores several terms of a field on each segment)."""
        per_field = _SEGMENT_FIELDS.get(searcher)
        if per_field is None:
            per_field = _SEGMENT_FIELDS[searcher] = {}
        field = per_field.get(fieldname)
        if field is None:
            n, avgfl = _field_stats(searcher.get_parent(), fieldname)
            B = self._field_B.get(fieldname, self.B)
            lengths = _length_bytes(searcher.reader(), fieldname)
            field = per_field[fieldname] = _SegmentField(
                n, avgfl, B, lengths, None if lengths is None else _length_norms(avgfl, B, self.K1))
        return field


@dataclass(frozen=True, slots=True)
class _SegmentField:
    n: int
    """Articles that can have the field (`_field_doc_count`)."""
    avgfl: float
    B: float
    lengths: bytes | None
    """The segment's one-byte length codes of the field (`_length_bytes`)."""
    norms: list[float | None] | None
    """BM25's length term per length code (`_length_norms`)."""


_SEGMENT_FIELDS: WeakKeyDictionary = WeakKeyDictionary()
"""searcher of a segment -> field name -> `_SegmentField`."""


def _idf(n: int, doc_frequency: int) -> float:
    """Lucene's idf of a term found in `doc_frequency` of the `n` documents of its field."""
    df = min(doc_frequency, n)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


@lru_cache(maxsize=64)
def _length_norms(avgfl: float, B: float, K1: float) -> list[float | None]:
    """BM25's length term ``K1 * ((1 - B) + B * fl / avgfl)`` for each one-byte length code."""
    return [None if fl is None else K1 * ((1 - B) + B * fl / avgfl) for fl in _BYTE_LENGTHS]


_BYTE_LENGTHS = (None, *(byte_to_length(code) for code in range(1, 256)))
"""Field length by its one-byte code, as `W3PerDocReader.doc_field_length` decodes it (a zero
byte, no length, gives None)."""


def _length_bytes(reader, fieldname: str) -> bytes | None:
    """The one-byte length codes of `fieldname` for every document of a Whoosh 3 segment
    (`reader.doc_field_length` reads them a byte at a time: 5 µs a posting), or None if the
    segment stores them otherwise."""
    perdoc: Any = getattr(reader, "_perdoc", None)
    if type(perdoc) is not W3PerDocReader:
        return None
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    if type(column) is not NumericColumn.Reader or column._typecode != "B" \
            or column._default != 0:
        return None
    # Documents past the last one with the field have no byte (their code is 0).
    data = column._dbfile.get(column._basepos, column._count)
    return data + bytes(max(0, reader.doc_count_all() - len(data)))
