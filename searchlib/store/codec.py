"""The Whoosh codec of searchlib indexes: Whoosh's own W3 format, written with less work.

Index stage. Writing postings was half of all indexing time (issue 7 profile: one pickle and one
zlib call per term, a column lookup per posting for the document's field length). This codec
writes files that Whoosh's W3 reader reads unchanged; it differs from `W3Codec` only in how it
writes them:

- a term found in one document keeps its posting in the term table (W3 "inlined" postings;
  Whoosh 2.7.5 cannot write them: its writer calls a method that does not exist), unless the
  field stores no posting values (an inlined posting would then read back with a str value,
  which Whoosh's merge refuses);
- a posting block is compressed only when its pickle is large enough to gain from zlib (the
  block header says whether it is, as in W3), with a zlib window sized to the block
  (`compress_block`);
- field lengths are read once per field, not once per posting;
- the term table hashes its keys with CRC32, not MD5 (a choice its header records), and is
  written with one call per term and one per hash table, not one per slot;
- postings are grouped per term in one loop instead of one method call per posting.

For merges (`searchlib.store.merging`) it also reads a W3 segment a whole term at a time
(`stored_terms`: the term table in order, each term's postings as stored, decoded block by block
when needed), where Whoosh reads one posting per method call through a matcher; and it copies a
term's stored postings into the merged segment without decoding them (`add_terms` given
`StoredPostings`): only each block's first and last document numbers are rewritten.
`field_documents` reads one field's terms with their documents the same way (duplicate
lookups keep the sketch values' documents in memory).

Segments record their codec, so an index written with `W3Codec` stays readable and one written
with this codec needs this module importable (it always is where searchlib runs). Its segments
(`SearchlibSegment`) end with a CRC32 per block of their file, and are read with each block
checked (`files.append_checksums`).
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from array import array
from binascii import crc32
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, groupby
from operator import itemgetter, sub
from typing import Any

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3Segment,
    W3TermInfo,
    W3TermsReader,
)
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filetables import (
    FileFormatError,
    HashWriter,
    OrderedHashReader,
    OrderedHashWriter,
    _dir_entry,
    _directory_size,
    _hash_functions,
    _pointer,
)
from whoosh.filedb.structfile import _INT_SIZE
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import GrowableArray

from searchlib.store.files import append_checksums

__all__ = [
    "SearchlibCodec", "SearchlibSegment", "TermsReader", "W3_TERMS_READERS", "COMPRESS_MIN_BYTES",
    "Term", "read_terms", "terms_of", "compress_block", "StoredPostings", "stored_terms",
    "BLOCK_POSTINGS", "CopiedTerm", "Postings", "joined_postings", "field_documents",
]

BLOCK_POSTINGS = 128
"""Postings per block (W3's default block limit)."""
COMPRESSION_LEVEL = 3
"""zlib level of compressed blocks (W3's default)."""
COMPRESS_MIN_BYTES = 256
"""Blocks whose pickle is shorter are stored uncompressed: zlib saves little or nothing there
and cost 9% of indexing time."""
_MAX_WINDOW_BITS = 15
"""zlib's largest window (32 KB), what `zlib.compress` always uses."""
_MEMORY_LEVEL = 6
"""zlib's hash table size for compressing blocks (its default is 8, for large inputs)."""
_LOOKAHEAD = 262
"""Bytes of the zlib window that matches cannot reach (zlib's MIN_LOOKAHEAD)."""


class SearchlibCodec(W3Codec):
    """W3-format codec with a faster postings writer (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(blocklimit=BLOCK_POSTINGS, compression=COMPRESSION_LEVEL, inlinelimit=2)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)

    def new_segment(self, storage: Any, indexname: str) -> SearchlibSegment:
        return SearchlibSegment(self, indexname)

    def terms_reader(self, storage: Any, segment: Any) -> W3TermsReader:
        # `W3Codec.terms_reader`, with `TermsReader`.
        name = segment.make_filename(self.TERMS_EXT)
        return TermsReader(self, storage.open_file(name), storage.file_length(name),
                           segment.open_file(storage, self.POSTS_EXT))


class SearchlibSegment(W3Segment):
    """A W3 segment whose compound file ends with the CRC32 of each block
    (`files.append_checksums`), read with each block checked when the storage can
    (`files.DurableStorage`)."""

    checksum: tuple[int, int, int] | None = None
    """(Block size, bytes checked, CRC32 of the blocks' CRC32s); None before the file is
    written, or when the storage has no files to checksum."""

    def create_compound_file(self, storage: Any) -> None:
        super().create_compound_file(storage)
        path = getattr(storage, "_fpath", None)
        if path is not None:
            self.checksum = append_checksums(path(self.make_filename(self.COMPOUND_EXT)))

    def open_compound_file(self, storage: Any) -> CompoundStorage:
        if self.checksum is None or not getattr(storage, "checks_segments", False):
            return super().open_compound_file(storage)
        dbfile = storage.open_file(self.make_filename(self.COMPOUND_EXT), checksum=self.checksum)
        return CompoundStorage(dbfile, use_mmap=storage.supports_mmap)


class TermsReader(W3TermsReader):
    """`W3TermsReader` over a `_TermIndex`: opening a searcher reads each segment's term table
    directory (256 entries) in one read instead of 256 (60% of opening a 10-segment index)."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any) -> None:
        # `W3TermsReader.__init__`, with `_TermIndex`.
        self._codec = codec
        self._dbfile = dbfile
        self._tindex = _TermIndex(dbfile, length)
        self._fieldmap = self._tindex.extras["fieldmap"]
        self._postfile = postfile
        self._fieldunmap = [None] * len(self._fieldmap)
        for fieldname, number in self._fieldmap.items():
            self._fieldunmap[number] = fieldname


W3_TERMS_READERS = (W3TermsReader, TermsReader)
"""The terms readers whose postings are in W3's layout (read directly, block by block)."""


class _TermIndex(OrderedHashReader):
    """Whoosh's reader of an ordered hash file, reading the hash tables' directory at once."""

    def __init__(self, dbfile: Any, length: int) -> None:
        # `HashReader.__init__` (start offset 0, W3's magic) with the directory in one read.
        self.dbfile = dbfile
        self.startoffset = 0
        self.is_closed = False
        dbfile.seek(0)
        if dbfile.read(4) != b"HSH3":
            raise FileFormatError("Unknown file header")
        self.hashtype = dbfile.read_byte()
        self.hashfn = _hash_functions[self.hashtype]
        dbfile.read_int()  # two ints reserved for future use
        dbfile.read_int()
        self.startofdata = dbfile.tell()
        end_of_extras = length - _INT_SIZE
        extras_start = end_of_extras - dbfile.get_int(end_of_extras)
        dbfile.seek(extras_start)
        self._read_extras()
        dbfile.seek(extras_start - _directory_size)
        self.tables = list(_dir_entry.iter_unpack(dbfile.read(_directory_size)))
        self.endofdata = self.tables[0][0]

    def items(self, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) in key order from the first key >= `start`, read straight from
        the mapped buffer when there is one (merges read every term of every merged segment)."""
        buf = getattr(self.dbfile, "_buf", None)
        if buf is None:
            yield from (super().items_from(start) if start else super().items())
            return
        check = _range_check(self.dbfile)
        position = self.closest_key_pos(start) if start else self.startofdata
        end = self.endofdata
        lengths = _KEY_VALUE_LENGTHS
        checked = 0  # bytes up to here are checked (`_range_check`)
        while position is not None and position < end:
            if position + lengths.size > checked:
                checked = check(position, position + lengths.size)
            keylen, datalen = lengths.unpack_from(buf, position)
            key_start = position + lengths.size
            value_start = key_start + keylen
            entry_start, position = position, value_start + datalen
            if position > checked:
                checked = check(entry_start, position)
            yield bytes(buf[key_start:value_start]), bytes(buf[value_start:position])

    def __contains__(self, key: bytes) -> bool:
        # `HashReader.ranges_for_key` read straight from the mapped buffer when there is one,
        # without two file-object calls per slot read: Whoosh's queries ask every segment
        # whether it holds each term (`(field, text) in reader`), most often to hear it does not.
        buf = getattr(self.dbfile, "_buf", None)
        if buf is None:
            return super().__contains__(key)
        check = _range_check(self.dbfile)
        keyhash = self.hashfn(key)
        tablestart, numslots = self.tables[keyhash & 255]
        if not numslots:
            return False
        tableend = tablestart + numslots * _pointer.size
        slotpos = tablestart + ((keyhash >> 8) % numslots) * _pointer.size
        for _ in range(numslots):
            check(slotpos, slotpos + _pointer.size)
            slothash, itempos = _pointer.unpack_from(buf, slotpos)
            if not itempos:
                return False
            if slothash == keyhash:
                start = itempos + _KEY_VALUE_LENGTHS.size
                check(itempos, start)
                keylen, _datalen = _KEY_VALUE_LENGTHS.unpack_from(buf, itempos)
                check(start, start + keylen)
                if keylen == len(key) and buf[start:start + keylen] == key:
                    return True
            slotpos += _pointer.size
            if slotpos == tableend:
                slotpos = tablestart
        return False


def _range_check(dbfile: Any) -> Any:
    """`dbfile.check_range` (checks bytes before they are read from its buffer directly), or
    a check that passes everything for files without checksums."""
    return getattr(dbfile, "check_range", _unchecked)


def _unchecked(start: int, end: int) -> int:
    return 1 << 62


_CRC32_HASH = 1
"""Whoosh's number for CRC32 among its on-disk hash functions (0 is MD5)."""
_KEY_VALUE_LENGTHS = struct.Struct("!ii")
"""What precedes each key and value in a Whoosh hash file."""

_BLOCK_LENGTH = struct.Struct("!i")
"""The signed length before each posting block."""

Term = tuple[str, bytes, list[int], list[float], list[Any]]
"""A term and its postings: field name, term bytes, document numbers, weights, values."""
Postings = tuple[list[int], list[float], list[Any]]
"""Decoded postings: document numbers, weights, values."""
CopiedTerm = tuple[str, bytes, Sequence["StoredPostings | Postings"]]
"""A term whose postings are copied from the segments they are stored in, in that order (the
first as stored, the others as stored or decoded)."""
_TERM_INFO = W3TermInfo._struct
"""W3's term info before its extent or inlined postings (flags, weight, document frequency,
minimum and maximum length bytes, maximum weight, first and last document)."""

_field_of = itemgetter(0)
_field_and_term = itemgetter(0, 1)


class _TermTable(OrderedHashWriter):
    """W3's term table (an ordered on-disk hash) keyed by CRC32 instead of MD5, written with
    less work per term.

    The hash type is part of the file's header, which Whoosh's reader follows; MD5 of every
    term was 5% of indexing time. Each entry is one write at a position counted here (no file
    `tell`), and each of the 256 hash tables is packed and written at once at the end, where
    Whoosh writes one slot per call: the bytes are those `OrderedHashWriter` writes.
    """

    def __init__(self, dbfile: Any) -> None:
        HashWriter.__init__(self, dbfile, hashtype=_CRC32_HASH)
        self._position = dbfile.tell()
        self._positions = array("q")

    def add(self, key: bytes, value: bytes) -> None:
        # Keys arrive in increasing order (`_FieldWriter.add_terms` checks it).
        position = self._position
        self._positions.append(position)
        entry = _KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value
        self.dbfile.write(entry)
        self._position = position + len(entry)
        hashed = crc32(key)
        self.buckets[hashed & 255].append((hashed, position))

    def _write_hashes(self) -> None:
        # `HashWriter._write_hashes`: per bucket, an open-addressing table of twice its
        # entries, (hash, position) per slot, (0, 0) for an empty one.
        dbfile = self.dbfile
        for entries in self.buckets:
            self.directory.append((dbfile.tell(), 2 * len(entries)))
            if entries:
                dbfile.write(_hash_table(entries))

    def _write_extras(self) -> None:
        self.index = _position_index(self._positions)
        super()._write_extras()


def _hash_table(entries: list[tuple[int, int]]) -> bytes:
    """The packed hash table of one bucket's (hash, position) entries, as Whoosh lays it out
    (a key's position is never 0: the file starts with a header)."""
    slots = 2 * len(entries)
    hashes = [0] * slots
    positions = [0] * slots
    for hashed, position in entries:
        slot = (hashed >> 8) % slots
        while positions[slot]:
            slot = (slot + 1) % slots
        hashes[slot] = hashed
        positions[slot] = position
    pairs = [0] * (2 * slots)
    pairs[::2] = hashes
    pairs[1::2] = positions
    return struct.pack("!" + "Iq" * slots, *pairs)


def _position_index(positions: array) -> GrowableArray:
    """The entries' positions as `OrderedHashWriter` keeps them: a `GrowableArray` of the
    smallest of its types that holds the largest position (positions only grow)."""
    index = GrowableArray("H")
    if positions and positions[-1] >= 2**16:
        index._retype(positions[-1])
    index.array = array(index.array.typecode, positions)
    return index


class _FieldWriter(W3FieldWriter):
    """W3 field writer that writes a term's postings at once: from Whoosh's sorted postings
    (`add_postings`, the writer's bulk entry point) or from whole terms (`add_terms`, merges)."""

    def __init__(self, codec: W3Codec, storage: Any, segment: Any) -> None:
        # W3FieldWriter.__init__ with our term table.
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = None
        self._fieldid = None
        self._btext = None
        self._fieldobj = None
        self._format = None
        self._tindex = _TermTable(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._post_at = self._postfile.tell()
        """Where the posting file ends, counted as `_write_post` writes (a buffered file's
        `tell` is a system call: 3% of indexing, issue 24)."""
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def add_postings(self, schema: Any, lengths: Any,
                     items: Iterable[tuple[str, bytes, int, float, bytes]]) -> None:
        self.add_terms(schema, lengths, terms_of(items))

    def add_terms(self, schema: Any, lengths: Any,
                  terms: Iterable[Term | CopiedTerm]) -> None:
        """Write `terms` (in field and term order), each with all its postings, or with the
        stored postings to copy (`CopiedTerm`)."""
        last_field = None
        for fieldname, field_terms in groupby(terms, key=_field_of):
            if last_field is not None and fieldname < last_field:
                raise OutOfOrderError(f"field {last_field!r} .. {fieldname!r}")
            last_field = fieldname
            self.start_field(fieldname, schema[fieldname])
            doc_lengths = _field_lengths(lengths, fieldname)
            fixed_size = self._format.fixed_value_size()
            last_term = b""
            for term in field_terms:
                btext = term[1]
                if btext < last_term:
                    raise OutOfOrderError(f"term {fieldname}:{last_term!r} .. {btext!r}")
                last_term = btext
                if len(term) == 3:
                    info = self._copy_term(term[2], doc_lengths, fixed_size)  # type: ignore[misc]
                else:
                    _, _, ids, weights, values = term
                    info = self._write_term(ids, weights, values, doc_lengths, fixed_size)
                self._tindex.add(pack_ushort(self._fieldid) + btext, info)
            self.finish_field()

    def _write_term(self, ids: list[int], weights: list[float], values: list[Any],
                    doc_lengths: list[int] | None, fixed_size: int | None) -> bytes:
        """Write one term's postings (inlined when there is one) and return its term info."""
        if len(ids) == 1 and values[0]:
            return _inlined_info(ids[0], weights[0], values[0], doc_lengths)
        if len(ids) <= BLOCK_POSTINGS:  # most terms: one block, no `W3TermInfo` to fold into
            block = _Block(ids, weights, [v for v in values if v], doc_lengths)
            start = self._post_at
            self._write_post(WHOOSH3_HEADER_MAGIC + block.to_bytes(fixed_size, last=True))
            return block.term_info(start, self._post_at - start)
        terminfo = W3TermInfo()
        start = self._post_at
        self._write_post(WHOOSH3_HEADER_MAGIC)
        self._write_blocks(terminfo, ids, weights, values, doc_lengths, fixed_size)
        terminfo.set_extent(start, self._post_at - start)
        return terminfo.to_bytes()  # type: ignore[no-any-return]

    def _write_blocks(self, terminfo: W3TermInfo, ids: list[int], weights: list[float],
                      values: list[Any], doc_lengths: list[int] | None,
                      fixed_size: int | None) -> None:
        """Write postings in blocks of `BLOCK_POSTINGS`, the last one marked as the last;
        fold their statistics into `terminfo`."""
        for first in range(0, len(ids), BLOCK_POSTINGS):
            end = first + BLOCK_POSTINGS
            block = _Block(ids[first:end], weights[first:end],
                           [v for v in values[first:end] if v], doc_lengths)
            block.add_to(terminfo)
            self._write_post(block.to_bytes(fixed_size, last=end >= len(ids)))

    def _copy_term(self, parts: Sequence[StoredPostings | Postings],
                   doc_lengths: list[int] | None, fixed_size: int | None) -> bytes:
        """Write the postings `parts` store, renumbered, and return the term info: one part is
        copied whole; of several, the first one's full blocks are copied and the rest of the
        postings are written in new blocks, so that the blocks are those `_write_term` writes."""
        head = parts[0]
        assert isinstance(head, StoredPostings), "the first postings are copied as stored"
        if len(parts) == 1 and head.postings is None:
            return head.shifted_inline_info()
        start = self._post_at
        self._write_post(WHOOSH3_HEADER_MAGIC)
        if len(parts) == 1:
            self._write_post(head.shifted_blocks())
            return head.shifted_info(start, self._post_at - start)
        copied, copied_count, rest = head.full_blocks()
        self._write_post(copied)
        ids, weights, values = head.decoded(rest)
        others = joined_postings(parts[1:])
        terminfo = W3TermInfo()
        self._write_blocks(terminfo, ids + others[0], weights + others[1], values + others[2],
                           doc_lengths, fixed_size)
        if copied_count:
            head.add_to(terminfo, copied_count)
            terminfo._weight = head.weight + sum(others[1])
        terminfo.set_extent(start, self._post_at - start)
        return terminfo.to_bytes()  # type: ignore[no-any-return]

    def finish_term(self) -> None:
        # Whoosh's posting-at-a-time path (unused by searchlib) writes the posting file itself.
        super().finish_term()
        self._post_at = self._postfile.tell()

    def _write_post(self, data: bytes) -> None:
        """Write `data` to the posting file, counting where it ends (`_post_at`)."""
        self._postfile.write(data)
        self._post_at += len(data)


def joined_postings(parts: Sequence[StoredPostings | Postings]) -> Postings:
    """The postings of `parts` (stored or decoded) one after the other, decoded."""
    decoded = [part.decoded() if isinstance(part, StoredPostings) else part for part in parts]
    return ([d for part in decoded for d in part[0]], [w for part in decoded for w in part[1]],
            [v for part in decoded for v in part[2]])


def _inlined_info(docnum: int, weight: float, value: Any, doc_lengths: list[int] | None) -> bytes:
    """The term info of a term found in one document, with its posting inlined: what
    `W3TermInfo.to_bytes` writes after `add_block` of that one posting and `set_inlined`."""
    (weight32,) = _FLOAT32.unpack(_FLOAT32.pack(weight))  # W3 keeps weights as 32-bit floats
    length = doc_lengths[docnum] if doc_lengths else 0
    length_byte = length_to_byte(length) if length else 0
    return _TERM_INFO.pack(True, weight32, 1, length_byte, length_byte, max(0, weight), docnum,
                           docnum) + pickle.dumps(((docnum,), (weight32,), (value,)), 2)


_FLOAT32 = struct.Struct("f")


def terms_of(items: Iterable[tuple[str, bytes, int, float, bytes]]) -> Iterator[Term]:
    """Sorted postings grouped per term (postings with docnum -1 are spelling words, which W3
    does not write either)."""
    for (fieldname, btext), group in groupby(items, key=_field_and_term):
        postings = [p for p in group if p[2] != -1]
        if postings:
            yield (fieldname, btext, [p[2] for p in postings], [p[3] for p in postings],
                   [p[4] for p in postings])


def read_terms(reader: Any) -> Iterator[Term] | None:
    """Every term of a W3 segment reader with its postings, deleted documents included, in
    field and term order; None when the segment is not one this function can read directly
    (merges then use Whoosh's `iter_postings`)."""
    terms = _w3_terms(reader)
    if terms is None:
        return None
    return ((fieldname, btext, *postings.decoded())
            for fieldname, btext, postings in _stored_terms(terms, reader.schema, 0))


def stored_terms(reader: Any,
                 offset: int = 0) -> Iterator[tuple[str, bytes, StoredPostings]] | None:
    """Every term of a segment this codec wrote with its postings as stored, to be numbered
    from `offset` in a merged segment, in field and term order; None for other segments
    (`StoredPostings` copies blocks pickled as this codec pickles them)."""
    terms = _w3_terms(reader)
    if type(terms) is not TermsReader:
        return None
    return _stored_terms(terms, reader.schema, offset)


def _w3_terms(reader: Any) -> Any | None:
    """The reader's W3 terms reader, if its term table is in (field, term) order."""
    terms = getattr(reader, "_terms", None)
    if type(terms) not in W3_TERMS_READERS:
        return None
    ids_by_name = terms._fieldmap
    if sorted(ids_by_name, key=ids_by_name.__getitem__) != sorted(ids_by_name):
        return None  # field numbers not in name order: the table is not in (field, term) order
    return terms


def _stored_terms(terms: Any, schema: Any,
                  offset: int) -> Iterator[tuple[str, bytes, StoredPostings]]:
    names = {number: name for name, number in terms._fieldmap.items()}
    fixed_sizes = {}
    for keybytes, infobytes in terms._tindex.items():
        fieldname = names[int.from_bytes(keybytes[:2], "big")]
        if fieldname not in schema:
            continue
        fixed_size = fixed_sizes.get(fieldname, -2)
        if fixed_size == -2:
            fixed_size = fixed_sizes[fieldname] = schema[fieldname].format.fixed_value_size()
        yield fieldname, keybytes[2:], _stored_postings(terms, infobytes, fixed_size, offset)


def field_documents(reader: Any, fieldname: str) -> Iterator[tuple[bytes, list[int]]] | None:
    """Each term of field `fieldname` in a segment this codec wrote, with the numbers of the
    documents holding it (deleted ones too), in term order; None for other segments."""
    terms = _w3_terms(reader)
    if type(terms) is not TermsReader:
        return None
    return _field_documents(terms, reader.schema, fieldname)


def _field_documents(terms: Any, schema: Any,
                     fieldname: str) -> Iterator[tuple[bytes, list[int]]]:
    number = terms._fieldmap.get(fieldname)
    if number is None:
        return
    prefix = pack_ushort(number)
    fixed_size = schema[fieldname].format.fixed_value_size()
    for keybytes, infobytes in terms._tindex.items(start=prefix):
        if keybytes[:2] != prefix:
            return
        yield keybytes[2:], _stored_postings(terms, infobytes, fixed_size, 0).decoded()[0]


_EXTENT = struct.Struct("!qi")
"""Where a term's posting list starts in the posting file, and its length (after the term
info's fixed fields, when the postings are not inlined)."""


def _stored_postings(terms: Any, info: bytes, fixed_size: int | None,
                     offset: int) -> StoredPostings:
    postings = None
    if not info[0]:  # not inlined: a pointer to the posting list
        start, length = _EXTENT.unpack_from(info, _TERM_INFO.size)
        postings = terms._postfile.get(start, length)
    return StoredPostings(info, postings, fixed_size, offset)


@dataclass(slots=True)
class StoredPostings:
    """A term's postings in one segment, as stored there, to be numbered from `offset` in a
    merged segment."""

    info: bytes
    """W3's term info (with the postings when they are inlined)."""
    postings: bytes | None
    """The posting list (magic, then blocks); None when inlined in `info`."""
    fixed_size: int | None
    """The field format's fixed value size (W3 stores values by it)."""
    offset: int

    @property
    def count(self) -> int:
        """The number of postings (the term's document frequency in the segment)."""
        return _TERM_INFO.unpack_from(self.info)[2]  # type: ignore[no-any-return]

    @property
    def weight(self) -> float:
        """The postings' total weight."""
        return _TERM_INFO.unpack_from(self.info)[1]  # type: ignore[no-any-return]

    def decoded(self, position: int = len(WHOOSH3_HEADER_MAGIC)) -> Postings:
        """The document numbers (from `offset`), weights and values of the postings, those of
        the blocks from `position` on if they are not inlined."""
        if self.postings is None:
            ids, weights, values = pickle.loads(self.info[_TERM_INFO.size:])
            weights, values = list(weights), list(values)
        else:
            ids, weights, values = _read_blocks(self.postings, self.fixed_size, position)
        if self.offset:
            return [self.offset + docnum for docnum in ids], weights, values
        return list(ids), weights, values

    def shifted_inline_info(self) -> bytes:
        """`info` of inlined postings, renumbered."""
        if not self.offset:
            return self.info
        ids, weights, values = pickle.loads(self.info[_TERM_INFO.size:])
        inlined = (tuple(self.offset + docnum for docnum in ids), weights, values)
        return self._shifted_info_fields() + pickle.dumps(inlined, 2)

    def shifted_info(self, start: int, length: int) -> bytes:
        """`info` of postings not inlined, renumbered, with their new place in the posting
        file."""
        return self._shifted_info_fields() + pack_long(start) + pack_int(length)

    def _shifted_info_fields(self) -> bytes:
        fields = list(_TERM_INFO.unpack_from(self.info))
        fields[-2] += self.offset  # the first document
        fields[-1] += self.offset  # the last document
        return _TERM_INFO.pack(*fields)

    def shifted_blocks(self) -> bytes:
        """All posting blocks (without the list's magic), renumbered."""
        assert self.postings is not None, "inlined postings have no blocks"
        if not self.offset:
            return self.postings[len(WHOOSH3_HEADER_MAGIC):]
        return b"".join(block for block, _ in self._blocks(full_only=False))

    def full_blocks(self) -> tuple[bytes, int, int]:
        """(The leading blocks of `BLOCK_POSTINGS` postings, not the last block, renumbered;
        the number of postings in them; the position of the next block in `postings`)."""
        copied = [] if self.postings is None else list(self._blocks(full_only=True))
        if not copied:
            return b"", 0, len(WHOOSH3_HEADER_MAGIC)
        return b"".join(b for b, _ in copied), len(copied) * BLOCK_POSTINGS, copied[-1][1]

    def _blocks(self, *, full_only: bool) -> Iterator[tuple[bytes, int]]:
        """(Each block with its length, renumbered; where it ends in `postings`), up to the
        first block that is the last or not full if `full_only`."""
        data = self.postings
        assert data is not None, "inlined postings have no blocks"
        position = len(WHOOSH3_HEADER_MAGIC)
        final = False
        while not final:
            (length,) = _BLOCK_LENGTH.unpack_from(data, position)
            final = length < 0
            start = position + _BLOCK_LENGTH.size
            end = start + abs(length)
            if full_only and (final or _block_count(data, start) != BLOCK_POSTINGS):
                return
            block = data[start:end]
            if self.offset:
                block = _shifted_block(block, self.offset)
            yield pack_int(-len(block) if final else len(block)) + block, end
            position = end

    def add_to(self, terminfo: W3TermInfo, count: int) -> None:
        """Fold the statistics of its first `count` postings (copied) into `terminfo`, which
        holds those of the postings written after them, its own rest included. Its term info
        has them for all its postings, which serves for all but the total weight."""
        _, _, _, min_byte, max_byte, max_weight, first, _ = _TERM_INFO.unpack_from(self.info)
        terminfo._df += count
        if min_byte:
            min_length = byte_to_length(min_byte)
            if terminfo._minlength is None or min_length < terminfo._minlength:
                terminfo._minlength = min_length
        terminfo._maxlength = max(terminfo._maxlength, byte_to_length(max_byte))
        terminfo._maxweight = max(terminfo._maxweight, max_weight)
        terminfo._minid = first + self.offset


def _block_count(data: bytes, start: int) -> int:
    """The number of postings of the block at `start` (the first item of its pickled info)."""
    count, _, _ = _first_pickled_int(data, start)
    return count


def _shifted_block(block: bytes, offset: int) -> bytes:
    """A W3 block (info, then maybe compressed data) with its documents numbered `offset` up:
    only the last id in its info and its first id (the first gap) in its data change."""
    stream = io.BytesIO(block)
    count, last_id, max_weight, compression, min_length, max_length = pickle.load(stream)
    data = block[stream.tell():]
    info = pickle.dumps((count, last_id + offset, max_weight, compression, min_length,
                         max_length), 2)
    if compression:
        data = compress_block(_shifted_first_id(zlib.decompress(data), offset))
    else:
        data = _shifted_first_id(data, offset)
    return info + data


_PICKLED_INT_SIZES = {ord("K"): 1, ord("M"): 2, ord("J"): 4}
"""Pickle's opcodes for an int (BININT1, BININT2, BININT) and the bytes that follow each."""


def _shifted_first_id(data: bytes, offset: int) -> bytes:
    """A block's pickled (id gaps, weights, values) with the first gap, which is the block's
    first id, raised by `offset`."""
    first, start, end = _first_pickled_int(data, 0)
    return data[:start] + pickle.dumps(first + offset, 2)[2:-1] + data[end:]


def _first_pickled_int(data: bytes, position: int) -> tuple[int, int, int]:
    """(The first item of the tuple pickled at `position`, an int; where its opcode starts and
    where it ends). Protocol 2 writes a tuple of more than three items as MARK, the items,
    TUPLE; of one to three as the items, TUPLE1-3."""
    if data[position:position + 2] != b"\x80\x02":
        raise ValueError("posting block not pickled with protocol 2")
    start = position + (3 if data[position + 2] == ord("(") else 2)
    size = _PICKLED_INT_SIZES[data[start]]
    end = start + 1 + size
    return int.from_bytes(data[start + 1:end], "little", signed=size == 4), start, end


def _read_blocks(data: bytes, fixed_size: int | None,
                 position: int) -> tuple[list[int], list[float], list[Any]]:
    """The postings of the blocks of a W3 posting list (`data` starts with its magic) from
    `position` on, as W3LeafMatcher decodes them: per block a signed length (negative: the
    last), the pickled block info, then the pickled, maybe compressed (ids as gaps, weights,
    values)."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    last = False
    while not last:
        (length,) = _BLOCK_LENGTH.unpack_from(data, position)
        last = length < 0
        position += _BLOCK_LENGTH.size
        end = position + abs(length)
        block = io.BytesIO(data[position:end])
        count, _, _, compression, _, _ = pickle.load(block)
        raw = block.read()
        gaps, block_weights, block_values = pickle.loads(zlib.decompress(raw) if compression
                                                         else raw)
        ids.extend(accumulate(gaps))  # each block's first gap is from 0
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        if fixed_size is None or fixed_size < 0:
            values.extend(block_values)
        elif fixed_size == 0:
            values.extend([None] * count)
        else:
            values.extend(block_values[i:i + fixed_size]
                          for i in range(0, len(block_values), fixed_size))
        position = end
    return ids, weights, values


class _Block:
    """Up to `BLOCK_POSTINGS` postings of one term and their statistics, as W3 computes them."""

    __slots__ = ("ids", "weights", "values", "max_weight", "min_length", "max_length")

    def __init__(self, ids: list[int], weights: list[float], values: list[bytes],
                 doc_lengths: list[int] | None) -> None:
        self.ids = array("I", ids)
        self.weights = array("f", weights)  # W3 keeps weights as 32-bit floats
        self.values = values
        self.max_weight = max(0, *weights)
        known = [n for n in map(doc_lengths.__getitem__, ids) if n] if doc_lengths else []
        self.min_length = min(known) if known else None
        self.max_length = max(known) if known else 0

    def add_to(self, terminfo: W3TermInfo) -> None:
        """Fold this block's statistics into `terminfo` (W3TermInfo.add_block without the
        per-block method calls)."""
        terminfo._weight += sum(self.weights)
        terminfo._df += len(self.ids)
        if self.min_length is not None and (terminfo._minlength is None
                                            or self.min_length < terminfo._minlength):
            terminfo._minlength = self.min_length
        terminfo._maxlength = max(terminfo._maxlength, self.max_length)
        terminfo._maxweight = max(terminfo._maxweight, self.max_weight)
        if terminfo._minid is None:
            terminfo._minid = self.ids[0]
        terminfo._maxid = self.ids[-1]

    def term_info(self, start: int, length: int) -> bytes:
        """The term info of a term whose postings are this block alone, written at `start`
        of the posting file in `length` bytes: what `W3TermInfo.to_bytes` gives after
        `add_to` and `set_extent`."""
        ids = self.ids
        return _TERM_INFO.pack(
            False, 0 + sum(self.weights), len(ids),
            0 if self.min_length is None else length_to_byte(self.min_length),
            length_to_byte(max(0, self.max_length)), max(0, self.max_weight), ids[0], ids[-1],
        ) + _EXTENT.pack(start, length)

    def to_bytes(self, fixed_size: int | None, *, last: bool) -> bytes:
        """The block as W3 stores it: length (negative for the last block), info, data."""
        ids = self.ids
        data = pickle.dumps((tuple(map(sub, ids, chain((0,), ids))), self._mini_weights(),
                             self._mini_values(fixed_size)), 2)
        compression = COMPRESSION_LEVEL if len(data) >= COMPRESS_MIN_BYTES else 0
        if compression:
            data = compress_block(data)
        info = pickle.dumps((len(self.ids), self.ids[-1], self.max_weight, compression,
                      length_to_byte(self.min_length), length_to_byte(self.max_length)), 2)
        size = len(info) + len(data)
        return pack_int(-size if last else size) + info + data

    def _mini_weights(self) -> Any:
        weights = self.weights
        if weights.count(1.0) == len(weights):
            return None
        if weights.count(weights[0]) == len(weights):
            return weights[0]
        return tuple(weights)

    def _mini_values(self, fixed_size: int | None) -> Any:
        if fixed_size is None or fixed_size < 0:
            return tuple(self.values)
        if fixed_size == 0:
            return None
        return b"".join(self.values)


def compress_block(data: bytes) -> bytes:
    """`data` compressed at `COMPRESSION_LEVEL`, as `zlib.compress` would, but with a window
    just large enough for it (the same bytes for blocks up to ~4 KB).

    Most of `zlib.compress`'s time on a posting block (a few hundred bytes) is setting up its
    32 KB window and 64K-entry hash table: measured here, 52-60 us per block against 8-14 us
    with a window sized to it. Whoosh's reader decompresses with the default (largest) window,
    which reads any smaller one.
    """
    window_bits = min(_MAX_WINDOW_BITS, max(9, (len(data) + _LOOKAHEAD).bit_length()))
    compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, window_bits, _MEMORY_LEVEL)
    return compressor.compress(data) + compressor.flush()


def _field_lengths(lengths: Any, fieldname: str) -> list[int] | None:
    """Every document's length of `fieldname` in this segment (None: the field keeps none)."""
    if lengths is None:
        return None
    column_name = f"_{fieldname}_len"
    if not lengths.has_column(column_name):
        return None
    column = lengths.column_reader(column_name, LENGTHS_COLUMN)
    return [byte_to_length(b) for b in column]
