"""Library calls in worker processes that take them from one queue (`searchlib serve --workers`).

One Python process runs on one core at a time (the GIL), so a server uses more cores with more
processes. They are library processes behind the one HTTP process, not several HTTP
processes on one socket: an HTTP process keeps the keep-alive connections it accepts, and
the 20 clients of the load test were shared 16 to 4 between two such processes, so the busier
one's requests waited four times as long. Here every call waits in one queue, in arrival order,
for whichever process is free first, and each process runs one call at a time to the end (no
second thread time-sliced against it). The HTTP process parses requests, answers repeated
ones from its one answer cache (so a request is a miss once, not once per process) and streams
exports.

A process opens the index itself and reads the index's latest commit on every call, as a
thread would. What crosses the pipes is plain data: the name of a module-level function and its
arguments one way, the answer's JSON bytes (or an error's status, code, message) the other.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from searchlib.store.opensearch.address import OpenSearchAddress

__all__ = ["Failure", "LibraryProcesses"]

_log = logging.getLogger("searchlib.web")
STOP_SECONDS = 5.0
"""How long `close` waits for a process to end after its pipe is closed, before killing it."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A call's error as the HTTP layer answers it (see `app.ApiError`)."""

    status: int
    code: str
    message: str
    headers: dict[str, str]
    extra: dict[str, Any]


@dataclass(slots=True)
class _Worker:
    process: Any
    """The `multiprocessing` process (spawned: no threads or locks of this one are copied)."""
    connection: Connection


class LibraryProcesses:
    """`count` processes running `produce(index, *args)` calls; `run` waits for a free one."""

    def __init__(self, location: Path | OpenSearchAddress, count: int,
                 serve: Callable[[Connection, Path | OpenSearchAddress], None]) -> None:
        self._location = location
        self._serve = serve
        self._context = multiprocessing.get_context("spawn")
        self._free: queue.Queue[_Worker] = queue.Queue()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(count):
            self._free.put(self._start())

    def _start(self) -> _Worker:
        mine, theirs = self._context.Pipe()
        process = self._context.Process(target=self._serve, args=(theirs, self._location),
                                        name="searchlib-serve-library", daemon=True)
        process.start()
        theirs.close()
        worker = _Worker(process, mine)
        with self._lock:
            self._workers.append(worker)
        return worker

    def run(self, produce: Callable[..., Any], args: tuple[Any, ...],
            deadline: float) -> bytes | Failure:
        """The JSON body of `produce(index, *args)` in the first process free (callers are
        served in the order they came), or its failure. Blocks; raises `TimeoutError` when no
        process was free before `deadline` (`time.monotonic()`)."""
        try:
            worker = self._free.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None
        try:
            if time.monotonic() > deadline:  # its client has been answered 504 already
                raise TimeoutError
            worker.connection.send((produce, args))
            return worker.connection.recv()
        except (EOFError, OSError) as err:  # the process died (killed, out of memory)
            _log.error("a library process ended (%s); starting another", err)
            worker = self._replace(worker)
            return Failure(500, "internal", "internal server error (details are in the "
                           "server's log)", {}, {})
        finally:
            self._free.put(worker)

    def _replace(self, worker: _Worker) -> _Worker:
        worker.connection.close()
        worker.process.kill()
        worker.process.join(STOP_SECONDS)
        with self._lock:
            self._workers.remove(worker)
        return self._start()

    def close(self) -> None:
        """End every process: its pipe closes, so it exits when its call (if any) is done."""
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.connection.close()
        for worker in workers:
            worker.process.join(STOP_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(STOP_SECONDS)


def ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group: the HTTP process stops the library processes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
