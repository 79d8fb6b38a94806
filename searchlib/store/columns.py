"""Segment-safe reads of the index's sortable columns (no stored text is loaded)."""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

__all__ = ["Column", "MISSING_DATE"]

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
        self._readers = [leaf.column_reader(fieldname, translate=not raw)
                         if leaf.has_column(fieldname) else None for leaf, _ in leaves]
        self._default = default

    def __getitem__(self, docnum: int) -> Any:
        number = bisect_right(self._offsets, docnum) - 1
        column = self._readers[number]
        if column is None:
            return self._default
        return column[docnum - self._offsets[number]]
