"""The write lock of an index folder: one writer at a time across processes, with holder info.

Index stage. The lock is an OS file lock (`flock`) on `searchlib.lock` inside the index folder, so
the kernel releases it when the holder dies, even by SIGKILL: a lock can never be left stale. The
file also holds the holder's pid, host, purpose and start time as JSON, so a second writer learns
who holds the lock and since when. After a crash that JSON outlives its process; the next writer
sees that the pid is dead, reports it as a cleared stale lock and overwrites it. The file itself is
never deleted (deleting a lock file races with a process that has it open).

Not here: Whoosh's own `WRITELOCK` (also an `flock`, taken inside ours) and the thread lock that
serialises the threads of one `Store`.
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from searchlib.errors import ConfigError, IndexLocked, StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCK_FILE", "LockHolder", "FolderLock", "read_holder", "pid_alive",
           "drop_in_children", "keep_in_children"]

LOCK_FILE = "searchlib.lock"
_POLL_START, _POLL_MAX = 0.02, 0.25
"""Polling interval while waiting for a lock: starts short, backs off to a quarter second."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LockHolder:
    """Who holds (or last held) the write lock of an index."""

    pid: int
    host: str
    since: datetime
    purpose: str

    def describe(self) -> str:
        return f"process {self.pid} on {self.host} ({self.purpose})"

    def is_dead(self) -> bool:
        """True when the holder ran on this host and its process no longer exists."""
        import socket  # here, not at the top: searching takes no lock (cold start, issue 7)

        return self.host == socket.gethostname() and not pid_alive(self.pid)

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "host": self.host,
                "since": self.since.isoformat(timespec="seconds"), "purpose": self.purpose}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> LockHolder:
        return cls(pid=int(record["pid"]), host=str(record["host"]),
                   since=datetime.fromisoformat(record["since"]),
                   purpose=str(record.get("purpose") or "write"))


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _parse_holder(raw: bytes) -> LockHolder | None:
    try:
        return LockHolder.from_json(json.loads(raw.decode("utf-8")))
    except (ValueError, KeyError, TypeError):
        return None


def read_holder(folder: Path) -> LockHolder | None:
    """The holder recorded in the lock file (a live writer, or a dead one's leftover), or None."""
    try:
        raw = (folder / LOCK_FILE).read_bytes()
    except OSError:
        return None
    return _parse_holder(raw) if raw.strip() else None


_HELD: dict[int, Callable[[], None]] = {}
"""fd -> forget callback, of the file locks this process holds (see `drop_in_children`)."""


def drop_in_children(fd: int, forget: Callable[[], None]) -> None:
    """Close the locked `fd` in processes forked from this one; `forget()` runs there first.

    A forked child (e.g. an indexing worker) shares the parent's lock file description. Were it
    to keep it open, the lock would outlive a parent killed by SIGKILL for as long as the child
    lives. Closing the copy (never LOCK_UN, which would unlock the parent too) prevents that.
    """
    _HELD[fd] = forget


def keep_in_children(fd: int) -> None:
    """Undo `drop_in_children` (the lock was released)."""
    _HELD.pop(fd, None)


def _drop_inherited_locks() -> None:
    for fd, forget in list(_HELD.items()):
        forget()
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)


class FolderLock:
    """The exclusive write lock of one index folder; `acquire(wait)`, then `release()`."""

    def __init__(self, folder: Path, *, purpose: str) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            raise ConfigError("searchlib's index lock needs POSIX file locks (fcntl)")
        self.folder = folder
        self.purpose = purpose
        self.cleared: LockHolder | None = None
        """A dead holder's record found (and overwritten) when this lock was acquired."""
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, waiting up to `wait` seconds; raises `IndexLocked` naming the holder."""
        path = self.folder / LOCK_FILE
        deadline = time.monotonic() + wait
        delay = _POLL_START
        while True:
            fd = self._try_lock(path)
            if fd is not None:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                holder = read_holder(self.folder)
                if holder is None:
                    raise IndexLocked(str(self.folder), "another writer", None)
                who = holder.describe()
                if holder.is_dead():
                    who += ", which has exited; a process it started still holds the lock"
                raise IndexLocked(str(self.folder), who, holder.since)
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, _POLL_MAX)
        previous = _parse_holder(os.pread(fd, 4096, 0))
        self.cleared = previous if previous is not None else None
        import socket

        record = LockHolder(pid=os.getpid(), host=socket.gethostname(),
                            since=datetime.now(UTC).replace(microsecond=0), purpose=self.purpose)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record.to_json()).encode("utf-8"), 0)
        self._fd = fd
        drop_in_children(fd, self._forget)

    def _try_lock(self, path: Path) -> int | None:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError as err:
            raise StoreError(f"cannot lock index {self.folder} for writing: {err.strerror}; "
                             "check that the folder exists") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return None
            raise
        return fd

    def _forget(self) -> None:
        self._fd = None

    def release(self) -> None:
        """Clear the holder record and release the lock (safe to call twice)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        keep_in_children(fd)
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
