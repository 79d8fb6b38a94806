"""Parallel indexing: worker processes analyse documents and write Whoosh segments.

Index stage. `ParallelWriter` stands in for the Whoosh writer of one `Store` batch. It keeps the
Whoosh write lock, deletions and the commit in this process, and hands documents to long-lived
worker processes (forked from a single-threaded caller, else started by a fork server: a process
with threads that forks can leave a lock held forever in the child), each of which runs a plain
Whoosh `SegmentWriter` on its share and writes one new segment per commit. The commit adds those
segments to the table of contents beside the ones the merge policy keeps, exactly as Whoosh's own
multi-segment writer does, so the index on disk has the same format as a serial build. The merge
the policy chooses runs in the worker that had the fewest documents in the batch, while the others
finish their segments (in this process it kept every core but one idle).

Why our own pool instead of ``ix.writer(procs=N)``: Whoosh starts new processes for every writer,
so each batch would lose the workers' lemma caches (> 90% hits on news text) and reload the
dictionaries; measured here, that made `procs=2` no faster than one process. Our workers live as
long as the `Store` and keep their caches warm across batches.

Workers only when they pay (issue 24): the first `PARALLEL_THRESHOLD` documents of a batch are
held back, and a batch that commits with fewer is written in this process; at the threshold,
`choose_workers` decides from the usable CPUs and the load whether to start workers (busy cores:
the batch is written in this process). Once started, workers take every batch of their `Store`
at once. ``SEARCHLIB_WORKERS`` forces the number (1: always serial).

Workers never outlive their parent: the kernel kills a worker when the process that started
it dies (`PR_SET_PDEATHSIG`, Linux), and an idle worker also checks on its parent every second.
A worker that fails (disk full, out of memory) or dies fails the batch within a second, with
what happened (`IndexWriteError`, `IndexCorrupt`), and the pool is stopped: the next batch
starts new workers.

Not here: which articles to write, batching and locking (`store.py`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from whoosh.writing import MERGE_SMALL, NO_MERGE

from searchlib.errors import IndexCorrupt, IndexWriteError, StoreError
from searchlib.store import merging

__all__ = [
    "ParallelWriter", "wrap_writer", "close_pools", "default_workers", "discard_writer",
    "PARALLEL_THRESHOLD", "CHUNK_DOCS", "MIN_IDLE_CORES", "MAX_DEFAULT_WORKERS", "WorkerChoice",
    "choose_workers",
    "writer_choice", "start_context", "forced_workers", "die_with_parent", "process_running",
    "how_it_ended",
]

PARALLEL_THRESHOLD = 200
"""Documents a batch must reach before workers are used (forking costs ~50 ms per worker)."""
CHUNK_DOCS = 16
"""Documents per message to a worker: large enough to amortise pickling, small enough to balance
the two workers' load (news articles differ tenfold in length)."""
_WORKER_LIMIT_MB = 192
"""Posting-pool memory per worker before Whoosh spills sorted runs to disk (peak RSS budget)."""
_SEGMENT_POOL_MB = 96
"""Posting-pool size (Whoosh's estimate) at which a worker finishes its segment and starts
another before the batch ends: ~600 news articles. A worker usually gets half of a 1,000-document
batch (~77 MB); while the other runs a merge it gets all of it, and its pool would double."""
_POLL = 0.5
"""Seconds between checks that the workers live, while the parent waits on them."""
_WORKER_ADVICE = "re-run, or index in one process with SEARCHLIB_WORKERS=1 (less memory)"


def default_workers() -> int:
    """Worker processes a big write may use: ``$SEARCHLIB_WORKERS``, else the usable CPUs, at
    most `MAX_DEFAULT_WORKERS` (1 means serial, in this process). `choose_workers` decides
    whether a write uses them.
    """
    forced = forced_workers()
    if forced is not None:
        return forced
    return max(1, min(len(os.sched_getaffinity(0)), MAX_DEFAULT_WORKERS))


def forced_workers() -> int | None:
    configured = os.environ.get("SEARCHLIB_WORKERS", "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return int(configured)
    return None


@dataclass(frozen=True, slots=True)
class WorkerChoice:
    """How a write was indexed: `workers` processes (1: in this process alone) and why."""

    workers: int
    reason: str

    def describe(self) -> str:
        """For summary lines: "one process (cores busy: load 7.9 on 2 CPUs)"."""
        how = "one process" if self.workers <= 1 else f"{self.workers} worker processes"
        return f"{how} ({self.reason})"


def choose_workers(articles: int, *, cpus: int | None = None,
                   load: float | None = None) -> WorkerChoice:
    """Whether a write that has `articles` in its batch so far uses worker processes.

    ``$SEARCHLIB_WORKERS`` decides when set. Else workers pay only when the write is big (a
    batch of at least `PARALLEL_THRESHOLD` articles) and at least `MIN_IDLE_CORES` cores are
    idle: the usable CPUs (``os.sched_getaffinity``) minus the 1-minute load average, rounded.
    `cpus` and `load` default to this machine's.
    """
    forced = forced_workers()
    if forced is not None:
        return WorkerChoice(forced, f"SEARCHLIB_WORKERS={forced}")
    cpus = len(os.sched_getaffinity(0)) if cpus is None else cpus
    if cpus < 2:
        return WorkerChoice(1, "one usable CPU")
    if articles < PARALLEL_THRESHOLD:
        return WorkerChoice(1, f"fewer than {PARALLEL_THRESHOLD} articles in a batch")
    load = os.getloadavg()[0] if load is None else load
    idle = int(cpus - load + 0.5)
    workers = min(cpus, MAX_DEFAULT_WORKERS, idle)
    if workers < MIN_IDLE_CORES:
        if idle >= 2:
            return WorkerChoice(1, f"{cpus} CPUs: workers pay from {MIN_IDLE_CORES} idle cores")
        return WorkerChoice(1, f"cores busy: load {load:.1f} on {cpus} CPUs")
    return WorkerChoice(workers, f"{cpus} CPUs, load {load:.1f}")


MIN_IDLE_CORES = 3
"""Idle cores from which workers pay. Measured (issue 24, 10k real articles, idle 2-core
machine, load 1.2-1.7): 2 workers indexed at 1.08x one process's docs/s (86.8 against 80.1)
for 1.52x its CPU (189 against 124 CPU s) and 1.73x its peak memory (954 against 552 MB PSS);
on 2 busy cores they took 47% more CPU and were slower. Not measured on more cores."""
MAX_DEFAULT_WORKERS = 4
"""Each worker holds its own dictionaries, caches, posting pool and merges (~450-560 MB at peak
while indexing 100k articles)."""


# ------------------------------------------------------------------------------- worker side


def _fsync_segment(storage: Any, segment: Any) -> None:
    # The parent's storage fsyncs only the files *it* wrote before publishing a TOC; a worker's
    # segment files must reach the disk before the parent's commit names them.
    folder = getattr(storage, "folder", None)
    if not folder:
        return
    marker = segment.segment_id()
    for name in os.listdir(folder):
        if marker in name:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _worker_main(storage_class: type, folder: str, indexname: str, jobs: Any, replies: Any,
                 number: int, parent: int) -> None:
    """Loop of one worker: add documents to a segment; on "flush" finish it and send it back."""
    from searchlib.store.merging import merge_segments
    from searchlib.store.postings import SearchlibWriter

    die_with_parent(parent)
    storage = storage_class(folder)
    ix = storage.open_index(indexname)
    writer = None
    written: list[Any] = []  # segments finished since the last flush
    while True:
        try:
            kind, payload = jobs.get(timeout=1.0)
        except queue.Empty:
            if not process_running(parent):  # the parent died without stopping us
                return
            continue
        try:
            if kind == "docs":
                if writer is None:
                    writer = SearchlibWriter(ix, _lk=False, limitmb=_WORKER_LIMIT_MB)
                for fields in payload:
                    writer.add_document(**fields)
                if writer.pool.currentsize > _SEGMENT_POOL_MB * 1024 * 1024:
                    written.append(writer._finalize_segment())
                    writer = None
            elif kind == "flush":
                if writer is not None:
                    if writer._added:
                        written.append(writer._finalize_segment())
                    else:
                        writer._close_segment()
                    writer = None
                segments, written = written, []
                for segment in segments:
                    _fsync_segment(storage, segment)
                _remove_temporary_folder(storage, indexname)
                replies.put((number, "segments", segments))
            elif kind == "merge":  # older segments the merge policy chose: merged into a new one
                merged = merge_segments(
                    storage, indexname, payload,
                    started=lambda segment: replies.put((number, "merging", segment.segment_id())),
                )
                if merged is not None:
                    _fsync_segment(storage, merged)
                _remove_temporary_folder(storage, indexname)
                replies.put((number, "merged", merged))
            elif kind == "cancel":  # segments finished early stay out of any TOC: cleaned later
                if writer is not None:
                    writer._close_segment()
                    writer = None
                written = []
                replies.put((number, "cancelled", None))
            else:  # "stop"
                return
        except BaseException as err:  # report every failure, then keep serving (or stop)
            if writer is not None:
                try:
                    writer._close_segment()
                except Exception:  # the segment is garbage either way (the parent removes it)
                    pass
                writer = None
            written = []  # the parent cancels the batch
            try:
                _remove_temporary_folder(storage, indexname)  # its pool's runs: disk space
            except OSError:
                pass
            replies.put((number, "failed", (kind, *_described(err))))
            if not isinstance(err, Exception):
                return


def how_it_ended(process: Any) -> str:
    """Why a dead worker `process` ended, for error messages: "was killed by SIGKILL (out of
    memory?)" or "exited with status 1"."""
    code = process.exitcode or 0
    if code >= 0:
        return f"exited with status {code}"
    how = f"was killed by {signal.Signals(-code).name}"
    return how + (" (out of memory?)" if -code == signal.SIGKILL else "")


def _described(err: BaseException) -> tuple[str, int | None, str]:
    """What the parent needs to report a worker's failure: (kind, errno, text)."""
    if isinstance(err, IndexCorrupt):
        return "corrupt", None, err.reason
    if isinstance(err, OSError):
        return "os", err.errno, err.strerror or str(err)
    return "other", None, f"{type(err).__name__}: {err}"


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when the one that started it dies (Linux; a parent
    killed by SIGKILL cannot stop its workers), and exit now if `parent` is already gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the idle check remains
        pass
    if not process_running(parent):
        os._exit(0)


def _remove_temporary_folder(storage: Any, indexname: str) -> None:
    """Remove this process's temporary folder: Whoosh's writers make it, and only a writer's
    `_finish`, which workers never call, removes it."""
    storage.temp_storage(f"{indexname}.tmp").destroy()


def process_running(pid: int) -> bool:
    """Whether process `pid` runs (a killed parent not yet reaped is a zombie: dead)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover - no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


# ------------------------------------------------------------------------------- parent side


class _WorkerPool:
    """Worker processes bound to one Whoosh index (storage + index name)."""

    def __init__(self, storage: Any, indexname: str, workers: int) -> None:
        self.folder = str(storage.folder)
        context = start_context(__name__)
        self.replies = context.Queue()
        self.jobs = [context.Queue(maxsize=4) for _ in range(workers)]
        self.processes = [
            context.Process(target=_worker_main,
                            args=(type(storage), self.folder, indexname, jobs, self.replies, n,
                                  os.getpid()),
                            name=f"searchlib-indexer-{n}", daemon=True)
            for n, jobs in enumerate(self.jobs)
        ]
        for process in self.processes:
            process.start()
        self.batch_docs = [0] * workers
        """Documents given to each worker since its last flush."""
        self.flushed_docs = [0] * workers
        """Documents each worker had in the last flush (the least busy merges next)."""
        self.closed = False
        self.merge: _Merge | None = None
        """The merge a worker runs or has finished, not yet in a table of contents."""
        self._answers: dict[int, Any] = {}
        self._errors: list[str] = []

    def send(self, docs: list[dict[str, Any]]) -> None:
        """Give a chunk of documents to the least busy worker (fewest chunks waiting, then
        fewest documents in this batch), not to one running a merge (it would take them only
        when the merge ends) while another can. Raises the failure a worker reported or its
        death, if any."""
        self._check()
        workers = range(len(self.jobs))
        if len(self.jobs) > 1 and self.merging():
            workers = [n for n in workers if n != self.merge.worker]  # type: ignore[union-attr]
        number = min(workers, key=lambda n: (_backlog(self.jobs[n]), self.batch_docs[n]))
        while True:
            try:
                self.jobs[number].put(("docs", docs), timeout=_POLL)
                break
            except queue.Full:  # the worker is busy, or dead
                self._check()
        self.batch_docs[number] += len(docs)

    def _check(self) -> None:
        """Raise the failures the workers reported so far, or the death of one."""
        while True:
            try:
                number, status, payload = self.replies.get_nowait()
            except queue.Empty:
                break
            self._record(number, status, payload)
        self._raise_errors()
        self._raise_if_dead()

    def merging(self) -> bool:
        """Whether a worker still runs a merge, as far as its replies tell."""
        while self.merge is not None and not self.merge.done:
            try:
                number, status, payload = self.replies.get_nowait()
            except queue.Empty:
                return True
            self._record(number, status, payload)
        return False

    def collect(self, kind: str) -> list[Any]:
        """Send `kind` ("flush"/"cancel") to the workers and return their replies' payloads: a
        flush goes to the workers given documents since the last one, a cancel to all (a
        worker running a merge finishes it first; `merge` then holds its result)."""
        targets = [n for n, docs in enumerate(self.batch_docs) if docs or kind != "flush"]
        self.flushed_docs, self.batch_docs = self.batch_docs, [0] * len(self.jobs)
        self._answers = {}
        for number in targets:
            self.jobs[number].put((kind, None))
        self._wait(lambda: len(self._answers) == len(targets))
        self._raise_errors()
        return list(self._answers.values())

    def start_merge(self, sources: list[Any]) -> str:
        """Have the worker that had the fewest documents last batch merge the segments
        `sources`; returns the new segment's id once its writer is open (`merge` follows it)."""
        number = min(range(len(self.jobs)), key=self.flushed_docs.__getitem__)
        merge = self.merge = _Merge(number, sources)
        self.jobs[number].put(("merge", sources))
        self._wait(lambda: merge.segment_id is not None or merge.done)
        self._raise_errors()
        return merge.segment_id  # type: ignore[return-value]

    def finish_merge(self) -> _Merge:
        """Wait for the running merge and take it (its `result` is None if nothing was live)."""
        merge = self.merge
        assert merge is not None, "no merge was started"
        self._wait(lambda: merge.done)
        self.merge = None
        self._raise_errors()
        return merge

    def _wait(self, until: Callable[[], bool]) -> None:
        while not until():
            try:
                number, status, payload = self.replies.get(timeout=_POLL)
            except queue.Empty:
                self._raise_if_dead()
                continue
            self._record(number, status, payload)

    def _record(self, number: int, status: str, payload: Any) -> None:
        merge = self.merge
        if status == "failed":
            command, kind, errno, text = payload
            self._errors.append(self._failure(number, kind, errno, text))
            if command in ("flush", "cancel"):  # its answer: it has nothing to hand back
                self._answers[number] = []
            if merge is not None and merge.worker == number and not merge.done:
                merge.done = True  # its merge failed: nothing to add
        elif status == "merging" and merge is not None:
            merge.segment_id = payload
        elif status == "merged" and merge is not None:
            merge.result, merge.done = payload, True
        else:
            self._answers[number] = payload

    def _raise_errors(self) -> None:
        """Stop the workers and raise the first failure reported, if any: after a failure
        nobody knows which documents they hold, so the batch is cancelled."""
        if self._errors:
            error = self._errors[0]
            self._errors = []
            self.close(force=True)
            raise error

    def _raise_if_dead(self) -> None:
        for number, process in enumerate(self.processes):
            if not process.is_alive():
                self.close(force=True)
                raise IndexWriteError(self.folder, f"indexing worker {number} (pid "
                                      f"{process.pid}) {how_it_ended(process)}",
                                      advice=_WORKER_ADVICE)

    def _failure(self, number: int, kind: str, errno: int | None, text: str) -> StoreError:
        if kind == "corrupt":
            return IndexCorrupt(self.folder, text)
        if kind == "os":
            return IndexWriteError.from_errno(self.folder, errno, text)
        return IndexWriteError(self.folder, f"indexing worker {number} failed ({text})",
                               advice=_WORKER_ADVICE)

    def close(self, *, force: bool = False) -> None:
        """Stop the workers: ask them (a merge running ends first), or with `force` (after a
        failure) terminate them at once."""
        if self.closed:
            return
        self.closed = True
        for jobs, process in zip(self.jobs, self.processes, strict=True):
            if process.is_alive():
                if force:
                    process.terminate()
                    continue
                try:
                    jobs.put(("stop", None), timeout=1.0)
                except queue.Full:
                    process.terminate()
        for jobs, process in zip(self.jobs, self.processes, strict=True):
            process.join(timeout=5.0)
            if process.is_alive():
                process.kill()
                process.join(timeout=1.0)
            # Documents still queued for a dead worker would hold this process at exit.
            jobs.cancel_join_thread()


@dataclass
class _Merge:
    """A merge of older segments by one worker, running while the next batch is written."""

    worker: int
    sources: list[Any]
    """The merged segments as they were when it started (their deletions then)."""
    segment_id: str | None = None
    done: bool = False
    result: Any | None = None
    """The new segment, once done (None if the sources had no live document, or it failed)."""


def start_context(preload: str) -> Any:
    """The multiprocessing context to start worker processes with (whose target is in module
    `preload`): fork when the caller has one thread, else a fork server, else spawn."""
    # Forking copies the caller's locks; one held by another thread at that moment stays held
    # forever in the child (seen: a worker hung before its first instruction inside pytest). So
    # fork only a single-threaded caller (the CLI), else start workers from a clean fork server.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([preload])
        return context
    return multiprocessing.get_context("spawn")


def _backlog(jobs: Any) -> int:
    try:
        return jobs.qsize()
    except NotImplementedError:  # pragma: no cover - macOS
        return 0


_POOLS: dict[tuple[int, str, str], _WorkerPool] = {}
_POOLS_LOCK = threading.RLock()
"""Reentrant: the garbage collector may run a pool's finalizer (`_close_pool`) in a thread that
holds the lock, while `_pool_for` starts processes."""


def _pool_for(owner: object, storage: Any, indexname: str, workers: int) -> _WorkerPool:
    """The live pool of `owner` (a Store) for this index, started on first use."""
    key = (id(owner), str(storage.folder), indexname)
    with _POOLS_LOCK:
        pool = _live_pool(owner, storage, indexname, workers)
        if pool is None:
            stale = _POOLS.get(key)
            if stale is not None:
                stale.close()
            pool = _WorkerPool(storage, indexname, workers)
            _POOLS[key] = pool
            weakref.finalize(owner, _close_pool, key)
    return pool


def _live_pool(owner: object, storage: Any, indexname: str,
               workers: int | None = None) -> _WorkerPool | None:
    """The running pool of `owner` for this index (of `workers` processes if given), if an
    earlier batch started it."""
    pool = _POOLS.get((id(owner), str(storage.folder), indexname))
    if pool is None or pool.closed or workers not in (None, len(pool.processes)):
        return None
    return pool


def _close_pool(key: tuple[int, str, str]) -> None:
    with _POOLS_LOCK:
        pool = _POOLS.pop(key, None)
    if pool is not None:
        pool.close()


def close_pools(owner: object) -> None:
    """Stop the workers of `owner` (they also stop when it is garbage-collected or at exit)."""
    with _POOLS_LOCK:
        keys = [key for key in _POOLS if key[0] == id(owner)]
    for key in keys:
        _close_pool(key)


class ParallelWriter:
    """The writer of one batch: deletions and the commit here, documents in worker processes.

    Offers what `Store` uses of a Whoosh writer: `add_document`, `update_document`,
    `delete_by_term`, `commit(optimize=)`, `cancel()`. As with any Whoosh writer, a document
    added in this batch cannot be deleted or updated before the commit. It uses at most
    `workers` processes, and none unless `choose_workers` says they pay (`choice`).
    """

    def __init__(self, writer: Any, *, owner: object, workers: int,
                 reopen: Callable[[], Any] | None = None) -> None:
        self._writer = writer
        self._owner = owner
        self._workers = workers
        self._reopen = reopen
        self._held: list[dict[str, Any]] = []
        self._chunk: list[dict[str, Any]] = []
        # Workers an earlier batch started take documents at once (no fork to amortise).
        self._pool = _live_pool(owner, writer.storage, writer.indexname)
        self.choice: WorkerChoice | None = (
            None if self._pool is None
            else WorkerChoice(len(self._pool.processes), "workers already running"))
        """How this batch is written; None while it is too small to decide (then serially)."""

    @property
    def schema(self) -> Any:
        return self._writer.schema

    @property
    def is_closed(self) -> bool:
        return bool(self._writer.is_closed)

    @property
    def indexname(self) -> str:
        return str(self._writer.indexname)

    def add_document(self, **fields: Any) -> None:
        if self._pool is None:
            if self.choice is not None:  # decided: one process
                self._writer.add_document(**fields)
                return
            self._held.append(fields)
            if len(self._held) >= PARALLEL_THRESHOLD:
                choice = choose_workers(len(self._held))
                self.choice = WorkerChoice(min(choice.workers, self._workers), choice.reason)
                held, self._held = self._held, []
                if self.choice.workers <= 1:
                    for document in held:
                        self._writer.add_document(**document)
                    return
                self._pool = _pool_for(self._owner, self._writer.storage,
                                       self._writer.indexname, self.choice.workers)
                for start in range(0, len(held), CHUNK_DOCS):
                    self._pool.send(held[start:start + CHUNK_DOCS])
            return
        self._chunk.append(fields)
        if len(self._chunk) >= CHUNK_DOCS:
            self._pool.send(self._chunk)
            self._chunk = []

    def update_document(self, **fields: Any) -> None:
        # What Whoosh's update_document does: delete by every unique field, then add.
        for name, field in self._writer.schema.items():
            if field.unique and name in fields:
                self._writer.delete_by_term(name, fields[name])
        self.add_document(**fields)

    def delete_by_term(self, fieldname: str, text: Any, searcher: Any = None) -> int:
        return self._writer.delete_by_term(fieldname, text, searcher=searcher)

    def commit(self, mergetype: Any = None, optimize: bool = False, merge: bool = True, *,
               background_merge: bool = False) -> None:
        """Commit the batch. With `background_merge`, the merge the policy chooses runs in a
        worker while the next batches are written (the others take their documents), and the
        first commit after it ends adds its segment; no other merge starts meanwhile. Else the
        commit waits for it (the last commit of a write, so that no work is left behind)."""
        writer = self._writer
        if self._pool is None:
            for fields in self._held:
                writer.add_document(**fields)
            self._held = []
            writer.commit(mergetype=mergetype, optimize=optimize, merge=merge)
            return
        # SegmentWriter.commit, with the workers' segments added (as Whoosh's MpWriter does
        # with multisegment=True), and the merge the policy chooses done by a worker.
        # An optimize commits the workers' segments first, then merges every segment once.
        optimizing = optimize or mergetype is merging.OPTIMIZE
        try:
            if self._chunk:
                self._pool.send(self._chunk)
                self._chunk = []
            written = [s for segments in self._pool.collect("flush") for s in segments]
            segments, running = self._settle(writer.segments, wait=not background_merge)
            sources: list[Any] = []
            if running is None and not optimizing and merge and mergetype is not NO_MERGE:
                plan = merging.MergePlan(writer)
                kept = MERGE_SMALL(plan, segments)
                sources = merging.largest_first(plan.merged)
            if sources:
                running = self._pool.start_merge(sources)
            if running is not None and not background_merge:
                merged = self._pool.finish_merge().result
                segments, running = [*kept, *([merged] if merged is not None else [])], None
        except BaseException:
            self._pool.merge = None  # its segment, if any, is left for `clean_files`
            discard_writer(writer)
            raise
        if writer._added:
            written.append(writer._finalize_segment())
        else:
            writer._close_segment()
        _commit_toc(writer, segments + written, running)
        writer._finish()
        if optimizing and self._reopen is not None:
            self._reopen().commit(mergetype=merging.OPTIMIZE)

    def _settle(self, segments: list[Any], *, wait: bool) -> tuple[list[Any], str | None]:
        """(`segments` with those a finished merge replaced swapped for its result, the id of
        the segment of a merge still running). Waits for a running merge if `wait`."""
        pool = self._pool
        if pool is None or pool.merge is None:
            return list(segments), None
        if not wait and pool.merging():
            return list(segments), pool.merge.segment_id
        return _installed(pool.finish_merge(), segments), None

    def cancel(self) -> None:
        if self._pool is not None:
            try:
                if not self._pool.closed:  # (a failure stops the workers)
                    self._pool.collect("cancel")
            finally:
                self._pool.merge = None  # its segment, if any, is left for `clean_files`
                discard_writer(self._writer)
            return
        self._held = []
        discard_writer(self._writer)


def discard_writer(writer: Any) -> None:
    """Cancel a Whoosh writer or `ParallelWriter` in whatever state a failure left it: when
    its segment's files cannot even be closed (disk full), its temporary files are removed
    and its lock released all the same (the segment's files are removed by the next writer,
    `files.remove_unlisted`)."""
    if writer.is_closed:
        return
    try:
        writer.cancel()
    except (OSError, StoreError):
        inner = getattr(writer, "_writer", writer)
        if inner.is_closed:
            return
        inner.is_closed = True
        try:
            inner._tempstorage.destroy()
        except OSError:
            pass
        if inner.writelock:
            inner.writelock.release()


def _installed(merge: _Merge, segments: list[Any]) -> list[Any]:
    """`segments` with `merge.sources` replaced by `merge.result`, which gets the deletions
    made in them since the merge started (it numbers their then-live documents in order)."""
    current = {segment.segment_id(): segment for segment in segments}
    if any(source.segment_id() not in current for source in merge.sources):
        return list(segments)  # the index changed under it (not by our writers): drop it
    merged = merge.result
    if merged is not None:
        offset = 0
        for source in merge.sources:
            before = set(source.deleted_docs())
            live = [d for d in range(source.doc_count_all()) if d not in before]
            since = set(current[source.segment_id()].deleted_docs()) - before
            for new_number, docnum in enumerate(live):
                if docnum in since:
                    merged.delete_document(offset + new_number)
            offset += len(live)
    replaced = {source.segment_id() for source in merge.sources}
    kept = [segment for segment in segments if segment.segment_id() not in replaced]
    return kept + ([merged] if merged is not None else [])


def _commit_toc(writer: Any, segments: list[Any], running: str | None) -> None:
    """`SegmentWriter._commit_toc`, keeping the files of the running merge's segment."""
    from whoosh.index import TOC, clean_files

    TOC(writer.schema, segments, writer.generation).write(writer.storage, writer.indexname)
    keep = segments if running is None else [*segments, _SegmentName(running)]
    clean_files(writer.storage, writer.indexname, writer.generation, keep)


class _SegmentName:
    """What `clean_files` asks of a segment: its id, which names its files."""

    def __init__(self, segment_id: str) -> None:
        self._segment_id = segment_id

    def segment_id(self) -> str:
        return self._segment_id


def wrap_writer(owner: object, writer: Any, reopen: Callable[[], Any] | None = None) -> Any:
    """`writer` itself when indexing is serial anyway (``SEARCHLIB_WORKERS=1``, one CPU), else a
    `ParallelWriter` around it, which decides when its batch is big enough (`choose_workers`)."""
    workers = default_workers()
    if workers <= 1:
        return writer
    return ParallelWriter(writer, owner=owner, workers=workers, reopen=reopen)


def writer_choice(writer: Any) -> WorkerChoice | None:
    """How `writer` (from `wrap_writer`) writes its batch; None while its batch is too small
    to decide (then it writes in this process)."""
    if isinstance(writer, ParallelWriter):
        return writer.choice
    return choose_workers(0)  # serial anyway (SEARCHLIB_WORKERS=1, one CPU): says why
