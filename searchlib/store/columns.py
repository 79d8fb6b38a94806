"""Segment-safe reads of the index's sortable columns (no stored text is loaded)."""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.columns import CompressedBytesColumn, PickleColumn, VarBytesColumn

__all__ = ["Column", "MISSING_DATE", "FastVarBytesColumn", "fast_column", "open_stored"]

MISSING_DATE = 2**64 - 1
"""The raw ``published`` column value of an article without a date (sorts last)."""


class Column:
    """Read one column of any document of a (multi-segment) reader, by global document number.

    Whoosh's multi-segment column reader leaves out segments that lack the column (no document
    of that segment had a value) and then reads other documents' values for theirs; this reads
    segment by segment and gives `default` where a segment has no column.
    """

    def __init__(self, reader: Any, fieldname: str, *, default: Any, raw: bool = False) -> None:
        leaves = reader.leaf_readers()
        self._offsets = [offset for _, offset in leaves]
        column = fast_column(reader.schema[fieldname].column_type)
        self._readers = [leaf.column_reader(fieldname, column=column, translate=not raw)
                         if leaf.has_column(fieldname) else None for leaf, _ in leaves]
        self._default = default

    def __getitem__(self, docnum: int) -> Any:
        number = bisect_right(self._offsets, docnum) - 1
        column = self._readers[number]
        if column is None:
            return self._default
        return column[docnum - self._offsets[number]]


def _summed_offsets(self: Any) -> None:
    """`VarBytesColumn.Reader._read_offsets_and_lengths`, summing the lengths in C, and
    remembered per segment column (`_OFFSETS`).

    Below 32,768 documents a segment stores only each row's length, and Whoosh's reader sums
    them into offsets in a Python loop over every document when it opens (~0.5 ms per 8,000
    documents, per column and query).
    """
    dbfile = self._dbfile
    name = getattr(dbfile, "_name", None)
    key = (name, self._basepos, self._length, self._doccount)
    known = _OFFSETS.get(key) if name else None
    if known is not None:
        self._offsets, self._lengths = known
        return
    last = self._basepos + self._length - 1
    code = chr(dbfile.get_byte(last))
    if code == "X":  # offsets stored too
        VarBytesColumn.Reader._read_offsets_and_lengths(self)
    else:
        start = last - struct.calcsize(code) * self._doccount
        self._lengths = dbfile.get_array(start, code, self._doccount)
        self._offsets = array("L", accumulate(self._lengths, initial=0))
    if name:
        if len(_OFFSETS) >= _OFFSETS_LIMIT:
            _OFFSETS.clear()
        _OFFSETS[key] = (self._offsets, self._lengths)


_OFFSETS: dict[tuple[str, int, int, int], tuple[Any, Any]] = {}
"""(segment column file, position, size, documents) -> the column's (offsets, lengths).
Segment files never change once written (their names are random), and each search opens its
columns again: at 100k articles the sums cost ~5 ms a query. 16 bytes per document and column."""
_OFFSETS_LIMIT = 256


class FastVarBytesColumn(VarBytesColumn):
    """Whoosh's variable-length column (`id`, `dup_group`, `outlet`, `lang`), opened with
    `_summed_offsets`."""

    class Reader(VarBytesColumn.Reader):
        _read_offsets_and_lengths = _summed_offsets


class _FastCompressedBytesColumn(CompressedBytesColumn):
    """Whoosh's compressed column (stored fields), opened with `_summed_offsets`."""

    class Reader(CompressedBytesColumn.Reader):
        _read_offsets_and_lengths = _summed_offsets


_STORED_COLUMN = PickleColumn(_FastCompressedBytesColumn())
"""`whoosh.codec.whoosh3.STORED_COLUMN`, opened faster."""


def open_stored(searcher: Any, docnums: Iterable[int]) -> None:
    """Open the stored-fields column of the segments holding `docnums` with `_STORED_COLUMN`
    (a fresh searcher per query opens it per segment and hit; Whoosh's reader then caches it)."""
    leaves = searcher.reader().leaf_readers()
    offsets = [offset for _, offset in leaves]
    for number in {bisect_right(offsets, docnum) - 1 for docnum in docnums}:
        perdoc: Any = getattr(leaves[number][0], "_perdoc", None)
        if type(perdoc) is W3PerDocReader and "_stored" not in perdoc._readers \
                and perdoc.has_column("_stored"):
            perdoc._readers["_stored"] = perdoc.column_reader("_stored", _STORED_COLUMN)


def fast_column(column: Any) -> Any:
    """`column`, or `FastVarBytesColumn` for Whoosh's variable-length column (`id`,
    `dup_group`, `outlet`, `lang`): the same values, opened without a Python loop."""
    return FastVarBytesColumn() if type(column) is VarBytesColumn else column
