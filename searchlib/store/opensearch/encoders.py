"""Worker processes that encode articles into OpenSearch documents for `OpenSearchStore.add`.

Store stage (issue 22). Our analysers run in Python, 8-10 ms per news article, and they are
what limits indexing into OpenSearch from one process. `EncoderPool` runs `encode_source`
(`article_to_source`, then the JSON text the bulk request carries) in worker processes, so
that documents are analysed on other cores while this process reads articles, decides what to
write and sends bulk requests, and the node indexes them. The workers live as long as the
`add` that started them and keep their word caches warm across its batches.

A document encoded by a worker is the very JSON text the bulk helper would have made of the
`article_to_source` dict in this process (the client's `JSONSerializer`): the bulk bodies are
the same byte for byte (tests/store/opensearch/test_opensearch_encoders.py).

Workers start as `searchlib.store.parallel` starts the Whoosh engine's: forked from a
single-threaded caller, else from a fork server; the kernel kills them when their parent dies
(``PR_SET_PDEATHSIG``) and an idle worker checks on its parent every second. A worker that fails
or dies fails the `add` (`IndexWriteError`, naming it) within `_POLL` seconds and the pool is
stopped. `choose_encoders` decides how many
(``SEARCHLIB_WORKERS`` forces it).

Not here: which articles to write, lookups, bulk requests (`store.py`).
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from opensearchpy.serializer import JSONSerializer

from searchlib.errors import IndexWriteError
from searchlib.model import Article
from searchlib.store.opensearch.encoding import article_to_source
from searchlib.store.parallel import (
    WorkerChoice,
    die_with_parent,
    forced_workers,
    how_it_ended,
    process_running,
    start_context,
)

__all__ = ["EncoderPool", "EncodedBatch", "encode_source", "choose_encoders", "describe",
           "ENCODE_THRESHOLD", "ENCODE_CHUNK", "MAX_ENCODERS"]

ENCODE_THRESHOLD = 200
"""Articles a batch must have to encode before workers start (forking costs ~50 ms each)."""
ENCODE_CHUNK = 16
"""Articles per message to a worker: amortises pickling, keeps the workers' shares even."""
MAX_ENCODERS = 4
"""Workers by default, at most (each holds its own dictionaries and caches). Measured on 2
CPUs only."""
_POLL = 0.5
"""Seconds between checks that the workers live, while waiting for a document."""
_ADVICE = "re-run, or encode in one process with SEARCHLIB_WORKERS=1"

_SERIALIZER = JSONSerializer()
"""What opensearch-py's bulk helper makes the JSON text of a ``_source`` dict with."""

Job = tuple[Article, str, dict[str, str]]
"""(article, its content hash, its duplicate fields): the arguments of `article_to_source`."""


def encode_source(article: Article, content_hash: str,
                  duplicates: dict[str, str]) -> tuple[str, int]:
    """The ``_source`` JSON text of `article` as a bulk request carries it, and how many tokens
    it could not keep (`article_to_source`)."""
    source, dropped = article_to_source(article, content_hash, duplicates)
    return _SERIALIZER.dumps(source), dropped


def choose_encoders(articles: int, *, cpus: int | None = None) -> WorkerChoice:
    """Worker processes that encode a batch of `articles` documents (0: this process does).

    ``$SEARCHLIB_WORKERS=N`` decides when set: N worker processes, or with 1 this process
    alone (the least memory). Else a batch of at least `ENCODE_THRESHOLD` articles on 2 or
    more usable CPUs gets one worker per CPU but one, at most `MAX_ENCODERS`, whatever the
    load: this process keeps one core's share for reading, deciding and sending, and a
    local node for indexing. Measured on 2 CPUs (benchmarks/README.md, "OpenSearch indexing
    with encoding workers"): one worker indexed as fast as two or faster, for ~20% less CPU
    (each worker warms its own word caches; two also contend with the node).
    """
    forced = forced_workers()
    if forced is not None:
        return WorkerChoice(0 if forced == 1 else forced, f"SEARCHLIB_WORKERS={forced}")
    cpus = len(os.sched_getaffinity(0)) if cpus is None else cpus
    if cpus < 2:
        return WorkerChoice(0, "one usable CPU")
    if articles < ENCODE_THRESHOLD:
        return WorkerChoice(0, f"fewer than {ENCODE_THRESHOLD} articles in a batch")
    return WorkerChoice(min(cpus - 1, MAX_ENCODERS), f"{cpus} CPUs")


def describe(choice: WorkerChoice) -> str:
    """For summary lines: "documents encoded by 1 worker process (2 CPUs)"."""
    if choice.workers == 0:
        return f"documents encoded in this process ({choice.reason})"
    plural = "es" if choice.workers > 1 else ""
    return f"documents encoded by {choice.workers} worker process{plural} ({choice.reason})"


# ------------------------------------------------------------------------------- worker side


def _encoder_main(jobs: Any, replies: Any, parent: int, folder: str) -> None:
    """Loop of one worker: encode each chunk of jobs into a file of `folder` named by its tag,
    then reply (tag, True, None); when it fails, (tag, None, what happened). Replies are small,
    so a worker killed while replying cannot leave half a message in the pipe (the parent
    would wait for the rest forever)."""
    die_with_parent(parent)
    while True:
        try:
            kind, tag, payload = jobs.get(timeout=1.0)
        except queue.Empty:
            if not process_running(parent):  # the parent died without stopping us
                return
            continue
        if kind == "stop":
            return
        try:
            encoded = [encode_source(*job) for job in payload]
            path = os.path.join(folder, str(tag))
            with open(f"{path}.part", "wb") as out:
                pickle.dump(encoded, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(f"{path}.part", path)
        except BaseException as err:  # report every failure, then keep serving (or stop)
            replies.put((tag, None, f"{type(err).__name__}: {err}"[:1000]))
            if not isinstance(err, Exception):
                return
            continue
        replies.put((tag, True, None))


# ------------------------------------------------------------------------------- parent side


class EncoderPool:
    """`workers` encoding processes for the store at `where` (its URL, for messages). Chunks go
    to one queue that every worker takes from; replies come back tagged and are put in order."""

    def __init__(self, where: str, workers: int) -> None:
        self.where = where
        context = start_context(__name__)
        self._jobs = context.Queue()
        self._replies = context.Queue()
        self._folder = tempfile.mkdtemp(prefix="searchlib-encoders-")
        """The documents of each chunk, a file per chunk until read."""
        self.processes = [
            context.Process(target=_encoder_main,
                            args=(self._jobs, self._replies, os.getpid(), self._folder),
                            name=f"searchlib-encoder-{n}", daemon=True)
            for n in range(workers)
        ]
        for process in self.processes:
            process.start()
        self.closed = False
        self._tags = itertools.count()
        self._done: dict[int, bool] = {}
        """Chunks encoded, not yet taken."""
        self._lock = threading.Lock()

    def encode(self, jobs: Sequence[Job]) -> EncodedBatch:
        """Give `jobs` to the workers now; the returned batch yields their documents in order."""
        if self.closed:
            raise IndexWriteError(self.where, "the encoding workers were stopped",
                                  advice=_ADVICE)
        tags = []
        for start in range(0, len(jobs), ENCODE_CHUNK):
            tag = next(self._tags)
            self._jobs.put(("docs", tag, list(jobs[start:start + ENCODE_CHUNK])))
            tags.append(tag)
        return EncodedBatch(self, tags)

    def _take(self, tag: int) -> list[tuple[str, int]]:
        """The documents of chunk `tag`, waiting for them; raises what a worker reported or
        its death, after stopping the pool."""
        with self._lock:
            while tag not in self._done:
                try:
                    got, encoded, failure = self._replies.get(timeout=_POLL)
                except queue.Empty:
                    self._raise_if_dead()
                    continue
                if failure is not None:
                    self.close(force=True)
                    raise IndexWriteError(self.where, f"an encoding worker failed ({failure})",
                                          advice=_ADVICE)
                self._done[got] = encoded
            self._done.pop(tag)
            path = os.path.join(self._folder, str(tag))
            with open(path, "rb") as handle:
                documents: list[tuple[str, int]] = pickle.load(handle)
            os.remove(path)
            return documents

    def _raise_if_dead(self) -> None:
        for number, process in enumerate(self.processes):
            if not process.is_alive():
                self.close(force=True)
                raise IndexWriteError(self.where, f"encoding worker {number} (pid "
                                      f"{process.pid}) {how_it_ended(process)}", advice=_ADVICE)

    def close(self, *, force: bool = False) -> None:
        """Stop the workers: ask them, or with `force` (after a failure) terminate them."""
        if self.closed:
            return
        self.closed = True
        if not force:
            for _ in self.processes:
                self._jobs.put(("stop", None, None))
        for process in self.processes:
            if force and process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=5.0)
            if process.is_alive():
                process.kill()
                process.join(timeout=1.0)
        # The thread feeding the jobs queue may be blocked writing to workers that are gone:
        # with its chunks dropped and this process's end of the pipe closed, its write fails
        # and it ends here (no thread may outlive the pool: a later fork would copy it).
        with self._jobs._notempty:
            self._jobs._buffer.clear()
        self._jobs._reader.close()
        self._replies.close()
        self._jobs.close()
        self._jobs.join_thread()
        self._done.clear()
        shutil.rmtree(self._folder, ignore_errors=True)


class EncodedBatch:
    """The documents of one `EncoderPool.encode` call, in the order of its jobs."""

    def __init__(self, pool: EncoderPool, tags: list[int]) -> None:
        self._pool = pool
        self._tags = tags

    def __iter__(self) -> Iterator[tuple[str, int]]:
        for tag in self._tags:
            yield from self._pool._take(tag)
