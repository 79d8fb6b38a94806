"""Segment merges that stream postings into the new segment instead of sorting them again.

Index stage. Whoosh merges segments by adding every posting of every merged segment to the
writer's posting pool, which sorts them all again (spilling sorted runs to disk past its memory
limit) before writing: measured here, a merge cost about as much CPU per document as indexing
it, and most of a 20k-article build was merging. But each segment's postings already come
sorted by field, term and document, and the merged segment numbers the documents of each
segment after those of the one before, so a k-way merge of the segments' term tables, each term
with its whole posting list read straight from the W3 blocks, is already in the order the codec
writes: `merge_segments` does that, holding one posting list per segment at a time. A term's
postings are copied as stored (`StoredPostings`): the blocks of the first segment holding the
term are copied without decoding them (all of them if no other segment holds it) unless that
segment has deleted documents or another codec wrote it; the others are decoded and written in
new blocks after them. So a merge is cheapest with the largest segment first.
Stored fields of a segment without deleted documents are copied compressed as they are stored,
and field lengths a column at a time (`_copy_per_doc`).

`MERGE_SMALL` and `OPTIMIZE` are Whoosh's merge policies of the same names (same choice of
segments), merging with `merge_segments` into a segment of their own; `MERGE_SMALL` merges the
largest first.
Not here: when merges happen (`store.py`, `parallel.py`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Any

from whoosh import columns, writing
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, W3PerDocReader
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length, length_to_byte

from searchlib.store.codec import (
    CopiedTerm,
    Postings,
    SearchlibCodec,
    StoredPostings,
    Term,
    joined_postings,
    read_terms,
    stored_terms,
    terms_of,
)

__all__ = ["merge_segments", "MERGE_SMALL", "OPTIMIZE", "MergePlan", "largest_first"]


def merge_segments(storage: Any, indexname: str, segments: list[Any],
                   started: Callable[[Any], None] | None = None) -> Any | None:
    """A new segment (files written, not yet in any table of contents) holding the live
    documents of `segments` in order; None when none of them has a live document.

    `started(segment)` is called with the new segment before its files are written (its id
    names them). Pages of the merged segments' files are unmapped as the merge reads past them
    (`release_mapped_pages`), so its memory stays small however large they are.
    """
    writer = writing.SegmentWriter(storage.open_index(indexname), _lk=False,
                                   codec=SearchlibCodec())
    if started is not None:
        started(writer.newsegment)
    readers = [SegmentReader(storage, writer.schema, segment) for segment in segments]
    try:
        streams = []
        for number, reader in enumerate(readers):
            first = writer.docnum
            names = set(writer.schema.names())
            names.update(n for n in reader.indexed_field_names() if n in writer.schema)
            docmap = None if _copy_per_doc(writer, reader, names) else writer.write_per_doc(
                names, reader)
            stored = stored_terms(reader, first) if docmap is None else None
            if stored is not None:  # no deleted documents: postings copied as stored
                streams.append(_numbered(stored, number))
                continue
            terms = read_terms(reader)
            if terms is None:
                terms = terms_of(writer._process_posts(reader.iter_postings(), 0, None))
            streams.append(_renumbered(terms, number, first, docmap))
        if not writer.docnum:
            writer._close_segment()
            return None
        writer.perdocwriter.close()
        lengths = writer.per_document_reader() if writer.codec.length_stats else None
        try:
            terms = _releasing(_joined(heapq.merge(*streams)), storage)
            writer.fieldwriter.add_terms(writer.schema, lengths, terms)
        finally:
            if lengths is not None:
                lengths.close()
        writer._close_segment()
        writer._assemble_segment()
        return writer.get_segment()
    except BaseException:
        writer._close_segment()
        raise
    finally:
        for reader in readers:
            reader.close()


def _copy_per_doc(writer: Any, reader: Any, fieldnames: set[str]) -> bool:
    """`writer.write_per_doc(fieldnames, reader)` for a W3 segment without deleted documents
    or term vectors, a column at a time; False (nothing done) for any other segment.

    Whoosh's version decompresses and unpickles each document's stored fields to pickle and
    compress them again, and looks for every field's length column once per document (a file
    lookup each time for fields that have none): 10% of a merge. Here the stored fields are
    copied as stored, and the same lengths and column values are added as Whoosh adds them.
    """
    perdoc = getattr(reader, "_perdoc", None)
    schema = writer.schema
    if (type(perdoc) is not W3PerDocReader or reader.has_deletions()
            or any(schema[name].vector for name in fieldnames)):
        return False
    target = writer.perdocwriter
    first, count = writer.docnum, reader.doc_count_all()
    stored = _column_writer(target, "_stored", STORED_COLUMN)._child  # compresses on add
    for number, raw in enumerate(perdoc.column_reader("_stored", _RAW_STORED_COLUMN)):
        if raw:
            columns.VarBytesColumn.Writer.add(stored, first + number, raw)
    for name in fieldnames:
        if perdoc.has_column(f"_{name}_len"):
            _copy_lengths(target, perdoc, name, first)
        column_type = schema[name].column_type
        if column_type and reader.has_column(name):
            _copy_column(target, reader, name, column_type, first)
    target._doccount += count
    writer.docnum += count
    return True


def _copy_lengths(target: Any, perdoc: Any, fieldname: str, first: int) -> None:
    """Add a segment's lengths of `fieldname` to the per-document writer `target` from
    document `first` on, as Whoosh's `add_field` adds them, and their total."""
    name = f"_{fieldname}_len"
    column = None
    total = 0
    for number, length_byte in enumerate(perdoc.column_reader(name, LENGTHS_COLUMN)):
        length = byte_to_length(length_byte) if length_byte else 0
        if length:
            column = column or _column_writer(target, name, LENGTHS_COLUMN)
            column.add(first + number, length_to_byte(length))
            total += length
    if total:
        target._fieldlengths[fieldname] += total


def _copy_column(target: Any, reader: Any, fieldname: str, column_type: Any,
                 first: int) -> None:
    """Add every document's value of a segment's column `fieldname` to `target` from document
    `first` on (untranslated, as Whoosh's `write_per_doc` adds them)."""
    values = reader.column_reader(fieldname, column_type)
    if isinstance(values, columns.TranslatingColumnReader):
        values = values.raw_column()
    column = _column_writer(target, fieldname, column_type)
    for number in range(reader.doc_count_all()):
        column.add(first + number, values[number])


def _column_writer(perdoc_writer: Any, name: str, column_type: Any) -> Any:
    """The per-document writer's column `name`, created if new (as `add_column_value` does)."""
    if not perdoc_writer._has_column(name):
        perdoc_writer._create_column(name, column_type)
    return perdoc_writer._get_column(name)


_RAW_STORED_COLUMN = columns.VarBytesColumn()
"""W3's column of stored fields read as stored: each document's compressed pickle."""


_Numbered = tuple[str, bytes, int, "StoredPostings | Postings"]
"""A term of the segment numbered by the third item, with its postings stored or decoded
(documents numbered in the new segment)."""


def _numbered(terms: Iterator[tuple[str, bytes, StoredPostings]],
              number: int) -> Iterator[_Numbered]:
    """The terms of one segment without deleted documents, postings as stored."""
    for fieldname, btext, postings in terms:
        yield fieldname, btext, number, postings


def _renumbered(terms: Iterator[Term], number: int, first: int,
                docmap: dict[int, int] | None) -> Iterator[_Numbered]:
    """The terms of one segment with its live documents' numbers in the merged segment."""
    for fieldname, btext, ids, weights, values in terms:
        if docmap is None:
            yield fieldname, btext, number, ([first + d for d in ids], weights, values)
            continue
        live = [i for i, docnum in enumerate(ids) if docnum in docmap]
        if live:
            yield (fieldname, btext, number, ([docmap[ids[i]] for i in live],
                   [weights[i] for i in live], [values[i] for i in live]))


def _joined(terms: Iterator[_Numbered]) -> Iterator[Term | CopiedTerm]:
    """Each term once, with the postings of all segments (theirs come in segment order)."""
    for (fieldname, btext), group in groupby(terms, key=_term_key):
        parts = [item[3] for item in group]
        if isinstance(parts[0], StoredPostings):  # its segment was written by our codec
            yield fieldname, btext, parts  # type: ignore[misc]
            continue
        yield fieldname, btext, *joined_postings(parts)


def _releasing(terms: Iterator[Term | CopiedTerm],
               storage: Any) -> Iterator[Term | CopiedTerm]:
    """`terms`, releasing the storage's mapped pages every `RELEASE_POSTINGS` postings."""
    release = getattr(storage, "release_mapped_pages", None)
    if release is None:
        yield from terms
        return
    release()  # the stored fields and columns copied before the terms
    count = 0
    for term in terms:
        if len(term) == 3:  # copied: the stored or decoded postings of each segment
            count += sum(part.count if isinstance(part, StoredPostings) else len(part[0])
                         for part in term[2])
        else:
            count += len(term[2])
        if count >= RELEASE_POSTINGS:
            release()
            count = 0
        yield term


RELEASE_POSTINGS = 2_000_000
"""Postings merged between two releases of the merged segments' mapped pages (~10-30 MB)."""


def _term_key(term: _Numbered) -> tuple[str, bytes]:
    return term[0], term[1]


class MergePlan:
    """Stands in for the writer while a Whoosh merge policy runs: it records the segments the
    policy would merge instead of merging them."""

    def __init__(self, writer: Any) -> None:
        self.storage = writer.storage
        self.schema = writer.schema
        self.merged: list[Any] = []

    def add_reader(self, reader: Any) -> None:
        self.merged.append(reader.segment())


def largest_first(segments: list[Any]) -> list[Any]:
    """`segments` in the order that makes their merge cheapest: the largest first, whose
    blocks are copied as they are (`StoredPostings`)."""
    return sorted(segments, key=lambda segment: segment.doc_count_all(), reverse=True)


def _streaming(policy: Any, order: Callable[[list[Any]], list[Any]] = list) -> Any:
    def merge(writer: Any, segments: list[Any]) -> list[Any]:
        plan = MergePlan(writer)
        kept = policy(plan, segments)
        if not plan.merged:
            return kept  # type: ignore[no-any-return]
        merged = merge_segments(writer.storage, writer.indexname, order(plan.merged))
        return [*kept, merged] if merged is not None else list(kept)

    merge.__name__ = merge.__qualname__ = policy.__name__
    merge.__doc__ = f"Whoosh's {policy.__name__} policy, merging with `merge_segments`."
    return merge


MERGE_SMALL = _streaming(writing.MERGE_SMALL, largest_first)
OPTIMIZE = _streaming(writing.OPTIMIZE)
"""`OPTIMIZE` keeps the segments' order, so an optimised index numbers its documents as
Whoosh's would (in the order they were added, across segments)."""
