"""Locking: one writer at a time, a clear message naming the holder, waiting, stale locks,
readers during writes, and threads (real processes and a real index)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.errors import IndexLocked
from searchlib.model import Article, Lang
from searchlib.store.lock import FolderLock, read_holder

HOLDER = """
import sys, time
from searchlib.api import Index
from searchlib.model import Article, Lang

def articles():
    yield Article(id="held", title="Held", text="Written by the lock holder.", lang=Lang.EN)
    print("holding", flush=True)
    sys.stdin.readline()  # hold the lock until the test closes our stdin (or kills us)

Index.open(sys.argv[1]).add(articles())
print("done", flush=True)
"""


def _article(n: int) -> Article:
    return Article(id=f"t{n}", title=f"Story {n}", text=f"Body of story {n} about Canada.",
                   lang=Lang.EN, url=f"https://lock.example/{n}",
                   published=datetime(2025, 8, 1 + n % 28, tzinfo=UTC))


class _Holder:
    """A separate process that holds the index's write lock until released or killed."""

    def __init__(self, index_dir: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(index_dir)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "holding"

    def release(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        assert self.proc.stdout.read().strip() == "done"
        assert self.proc.wait(timeout=30) == 0

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def test_second_writer_learns_who_holds_the_lock_and_since(fresh_index: Index) -> None:
    holder = _Holder(fresh_index.path)
    try:
        with pytest.raises(IndexLocked) as caught:
            Index.open(fresh_index.path).add([_article(1)])
    finally:
        holder.release()
    err = caught.value
    assert f"process {holder.proc.pid} on {socket.gethostname()} (add)" == err.holder
    assert err.since is not None
    assert datetime.now(UTC) - err.since < timedelta(minutes=1)
    assert "--wait SECONDS" in str(err) and str(fresh_index.path) in str(err)


def test_refused_writer_raises_and_nothing_is_written_behind_its_back(fresh_index: Index) -> None:
    holder = _Holder(fresh_index.path)
    try:
        with pytest.raises(IndexLocked):
            fresh_index.add([_article(1)])
    finally:
        holder.release()
    # Unlike Whoosh's AsyncWriter, nothing was buffered to be written later (or dropped).
    time.sleep(0.2)
    assert fresh_index.get("t1") is None
    assert fresh_index.get("held") is not None
    assert fresh_index.add([_article(1)]).indexed == 1


def test_wait_seconds_waits_for_the_holder(fresh_index: Index) -> None:
    holder = _Holder(fresh_index.path)
    releaser = threading.Timer(1.0, holder.release)
    releaser.start()
    started = time.monotonic()
    report = Index.open(fresh_index.path).add([_article(1)], wait=60)
    releaser.join()
    assert time.monotonic() - started >= 0.9
    assert report.indexed == 1
    assert {a.id for a in fresh_index.articles()} == {"held", "t1"}


def test_wait_gives_up_after_the_timeout(fresh_index: Index) -> None:
    holder = _Holder(fresh_index.path)
    try:
        started = time.monotonic()
        with pytest.raises(IndexLocked):
            fresh_index.delete(["held"], wait=0.5)
        assert 0.45 <= time.monotonic() - started < 5
    finally:
        holder.release()


def test_stale_lock_of_a_killed_writer_is_detected_and_cleared(fresh_index: Index) -> None:
    holder = _Holder(fresh_index.path)
    holder.kill()
    stale = read_holder(fresh_index.path)
    assert stale is not None and stale.pid == holder.proc.pid and stale.is_dead()
    notes = Index.check(fresh_index.path).notes
    assert any("stale lock record" in note and str(holder.proc.pid) in note for note in notes)
    assert fresh_index.lock_holder() is None

    lock = FolderLock(fresh_index.path, purpose="test")
    lock.acquire(0)  # no waiting: the kernel released the dead process's lock
    try:
        assert lock.cleared == stale
        assert read_holder(fresh_index.path).pid == os.getpid()
    finally:
        lock.release()
    assert read_holder(fresh_index.path) is None
    # The killed writer's uncommitted article is gone; the index works without any repair.
    assert fresh_index.add([_article(1)]).indexed == 1
    assert [a.id for a in fresh_index.articles()] == ["t1"]


FORKING_HOLDER = """
import os, sys, time
from searchlib.api import Index
from searchlib.model import Article

def articles():
    yield Article(id="held", title="Held", text="Written by the lock holder.")
    child = os.fork()  # like an indexing worker: forked while both write locks are held
    if child == 0:
        # Announced by the child: its fork handlers have run (the parent's word would race them).
        print(f"holding {os.getpid()}", flush=True)
        time.sleep(60)
        os._exit(0)
    sys.stdin.readline()

Index.open(sys.argv[1]).add(articles())
"""


def test_a_forked_child_of_a_killed_writer_does_not_keep_the_lock(fresh_index: Index) -> None:
    proc = subprocess.Popen([sys.executable, "-c", FORKING_HOLDER, str(fresh_index.path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    child = int(proc.stdout.readline().split()[1])
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _alive(child)
        assert fresh_index.add([_article(1)]).indexed == 1  # no waiting
        assert [a.id for a in fresh_index.articles()] == ["t1"]
    finally:
        os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_readers_keep_working_and_see_whole_batches_during_writes(fresh_index: Index) -> None:
    errors: list[BaseException] = []
    seen: list[int] = []

    def write() -> None:
        try:
            Index.open(fresh_index.path).add((_article(n) for n in range(120)), batch_size=10)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    writer = threading.Thread(target=write)
    writer.start()
    reader = Index.open(fresh_index.path)
    while writer.is_alive():
        count = len(reader)
        if count:
            assert reader.search("canada", limit=3).total >= count
        seen.append(count)
    writer.join()
    assert not errors
    assert seen == sorted(seen), "a reader saw the index shrink"
    assert all(count % 10 == 0 for count in seen), "a reader saw half a batch"
    assert len(reader) == 120


def test_threads_sharing_one_index_are_serialised(fresh_index: Index) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            fresh_index.add((_article(worker * 100 + n) for n in range(25)), batch_size=5)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    expected = {f"t{w * 100 + n}" for w in range(4) for n in range(25)}
    assert {a.id for a in fresh_index.articles()} == expected
    assert Index.check(fresh_index.path).ok


def test_threads_with_their_own_index_objects_wait_for_each_other(fresh_index: Index) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            Index.open(fresh_index.path).add((_article(worker * 100 + n) for n in range(15)),
                                             batch_size=4, wait=60)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(fresh_index) == 45
    assert Index.check(fresh_index.path).ok


def test_writers_are_locked_out_during_a_rebuild(fresh_index: Index) -> None:
    fresh_index.add([_article(n) for n in range(5)])
    started, release = threading.Event(), threading.Event()

    def slow_articles():
        yield _article(1)
        started.set()
        release.wait(30)
        yield _article(2)

    rebuild = threading.Thread(target=lambda: Index.rebuild(fresh_index.path, slow_articles(),
                                                            allow_shrink=True))
    rebuild.start()
    try:
        assert started.wait(30)
        with pytest.raises(IndexLocked, match=r"\(rebuild\)"):
            fresh_index.add([_article(9)])
        assert len(fresh_index) == 5  # searches still see the old index
    finally:
        release.set()
        rebuild.join()
    assert {a.id for a in fresh_index.articles()} == {"t1", "t2"}
