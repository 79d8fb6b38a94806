"""The files of an index folder: the meta file, Whoosh generations, durable writes, leftovers.

Index stage. An index folder holds `searchlib.json` (versions, build id and the name of the live
Whoosh index), `searchlib.lock` (see `lock.py`) and the files of one Whoosh index, named by its
*generation name*: `MAIN` for an index built by `create`, `R<12 hex>` for one built by `rebuild`.
`rebuild` writes a new generation beside the live one and publishes it by replacing
`searchlib.json` (one atomic rename); the old generation's files are deleted afterwards.

Whoosh commits by writing new segment files, then renaming a new table of contents
(`_<name>_<n>.toc`) into place. `DurableStorage` fsyncs every file a commit wrote before that
rename, and the folder after it, so a commit that returned survives a power cut, not only a
process crash.

Every file is checksummed when written, so damage done to it later (a flipped bit on disk, a
stray write) is found, never read as data. A table of contents ends with the CRC32 of its bytes
(`_TOC_TRAILER`), checked whenever it is read. A segment file (`.seg`) ends with the CRC32 of
each `CHECKSUM_BLOCK` bytes of it (`append_checksums`); the segment's record in the table of
contents holds the CRC32 of that list. Reading checks each block the first time it is read
(`_BlockCheck`: an open reads a few blocks, a search the blocks its terms and hits are in), and
`check` reads every block (`damaged_blocks`). A mismatch raises `IndexCorrupt`.

Not here: locking (`lock.py`), reading and writing documents (`store.py`).
"""

from __future__ import annotations

import json
import mmap
import os
import re
import shutil
import struct
import sys
import weakref
from array import array
from binascii import crc32
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile

from searchlib.errors import IndexCorrupt, IndexNotFound
from searchlib.store.lock import LOCK_FILE, drop_in_children, keep_in_children

__all__ = [
    "META_FILE",
    "MAIN_NAME",
    "DurableStorage",
    "read_meta",
    "write_meta",
    "meta_stamp",
    "generation_name",
    "new_generation_name",
    "open_generation",
    "generation_files",
    "remove_generation",
    "leftover_files",
    "remove_leftovers",
    "remove_unlisted",
    "CHECKSUM_BLOCK",
    "append_checksums",
    "damaged_blocks",
]

META_FILE = "searchlib.json"
MAIN_NAME = "MAIN"
_GENERATION = re.compile(r"^_?(MAIN|R[0-9a-f]{12})(?=[_.])")
_TOC_TEMP = re.compile(r"^_(MAIN|R[0-9a-f]{12})_[0-9]+\.toc\..+$")
_TEMP_FOLDER = re.compile(r"^(MAIN|R[0-9a-f]{12})\.tmp")
_LEGACY = ("writer.json", META_FILE + ".tmp")


class DurableStorage(FileStorage):
    """A Whoosh `FileStorage` that fsyncs a commit's files before its TOC rename publishes them."""

    checks_segments = True
    """Segment files are read with their blocks checked (`SearchlibSegment`)."""
    sync = True
    """False skips the fsyncs (benchmarks measure their cost this way); a process crash is still
    safe then, a power cut may lose or damage the last commits."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False,
                 legacy: bool = False) -> None:
        """`legacy` reads tables of contents written before they had checksums (an index of
        an older version, read by `rebuild`)."""
        # Whoosh's own mmap path copies every part of a segment (terms, postings) into a BytesIO
        # each time a searcher opens (`BufferFile`): 75-280 ms per search on a 2k index, most of
        # a query. `open_file` maps segments itself instead, and Whoosh reads the parts in place
        # through `_MappedFile.subset` (its non-mmap path): opening a searcher takes ~5 ms.
        super().__init__(str(path), readonly=readonly, supports_mmap=False)
        self.legacy = legacy
        self._written: set[str] = set()
        self._maps: weakref.WeakSet[mmap.mmap] = weakref.WeakSet()
        self._checked: dict[tuple[str, tuple[int, int, int]], tuple[array, bytearray]] = {}
        """(segment file, checksum) -> its blocks' CRC32s, and which blocks were found intact
        (segment files never change once written: a block is checked once per storage)."""

    def open_file(self, name, checksum=None, **kwargs):  # type: ignore[no-untyped-def]
        """Whoosh's `open_file`; a segment file is mapped, and read with its blocks checked
        against `checksum` (`append_checksums`) when given; a table of contents is checked."""
        if name.endswith(_TOC_SUFFIX):
            return self._open_toc(name)
        if name.endswith(_SEGMENT_SUFFIX):
            with open(self._fpath(name), "rb") as handle:
                try:
                    mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                except (ValueError, OSError):  # empty file, or no address space left
                    mapped = None
            if mapped is not None:
                self._maps.add(mapped)
                # The check reads through a view of its own: closing the file releases its view.
                check = None if checksum is None else self._block_check(
                    name, memoryview(mapped), checksum)
                return _MappedFile(_MemoryFile(memoryview(mapped), mapped, check=check),
                                   name=name)
            if checksum is not None:
                raise IndexCorrupt(self.folder, f"segment file {name} is empty or unreadable")
        return super().open_file(name, **kwargs)

    def _block_check(self, name: str, view: memoryview,
                     checksum: tuple[int, int, int]) -> _BlockCheck:
        known = self._checked.get((name, checksum))
        if known is None:
            sums = _block_sums(self.folder, name, view, checksum)
            known = self._checked[name, checksum] = (sums, bytearray(len(sums)))
        sums, intact = known
        return _BlockCheck(self.folder, name, view, checksum, sums, intact)

    def _open_toc(self, name: str) -> Any:
        with open(self._fpath(name), "rb") as handle:
            data = handle.read()
        body, trailer = data[:-_TOC_TRAILER.size], data[-_TOC_TRAILER.size:]
        if len(data) >= _TOC_TRAILER.size:
            magic, stored = _TOC_TRAILER.unpack(trailer)
            if magic == _TOC_MAGIC:
                if crc32(body) != stored:
                    raise IndexCorrupt(self.folder, f"table of contents {name} does not match "
                                       "its checksum")
                return BufferFile(body, name=name)
        if not self.legacy:
            raise IndexCorrupt(self.folder, f"table of contents {name} has no checksum "
                               "(damaged, or written by a program other than searchlib)")
        return BufferFile(data, name=name)

    def release_mapped_pages(self) -> None:
        """Unmap the pages read so far of every segment file this storage has open.

        They are clean pages of the page cache, read again from there on next use; but while
        mapped they count in the process's resident memory: a merge reading gigabytes of segments
        would otherwise hold them all (issue 7: ~2 GB of a 100k build's peak).
        """
        if _DONTNEED is None:  # pragma: no cover - not Linux
            return
        for mapped in list(self._maps):
            try:
                mapped.madvise(_DONTNEED)
            except (ValueError, OSError):  # closed meanwhile, or no madvise here
                pass

    def create_file(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        stream = super().create_file(name, *args, **kwargs)
        self._written.add(name)
        return stream

    def rename_file(self, oldname, newname, safe=False):  # type: ignore[no-untyped-def]
        # Whoosh renames only to publish a TOC: everything written since must reach the disk first.
        if newname.endswith(_TOC_SUFFIX):
            with open(self._fpath(oldname), "r+b") as stream:
                stream.write(_TOC_TRAILER.pack(_TOC_MAGIC, crc32(stream.read())))
        written, self._written = self._written, set()
        if self.sync:
            for name in sorted(written):
                _fsync_file(Path(self.folder) / name)
        super().rename_file(oldname, newname, safe)
        if self.sync:
            _fsync_dir(Path(self.folder))

    def temp_storage(self, name=None):  # type: ignore[no-untyped-def]
        # Whoosh names a writer's temporary folder after its index ("MAIN.tmp") and deletes the
        # folder when the writer finishes; a worker's merge that runs on while this process
        # commits (`parallel.py`) needs a folder of its own.
        return super().temp_storage(f"{name}-{os.getpid()}" if name else name)

    def lock(self, name):  # type: ignore[no-untyped-def]
        return _ForkSafeLock(self._fpath(name)) if _ForkSafeLock is not None else super().lock(name)


_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
_SEGMENT_SUFFIX = ".seg"
"""Whoosh's compound segment files (every part of a segment in one file)."""
_TOC_SUFFIX = ".toc"
_TOC_MAGIC = b"SLC1"
_TOC_TRAILER = struct.Struct("!4sI")
"""What ends a table of contents: a magic number, the CRC32 of the bytes before it."""

CHECKSUM_BLOCK = 32768
"""Bytes of a segment file per CRC32. Reading checks whole blocks: 16 us each here (2 GB/s),
so smaller blocks cost less per term looked up, larger ones less space (4 bytes per block)."""
_SUM = struct.Struct("!I")


def append_checksums(path: str | os.PathLike[str]) -> tuple[int, int, int]:
    """Append the CRC32 of each `CHECKSUM_BLOCK` bytes to the finished segment file `path`;
    returns what its segment records: (block size, length checked, CRC32 of the list).

    The list follows the data, where Whoosh's reader never looks (it reads a compound file
    from the directory its header points to). Computed from the file just written (still in
    the page cache: ~0.5 s per GB).
    """
    sums = array("I")
    with open(path, "r+b") as stream:
        length = 0
        while block := stream.read(CHECKSUM_BLOCK):
            sums.append(crc32(block))
            length += len(block)
        if sys.byteorder == "little":
            sums.byteswap()
        table = sums.tobytes()
        stream.write(table)
    return CHECKSUM_BLOCK, length, crc32(table)


def _block_sums(folder: str, name: str, view: memoryview,
                checksum: tuple[int, int, int]) -> array:
    """The block CRC32s at the end of a segment file, checked against `checksum`."""
    block, length, table_crc = checksum
    blocks = -(-length // block)
    table = view[length:]
    if len(table) != blocks * _SUM.size or crc32(table) != table_crc:
        raise IndexCorrupt(folder, f"segment file {name} is truncated or its checksums are "
                           "damaged")
    sums = array("I")
    sums.frombytes(table)
    if sys.byteorder == "little":
        sums.byteswap()
    return sums


class _BlockCheck:
    """Checks the blocks of one mapped segment file as they are first read."""

    __slots__ = ("_folder", "_name", "_view", "_block", "_shift", "_length", "_sums", "_intact")

    def __init__(self, folder: str, name: str, view: memoryview, checksum: tuple[int, int, int],
                 sums: array, intact: bytearray) -> None:
        self._folder = folder
        self._name = name
        self._view = view
        self._block, self._length, _ = checksum
        self._shift = self._block.bit_length() - 1
        self._sums = sums
        self._intact = intact

    def __call__(self, start: int, end: int) -> int:
        """Check the blocks that bytes `start` to `end` of the file are in; returns where
        the last of them ends (reads up to there need no check)."""
        end = min(end, self._length)
        if end <= start:
            return end
        shift = self._shift
        first, last = start >> shift, (end - 1) >> shift
        intact = self._intact
        if first == last and intact[first]:
            return (last + 1) << shift
        block, length, sums, view = self._block, self._length, self._sums, self._view
        for number in range(first, last + 1):
            if not intact[number]:
                position = number << shift
                stop = min(position + block, length)
                if crc32(view[position:stop]) != sums[number]:
                    raise IndexCorrupt(self._folder, f"segment file {self._name}, bytes "
                                       f"{position}-{stop - 1}, does not match its checksum")
                intact[number] = 1
        return (last + 1) << shift


def damaged_blocks(path: str | os.PathLike[str],
                   checksum: tuple[int, int, int]) -> list[tuple[int, int]] | None:
    """The (start, end) byte ranges of a segment file whose blocks do not match their CRC32;
    None when the file is truncated or its list of CRC32s is damaged (nothing can be trusted).
    Reads the whole file."""
    block, length, table_crc = checksum
    blocks = -(-length // block)
    with open(path, "rb") as stream:
        stream.seek(length)
        table = stream.read()
        if len(table) != blocks * _SUM.size or crc32(table) != table_crc:
            return None
        stream.seek(0)
        damaged = []
        for number, (stored,) in enumerate(_SUM.iter_unpack(table)):
            start = number * block
            data = stream.read(min(block, length - start))
            if crc32(data) != stored:
                damaged.append((start, start + len(data)))
    return damaged


class _MemoryFile:
    """A read-only file over a memory view: no copy of the data, unlike `io.BytesIO`; with
    `check`, the view is bytes `base`.. of a checked segment file."""

    __slots__ = ("_view", "_pos", "_owner", "_check", "_base")

    def __init__(self, view: memoryview, owner: mmap.mmap | None = None, *,
                 check: _BlockCheck | None = None, base: int = 0) -> None:
        self._view = view
        self._pos = 0
        self._owner = owner
        self._check = check
        self._base = base

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        view = self._view
        end = len(view) if size is None or size < 0 else min(len(view), start + size)
        if self._check is not None:
            self._check(self._base + start, self._base + end)
        data = bytes(view[start:end])
        self._pos = start + len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        chunk = bytes(self._view[start:end])
        if self._check is not None:
            self._check(self._base + start, self._base + end)
        newline = chunk.find(b"\n")
        if newline >= 0:
            chunk = chunk[:newline + 1]
        self._pos = start + len(chunk)
        return chunk

    def seek(self, where: int, whence: int = 0) -> int:
        if whence == 1:
            where += self._pos
        elif whence == 2:
            where += len(self._view)
        self._pos = where
        return where

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        owner, self._owner = self._owner, None
        self._view.release()
        if owner is not None:
            try:
                owner.close()
            except BufferError:  # parts are still being read: the map goes with the last one
                pass


class _MappedFile(StructFile):
    """A memory-mapped segment file whose parts are read in place (`subset`)."""

    def subset(self, offset, length, name=None):  # type: ignore[no-untyped-def]
        return _PartFile(self.file._view[offset:offset + length], name=name or self._name,
                         check=self.file._check, base=offset)


class _PartFile(BufferFile):
    """Whoosh's `BufferFile` (which reads with `get` straight from the buffer) without its
    BytesIO copy of the whole part; with `check`, reads are checked (`_BlockCheck`)."""

    def __init__(self, buf, name=None, onclose=None, *, check=None,  # type: ignore[no-untyped-def]
                 base=0):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self._check = check
        self._base = base
        self.file = _MemoryFile(buf, check=check, base=base)
        # Straight to the memory file, not through `StructFile`'s forwarding methods: opening a
        # segment reads its term table's directory 8 bytes at a time (256 reads).
        self.read, self.seek, self.tell = self.file.read, self.file.seek, self.file.tell

    def get(self, position, length):  # type: ignore[no-untyped-def]
        if self._check is not None:
            self._check(self._base + position, self._base + position + length)
        return bytes(self._buf[position:position + length])

    def check_range(self, start: int, end: int) -> int:
        """Check bytes `start` to `end` of this part before reading them from `_buf`
        directly; returns where the checked blocks end (in this part's offsets)."""
        if self._check is None:
            return len(self._buf)
        return self._check(self._base + start, self._base + end) - self._base


def _make_fork_safe_lock() -> type | None:
    try:
        from whoosh.util.filelock import FcntlLock
    except ImportError:  # pragma: no cover - Windows
        return None

    class ForkSafeLock(FcntlLock):
        """Whoosh's `WRITELOCK`, closed in forked children like our own lock (`lock.py`)."""

        def acquire(self, blocking=False):  # type: ignore[no-untyped-def]
            acquired = super().acquire(blocking)
            if acquired:
                drop_in_children(self.fd, self._forget)
            return acquired

        def _forget(self) -> None:
            self.fd = None
            self.locked = False

        def release(self):  # type: ignore[no-untyped-def]
            if self.fd is not None:
                keep_in_children(self.fd)
            super().release()

    return ForkSafeLock


_ForkSafeLock = _make_fork_safe_lock()


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # a part merged into a compound file and deleted
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def read_meta(folder: Path) -> dict[str, Any]:
    """The parsed meta file; `IndexNotFound` when missing, `IndexCorrupt` when unreadable."""
    try:
        text = (folder / META_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IndexNotFound(str(folder)) from None
    except OSError as err:
        raise IndexCorrupt(str(folder), f"unreadable {META_FILE}: {err}") from err
    try:
        meta = json.loads(text)
    except ValueError as err:
        raise IndexCorrupt(str(folder), f"unreadable {META_FILE}: {err}") from err
    if not isinstance(meta, dict):
        raise IndexCorrupt(str(folder), f"{META_FILE} is not a JSON object")
    return meta


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Replace the meta file atomically (write aside, fsync, rename, fsync the folder)."""
    tmp = folder / (META_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as stream:
        stream.write(json.dumps(meta, indent=2))
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, folder / META_FILE)
    _fsync_dir(folder)


def meta_stamp(folder: Path) -> tuple[int, int, int] | None:
    """Identity of the current meta file: changes whenever `write_meta` replaces it."""
    try:
        st = os.stat(folder / META_FILE)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def generation_name(meta: dict[str, Any]) -> str:
    """The Whoosh index name of the live generation (indexes from before rebuild: `MAIN`)."""
    name = meta.get("generation") or MAIN_NAME
    return name if isinstance(name, str) and _GENERATION.match(name + "_") else MAIN_NAME


def new_generation_name() -> str:
    return "R" + os.urandom(6).hex()


def open_generation(folder: Path, name: str, *, schema: Schema | None = None,
                    legacy: bool = False):
    """Open the Whoosh index `name` in `folder`; `schema` overrides the pickled one; `legacy`
    reads an index of an older version (see `DurableStorage`)."""
    storage = DurableStorage(folder, legacy=legacy)
    try:
        return storage.open_index(name, schema=schema)
    except IndexCorrupt:
        raise
    except whoosh_index.EmptyIndexError as err:
        raise IndexCorrupt(str(folder), f"no Whoosh table of contents for {name}") from err
    except Exception as err:  # Whoosh raises bare pickling/IO errors on damaged files
        raise IndexCorrupt(str(folder), f"{type(err).__name__}: {err}") from err


def create_generation(folder: Path, name: str, schema: Schema):
    return DurableStorage(folder).create_index(schema, indexname=name)


def generation_files(folder: Path, name: str) -> list[Path]:
    """Every file and temp folder of generation `name` (TOCs, segments, Whoosh lock, pools)."""
    found = []
    for entry in folder.iterdir():
        match = _GENERATION.match(entry.name)
        if match and match.group(1) == name:
            found.append(entry)
    return sorted(found)


def remove_generation(folder: Path, name: str) -> None:
    for entry in generation_files(folder, name):
        _remove(entry)


def leftover_files(folder: Path, live: str) -> list[Path]:
    """Files a crashed writer or rebuild left: other generations, TOC temp files, writers'
    temporary folders, legacy files."""
    found = []
    for entry in folder.iterdir():
        match = _GENERATION.match(entry.name)
        if (match and match.group(1) != live) or _TOC_TEMP.match(entry.name) \
                or _TEMP_FOLDER.match(entry.name) or entry.name in _LEGACY:
            found.append(entry)
    return sorted(found)


def remove_leftovers(folder: Path, live: str) -> list[str]:
    """Delete `leftover_files`; call only while holding the write lock. Returns their names."""
    removed = []
    for entry in leftover_files(folder, live):
        _remove(entry)
        removed.append(entry.name)
    return removed


def remove_unlisted(folder: Path, name: str) -> list[str]:
    """Delete the segment files of generation `name` that its latest table of contents does
    not list: those of a batch cancelled or killed before its commit (a full disk needs their
    space back). Call only while holding the write lock, with no writer of ours open."""
    storage = DurableStorage(folder)
    generation = whoosh_index.TOC._latest_generation(storage, name)
    if generation < 0:
        return []
    try:
        listed = {s.segment_id() for s in whoosh_index.TOC.read(storage, name, generation).segments}
    except Exception:  # noqa: BLE001 - unreadable: the next open reports it; delete nothing
        return []
    removed = []
    for entry in folder.iterdir():
        match = _SEGMENT_FILE.match(entry.name)
        if match and match.group(1) == name and match.group(0)[:-1] not in listed:
            _remove(entry)
            removed.append(entry.name)
    return removed


_SEGMENT_FILE = re.compile(r"^(MAIN|R[0-9a-f]{12})_[0-9a-z]+\.")
"""A segment's file, as Whoosh names it: `<generation>_<segment id>.<part>`."""


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def is_index_file(name: str) -> bool:
    """True for files that belong to a searchlib index folder."""
    return name in (META_FILE, LOCK_FILE) or bool(_GENERATION.match(name))
