"""The document writer of searchlib segments: postings kept per term as documents are added.

Index stage. Whoosh's `SegmentWriter` adds one tuple (field, term, document, weight, value) per
posting to a pool that sorts all of them at the commit, and the codec then groups them back
into terms: in a profile of a one-process build (issue 24) the pool's `add`, the sort and the
regrouping were ~17% of indexing time. `SearchlibWriter` keeps each field's terms in a
dictionary instead, a term's postings in one list (`TermPool`), and hands the codec whole terms
in (field, term) order (`SearchlibCodec`'s `add_terms`): the sort is over terms, not postings.
The segment written is the one Whoosh's pool and `add_postings` write, byte for byte
(tests/store/test_postings.py).

Past its memory limit the pool writes its terms, sorted, to a run file and starts again, as
Whoosh's pool spills sorted runs; the commit merges the runs.
"""

from __future__ import annotations

import heapq
import pickle
from collections.abc import Iterable, Iterator
from itertools import chain, groupby
from operator import itemgetter, sub
from typing import Any

from whoosh.fields import TEXT
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from searchlib.analysis.memo import MemoAnalyzer
from searchlib.store.codec import SearchlibCodec, Term

__all__ = ["SearchlibWriter", "TermPool"]

_POSTING_SIZE = 150
"""Whoosh's estimate of one pooled posting's memory besides its field, term and value (bytes);
the pool's `currentsize` counts as Whoosh's does, so memory limits mean what they meant."""

_field_and_term = itemgetter(0, 1)


class TermPool:
    """The postings of one segment being written: field -> term -> its postings, flat
    (document, weight, value, document, weight, value...), documents in increasing order."""

    def __init__(self, tempstore: Any, limitmb: float) -> None:
        self._fields: dict[str, dict[Any, list[Any]]] = {}
        """Field -> term -> postings; a term is bytes, or text for the fields in
        `_text_keyed`."""
        self._text_keyed: set[str] = set()
        self._tempstore = tempstore
        self._runs: list[str] = []
        self.limit = limitmb * 1024 * 1024
        self.currentsize = 0
        """Whoosh's estimate of the memory the pooled postings take (`PostingPool`'s)."""

    def add_field(self, fieldname: str, docnum: int,
                  items: Iterable[tuple[bytes, int, float, bytes]], boost: float) -> int:
        """Pool a document's postings of one field (`Field.index` items); the sum of their
        frequencies (the field's length in the document)."""
        terms = self._bytes_terms(fieldname)
        length = count = size = 0
        for tbytes, freq, weight, vbytes in items:
            length += freq
            count += 1
            size += 2 * len(tbytes) + len(vbytes)
            entry = terms.get(tbytes)
            if entry is None:
                terms[tbytes] = [docnum, weight * boost, vbytes]
            else:
                entry += (docnum, weight * boost, vbytes)
        self._grew(count * (_POSTING_SIZE + len(fieldname)) + size)
        return length

    def add_positions(self, fieldname: str, docnum: int, found: dict[str, list[int]],
                      format_boost: float, boost: float, positions: bool) -> int:
        """Pool a document's postings of one text field from each term's positions in it
        (`MemoAnalyzer.term_positions`): what `add_field` pools from the items
        `Positions.word_values` (`positions`) or `Frequency.word_values` give for them, with
        every token's boost 1 and `format_boost` the format's field boost, but keyed by the term's
        text, encoded once per segment when the terms are sorted (UTF-8 orders as code points
        do) instead of once per posting. The field's length in the document is returned."""
        terms = self._str_terms(fieldname)
        length = size = 0
        for text, places in found.items():
            count = len(places)
            length += count
            value = _encoded_positions(places) if positions else _COUNTS[count]
            size += 2 * len(text) + len(value)
            weight = count * format_boost * boost
            entry = terms.get(text)
            if entry is None:
                terms[text] = [docnum, weight, value]
            else:
                entry += (docnum, weight, value)
        # Whoosh's estimate, with the term's length in characters (not its UTF-8 bytes).
        self._grew(len(found) * (_POSTING_SIZE + len(fieldname)) + size)
        return length

    def _str_terms(self, fieldname: str) -> dict[Any, list[Any]]:
        """The field's terms for `add_positions`, keyed by text: a field pooled by bytes
        until now (never, for searchlib's schema) is re-keyed by text first."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self._text_keyed.add(fieldname)
        elif fieldname not in self._text_keyed:
            terms = self._fields[fieldname] = {btext.decode("utf-8"): entry
                                               for btext, entry in terms.items()}
            self._text_keyed.add(fieldname)
        return terms

    def _bytes_terms(self, fieldname: str) -> dict[bytes, list[Any]]:
        """The field's terms for `add_field` and `add`, keyed by bytes (re-keyed from text if
        `add_positions` pooled it until now)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
        elif fieldname in self._text_keyed:
            terms = self._fields[fieldname] = {text.encode("utf-8"): entry
                                               for text, entry in terms.items()}
            self._text_keyed.discard(fieldname)
        return terms

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Pool one posting (Whoosh's `PostingPool.add`)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        self._bytes_terms(fieldname).setdefault(tbytes, []).extend((docnum, weight, vbytes))
        self._grew(_POSTING_SIZE + len(fieldname) + 2 * len(tbytes) + len(vbytes or b""))

    def _grew(self, size: int) -> None:
        self.currentsize += size
        if self.currentsize > self.limit:
            self._spill()

    def _spill(self) -> None:
        """Write the pooled terms, sorted, to a new run file and empty the pool."""
        name = f"{random_name()}.run"
        with self._tempstore.create_file(name).raw_file() as run:
            pickler = pickle.Pickler(run, pickle.HIGHEST_PROTOCOL)
            for term in self._sorted_terms():
                pickler.dump(term)
        self._runs.append(name)
        self._fields = {}
        self._text_keyed = set()
        self.currentsize = 0

    def _sorted_terms(self) -> Iterator[Term]:
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            encoded = fieldname in self._text_keyed
            for term in sorted(terms):
                entry = terms[term]
                yield (fieldname, term.encode("utf-8") if encoded else term, entry[0::3],
                       entry[1::3], entry[2::3])

    def _read_run(self, name: str) -> Iterator[Term]:
        with self._tempstore.open_file(name).raw_file() as run:
            unpickler = pickle.Unpickler(run)
            while True:
                try:
                    yield unpickler.load()
                except EOFError:
                    return

    def terms(self) -> Iterator[Term]:
        """Every pooled term with its postings, in (field, term) order."""
        if not self._runs:
            return self._sorted_terms()
        streams = [self._read_run(name) for name in self._runs] + [self._sorted_terms()]
        # A run holds earlier documents than the runs after it: a term's parts join in order.
        merged = heapq.merge(*streams, key=_field_and_term)
        return (_joined(list(parts)) for _, parts in groupby(merged, key=_field_and_term))

    def cleanup(self) -> None:
        """Delete the run files."""
        for name in self._runs:
            self._tempstore.delete_file(name)
        self._runs = []


def _joined(parts: list[Term]) -> Term:
    if len(parts) == 1:
        return parts[0]
    fieldname, btext = parts[0][0], parts[0][1]
    return (fieldname, btext, [d for p in parts for d in p[2]], [w for p in parts for w in p[3]],
            [v for p in parts for v in p[4]])


def _term_positions(field: Any, value: Any) -> dict[str, list[int]] | None:
    """Each term of `value` with its positions, for a text field analysed by a `MemoAnalyzer`
    into positions or frequencies (searchlib's text fields: `TermPool.add_positions`); None for
    other fields, which `Field.index` indexes."""
    analyzer = field.analyzer
    if (type(field) is not TEXT or not isinstance(value, str)
            or not isinstance(analyzer, MemoAnalyzer)
            or type(field.format) not in (Positions, Frequency)):
        return None
    return analyzer.term_positions(value)


_ONE_POSITION: dict[int, bytes] = {}
"""The pickled gaps of a single position n, by n (most terms occur once in a text)."""
_ONE_POSITION_LIMIT = 1 << 16
_ONE = pack_uint(1)


class _Counts(dict[int, bytes]):
    """`pack_uint(n)` by n, made on first use (a `Frequency` value: the format's values have a
    fixed size, so a block joins them and one object serving many postings changes nothing)."""

    def __missing__(self, count: int) -> bytes:
        packed = self[count] = pack_uint(count)
        return packed


_COUNTS = _Counts()


def _encoded_positions(positions: list[int]) -> bytes:
    """`Positions.encode(positions)`: their number, then the pickled gaps between them. A new
    bytes object each time, as Whoosh's: a block pickles equal values that are one object as
    references to the first, which would change its bytes."""
    if len(positions) == 1:
        position = positions[0]
        pickled = _ONE_POSITION.get(position)
        if pickled is None:
            pickled = pickle.dumps(positions, 2)
            if position < _ONE_POSITION_LIMIT:
                _ONE_POSITION[position] = pickled
        return _ONE + pickled
    gaps = list(map(sub, positions, chain((0,), positions)))
    return pack_uint(len(gaps)) + pickle.dumps(gaps, 2)


class SearchlibWriter(SegmentWriter):
    """Whoosh's `SegmentWriter` with `SearchlibCodec` and a `TermPool` (see the module
    docstring). For schemas without spelling fields or term vectors (searchlib's)."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, codec=SearchlibCodec(), **kwargs)
        if any(field.separate_spelling() or field.vector for _, field in self.schema.items()):
            self._close_segment()
            self._finish()
            raise ValueError("SearchlibWriter: the schema has spelling or term-vector fields")
        self.pool = TermPool(self._tempstorage, kwargs.get("limitmb", 128))

    def add_document(self, **fields: Any) -> None:
        # `SegmentWriter.add_document`, postings pooled a field at a time.
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    found = _term_positions(field, value)
                    if found is None:
                        length = self.pool.add_field(fieldname, docnum, field.index(value),
                                                     boost)
                    else:
                        length = self.pool.add_positions(
                            fieldname, docnum, found, field.format.field_boost, boost,
                            type(field.format) is Positions)
                    if not field.scorable:
                        length = 0
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        # `SegmentWriter._flush_segment`, whole terms from the pool.
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        try:
            self.fieldwriter.add_terms(self.schema, lengths, self.pool.terms())
            self.fieldwriter.close()
        finally:
            if lengths is not None:
                lengths.close()
