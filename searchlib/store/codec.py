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
  block header says whether it is, as in W3);
- field lengths are read once per field, not once per posting;
- the term table hashes its keys with CRC32, not MD5 (a choice its header records);
- postings are grouped per term in one loop instead of one method call per posting.

For merges (`searchlib.store.merging`) it also reads a W3 segment a whole term at a time
(`read_terms`: the term table in order, each posting list decoded block by block), where Whoosh
reads one posting per method call through a matcher.

Segments record their codec, so an index written with `W3Codec` stays readable and one written
with this codec needs this module importable (it always is where searchlib runs).
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from array import array
from binascii import crc32
from collections.abc import Iterable, Iterator
from itertools import accumulate, groupby
from operator import itemgetter
from typing import Any

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3TermInfo,
    W3TermsReader,
)
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
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import GrowableArray

__all__ = [
    "SearchlibCodec", "TermsReader", "W3_TERMS_READERS", "COMPRESS_MIN_BYTES", "Term",
    "read_terms", "terms_of",
]

BLOCK_POSTINGS = 128
"""Postings per block (W3's default block limit)."""
COMPRESSION_LEVEL = 3
"""zlib level of compressed blocks (W3's default)."""
COMPRESS_MIN_BYTES = 256
"""Blocks whose pickle is shorter are stored uncompressed: zlib saves little or nothing there
and cost 9% of indexing time."""


class SearchlibCodec(W3Codec):
    """W3-format codec with a faster postings writer (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(blocklimit=BLOCK_POSTINGS, compression=COMPRESSION_LEVEL, inlinelimit=2)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> W3TermsReader:
        # `W3Codec.terms_reader`, with `TermsReader`.
        name = segment.make_filename(self.TERMS_EXT)
        return TermsReader(self, storage.open_file(name), storage.file_length(name),
                           segment.open_file(storage, self.POSTS_EXT))


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

    def __contains__(self, key: bytes) -> bool:
        # `HashReader.ranges_for_key` read straight from the mapped buffer when there is one,
        # without two file-object calls per slot read: Whoosh's queries ask every segment
        # whether it holds each term (`(field, text) in reader`), most often to hear it does not.
        buf = getattr(self.dbfile, "_buf", None)
        if buf is None:
            return super().__contains__(key)
        keyhash = self.hashfn(key)
        tablestart, numslots = self.tables[keyhash & 255]
        if not numslots:
            return False
        tableend = tablestart + numslots * _pointer.size
        slotpos = tablestart + ((keyhash >> 8) % numslots) * _pointer.size
        for _ in range(numslots):
            slothash, itempos = _pointer.unpack_from(buf, slotpos)
            if not itempos:
                return False
            if slothash == keyhash:
                keylen, _datalen = _KEY_VALUE_LENGTHS.unpack_from(buf, itempos)
                start = itempos + _KEY_VALUE_LENGTHS.size
                if keylen == len(key) and buf[start:start + keylen] == key:
                    return True
            slotpos += _pointer.size
            if slotpos == tableend:
                slotpos = tablestart
        return False


_CRC32_HASH = 1
"""Whoosh's number for CRC32 among its on-disk hash functions (0 is MD5)."""
_KEY_VALUE_LENGTHS = struct.Struct("!ii")
"""What precedes each key and value in a Whoosh hash file."""

_BLOCK_LENGTH = struct.Struct("!i")
"""The signed length before each posting block."""

Term = tuple[str, bytes, list[int], list[float], list[Any]]
"""A term and its postings: field name, term bytes, document numbers, weights, values."""

_field_of = itemgetter(0)
_field_and_term = itemgetter(0, 1)


class _TermTable(OrderedHashWriter):
    """W3's term table (an ordered on-disk hash) keyed by CRC32 instead of MD5.

    The hash type is part of the file's header, which Whoosh's reader follows; MD5 of every
    term was 5% of indexing time.
    """

    def __init__(self, dbfile: Any) -> None:
        HashWriter.__init__(self, dbfile, hashtype=_CRC32_HASH)
        self.index = GrowableArray("H")
        self.lastkey = b""

    def add(self, key: bytes, value: bytes) -> None:
        # Keys arrive in increasing order (`_FieldWriter.add_postings` checks it).
        dbfile = self.dbfile
        position = dbfile.tell()
        self.index.append(position)
        dbfile.write(_KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value)
        hashed = crc32(key)
        self.buckets[hashed & 255].append((hashed, position))
        self.lastkey = key


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
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def add_postings(self, schema: Any, lengths: Any,
                     items: Iterable[tuple[str, bytes, int, float, bytes]]) -> None:
        self.add_terms(schema, lengths, terms_of(items))

    def add_terms(self, schema: Any, lengths: Any, terms: Iterable[Term]) -> None:
        """Write `terms` (in field and term order), each with all its postings."""
        last_field = None
        for fieldname, field_terms in groupby(terms, key=_field_of):
            if last_field is not None and fieldname < last_field:
                raise OutOfOrderError(f"field {last_field!r} .. {fieldname!r}")
            last_field = fieldname
            self.start_field(fieldname, schema[fieldname])
            doc_lengths = _field_lengths(lengths, fieldname)
            fixed_size = self._format.fixed_value_size()
            last_term = b""
            for _, btext, ids, weights, values in field_terms:
                if btext < last_term:
                    raise OutOfOrderError(f"term {fieldname}:{last_term!r} .. {btext!r}")
                last_term = btext
                terminfo = self._write_term(ids, weights, values, doc_lengths, fixed_size)
                self._tindex.add(pack_ushort(self._fieldid) + btext, terminfo.to_bytes())
            self.finish_field()

    def _write_term(self, ids: list[int], weights: list[float], values: list[Any],
                    doc_lengths: list[int] | None, fixed_size: int | None) -> W3TermInfo:
        """Write one term's postings (inlined when there is one) and return its term info."""
        terminfo = W3TermInfo()
        if len(ids) == 1 and values[0]:
            block = _Block(ids, weights, values, doc_lengths)
            block.add_to(terminfo)
            terminfo.set_inlined(block.ids, block.weights, block.values)
            return terminfo
        postfile = self._postfile
        start = postfile.tell()
        postfile.write(WHOOSH3_HEADER_MAGIC)
        for first in range(0, len(ids), BLOCK_POSTINGS):
            end = first + BLOCK_POSTINGS
            block = _Block(ids[first:end], weights[first:end],
                           [v for v in values[first:end] if v], doc_lengths)
            block.add_to(terminfo)
            postfile.write(block.to_bytes(fixed_size, last=end >= len(ids)))
        terminfo.set_extent(start, postfile.tell() - start)
        return terminfo


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
    terms = getattr(reader, "_terms", None)
    if type(terms) not in W3_TERMS_READERS:
        return None
    ids_by_name = terms._fieldmap
    if sorted(ids_by_name, key=ids_by_name.__getitem__) != sorted(ids_by_name):
        return None  # field numbers not in name order: the table is not in (field, term) order
    return _read_terms(terms, reader.schema)


def _read_terms(terms: Any, schema: Any) -> Iterator[Term]:
    names = {number: name for name, number in terms._fieldmap.items()}
    postfile = terms._postfile
    fixed_sizes = {}
    for keybytes, infobytes in terms._tindex.items():
        fieldname = names[int.from_bytes(keybytes[:2], "big")]
        if fieldname not in schema:
            continue
        fixed_size = fixed_sizes.get(fieldname, -2)
        if fixed_size == -2:
            fixed_size = fixed_sizes[fieldname] = schema[fieldname].format.fixed_value_size()
        info = W3TermInfo.from_bytes(infobytes)
        if info.is_inlined():
            ids, weights, values = info.inlined_postings()
            yield fieldname, keybytes[2:], list(ids), list(weights), list(values)
        else:
            offset, length = info.extent()
            if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it unpacked
                (length,) = length
            yield (fieldname, keybytes[2:],
                   *_read_blocks(postfile.get(offset, length), fixed_size))


def _read_blocks(data: bytes, fixed_size: int | None) -> tuple[list[int], list[float], list[Any]]:
    """The postings of a W3 posting list (`data` starts with its magic), as W3LeafMatcher
    decodes them: per block a signed length (negative: the last), the pickled block info, then
    the pickled, maybe compressed (ids as gaps, weights, values)."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    position = len(WHOOSH3_HEADER_MAGIC)
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

    def to_bytes(self, fixed_size: int | None, *, last: bool) -> bytes:
        """The block as W3 stores it: length (negative for the last block), info, data."""
        data = pickle.dumps((tuple(_deltas(self.ids)), self._mini_weights(),
                      self._mini_values(fixed_size)), 2)
        compression = COMPRESSION_LEVEL if len(data) >= COMPRESS_MIN_BYTES else 0
        if compression:
            data = zlib.compress(data, compression)
        info = pickle.dumps((len(self.ids), self.ids[-1], self.max_weight, compression,
                      length_to_byte(self.min_length), length_to_byte(self.max_length)), 2)
        size = len(info) + len(data)
        return pack_int(-size if last else size) + info + data

    def _mini_weights(self) -> Any:
        weights = self.weights
        if all(w == 1.0 for w in weights):
            return None
        if all(w == weights[0] for w in weights):
            return weights[0]
        return tuple(weights)

    def _mini_values(self, fixed_size: int | None) -> Any:
        if fixed_size is None or fixed_size < 0:
            return tuple(self.values)
        if fixed_size == 0:
            return None
        return b"".join(self.values)


def _deltas(ids: array) -> Iterator[int]:
    previous = 0
    for docnum in ids:
        yield docnum - previous
        previous = docnum


def _field_lengths(lengths: Any, fieldname: str) -> list[int] | None:
    """Every document's length of `fieldname` in this segment (None: the field keeps none)."""
    if lengths is None:
        return None
    column_name = f"_{fieldname}_len"
    if not lengths.has_column(column_name):
        return None
    column = lengths.column_reader(column_name, LENGTHS_COLUMN)
    return [byte_to_length(b) for b in column]
