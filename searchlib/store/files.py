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

Not here: locking (`lock.py`), reading and writing documents (`store.py`).
"""

from __future__ import annotations

import json
import mmap
import os
import re
import shutil
import weakref
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
]

META_FILE = "searchlib.json"
MAIN_NAME = "MAIN"
_GENERATION = re.compile(r"^_?(MAIN|R[0-9a-f]{12})(?=[_.])")
_TOC_TEMP = re.compile(r"^_(MAIN|R[0-9a-f]{12})_[0-9]+\.toc\..+$")
_TEMP_FOLDER = re.compile(r"^(MAIN|R[0-9a-f]{12})\.tmp")
_LEGACY = ("writer.json", META_FILE + ".tmp")


class DurableStorage(FileStorage):
    """A Whoosh `FileStorage` that fsyncs a commit's files before its TOC rename publishes them."""

    sync = True
    """False skips the fsyncs (benchmarks measure their cost this way); a process crash is still
    safe then, a power cut may lose or damage the last commits."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        # Whoosh's own mmap path copies every part of a segment (terms, postings) into a BytesIO
        # each time a searcher opens (`BufferFile`): 75-280 ms per search on a 2k index, most of
        # a query. `open_file` maps segments itself instead, and Whoosh reads the parts in place
        # through `_MappedFile.subset` (its non-mmap path): opening a searcher takes ~5 ms.
        super().__init__(str(path), readonly=readonly, supports_mmap=False)
        self._written: set[str] = set()
        self._maps: weakref.WeakSet[mmap.mmap] = weakref.WeakSet()

    def open_file(self, name, **kwargs):  # type: ignore[no-untyped-def]
        if name.endswith(_SEGMENT_SUFFIX):
            with open(self._fpath(name), "rb") as handle:
                try:
                    mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                except (ValueError, OSError):  # empty file, or no address space left
                    mapped = None
            if mapped is not None:
                self._maps.add(mapped)
                return _MappedFile(_MemoryFile(memoryview(mapped), mapped), name=name)
        return super().open_file(name, **kwargs)

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


class _MemoryFile:
    """A read-only file over a memory view: no copy of the data, unlike `io.BytesIO`."""

    __slots__ = ("_view", "_pos", "_owner")

    def __init__(self, view: memoryview, owner: mmap.mmap | None = None) -> None:
        self._view = view
        self._pos = 0
        self._owner = owner

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        view = self._view
        data = bytes(view[start:] if size is None or size < 0 else view[start:start + size])
        self._pos = start + len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        chunk = bytes(self._view[start:end])
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
        return _PartFile(self.file._view[offset:offset + length], name=name or self._name)


class _PartFile(BufferFile):
    """Whoosh's `BufferFile` (which reads with `get` straight from the buffer) without its
    BytesIO copy of the whole part."""

    def __init__(self, buf, name=None, onclose=None):  # type: ignore[no-untyped-def]
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _MemoryFile(buf)
        # Straight to the memory file, not through `StructFile`'s forwarding methods: opening a
        # segment reads its term table's directory 8 bytes at a time (256 reads).
        self.read, self.seek, self.tell = self.file.read, self.file.seek, self.file.tell


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


def open_generation(folder: Path, name: str, *, schema: Schema | None = None):
    """Open the Whoosh index `name` in `folder`; `schema` overrides the pickled one."""
    storage = DurableStorage(folder)
    try:
        return storage.open_index(name, schema=schema)
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


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def is_index_file(name: str) -> bool:
    """True for files that belong to a searchlib index folder."""
    return name in (META_FILE, LOCK_FILE) or bool(_GENERATION.match(name))
