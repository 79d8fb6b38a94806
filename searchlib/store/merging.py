"""Segment merges that stream postings into the new segment instead of sorting them again.

Index stage. Whoosh merges segments by adding every posting of every merged segment to the
writer's posting pool, which sorts them all again (spilling sorted runs to disk past its memory
limit) before writing: measured here, a merge cost about as much CPU per document as indexing
it, and most of a 20k-article build was merging. But each segment's postings already come
sorted by field, term and document, and the merged segment numbers the documents of each
segment after those of the one before, so a k-way merge of the segments' posting streams is
already in the order the codec writes: `merge_segments` does that, in constant memory.

`MERGE_SMALL` and `OPTIMIZE` are Whoosh's merge policies of the same names (same choice of
segments), merging with `merge_segments` into a segment of their own.
Not here: when merges happen (`store.py`, `parallel.py`).
"""

from __future__ import annotations

import heapq
from typing import Any

from whoosh import writing
from whoosh.reading import SegmentReader

from searchlib.store.codec import SearchlibCodec

__all__ = ["merge_segments", "MERGE_SMALL", "OPTIMIZE", "MergePlan"]


def merge_segments(storage: Any, indexname: str, segments: list[Any]) -> Any | None:
    """A new segment (files written, not yet in any table of contents) holding the live
    documents of `segments` in order; None when none of them has a live document."""
    writer = writing.SegmentWriter(storage.open_index(indexname), _lk=False,
                                   codec=SearchlibCodec())
    readers = [SegmentReader(storage, writer.schema, segment) for segment in segments]
    try:
        streams = []
        for reader in readers:
            first = writer.docnum
            names = set(writer.schema.names())
            names.update(n for n in reader.indexed_field_names() if n in writer.schema)
            docmap = writer.write_per_doc(names, reader)
            streams.append(writer._process_posts(reader.iter_postings(), first, docmap))
        if not writer.docnum:
            writer._close_segment()
            return None
        writer.perdocwriter.close()
        lengths = writer.per_document_reader() if writer.codec.length_stats else None
        try:
            writer.fieldwriter.add_postings(writer.schema, lengths, heapq.merge(*streams))
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


class MergePlan:
    """Stands in for the writer while a Whoosh merge policy runs: it records the segments the
    policy would merge instead of merging them."""

    def __init__(self, writer: Any) -> None:
        self.storage = writer.storage
        self.schema = writer.schema
        self.merged: list[Any] = []

    def add_reader(self, reader: Any) -> None:
        self.merged.append(reader.segment())


def _streaming(policy: Any) -> Any:
    def merge(writer: Any, segments: list[Any]) -> list[Any]:
        plan = MergePlan(writer)
        kept = policy(plan, segments)
        if not plan.merged:
            return kept  # type: ignore[no-any-return]
        merged = merge_segments(writer.storage, writer.indexname, plan.merged)
        return [*kept, merged] if merged is not None else list(kept)

    merge.__name__ = merge.__qualname__ = policy.__name__
    merge.__doc__ = f"Whoosh's {policy.__name__} policy, merging with `merge_segments`."
    return merge


MERGE_SMALL = _streaming(writing.MERGE_SMALL)
OPTIMIZE = _streaming(writing.OPTIMIZE)
