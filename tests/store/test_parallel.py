"""Parallel indexing (`searchlib.store.parallel`) builds the same index as one process does."""

from __future__ import annotations

import dataclasses
import gc
import mmap
import os
import re
import threading
import time
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.errors import StoreError
from searchlib.ingest import find_inputs, read_articles
from searchlib.model import Article
from searchlib.store import dedup, merging, parallel
from searchlib.store.files import leftover_files
from searchlib.store.store import Store

QUERIES = ("Канада", "бібліотека", "оборона", "Chernihiv library", "Київ", "восстановили")


@pytest.fixture(scope="module")
def articles(samples_dir: Path) -> list[Article]:
    """Sample articles made into 4 distinct variants each (sentences rotated, own ids/URLs)."""
    base = [a for a in read_articles(find_inputs([samples_dir])) if isinstance(a, Article)]
    out: list[Article] = []
    for k in range(4):
        for article in base:
            sentences = article.text.split(". ")
            shift = k % max(len(sentences), 1)
            out.append(dataclasses.replace(
                article, id=f"{article.id}-{k}",
                text=". ".join(sentences[shift:] + sentences[:shift]),
                url=f"{article.url}#v{k}" if article.url else None,
                canonical_url=f"{article.canonical_url}#v{k}" if article.canonical_url else None,
            ))
    return out


@pytest.fixture
def forking() -> None:
    """Workers forked from this process, so that they see the test's patches: `_context` uses
    a fork server while other threads run, such as the queue threads of an earlier test's pool
    (they end once it is collected)."""
    deadline = time.monotonic() + 10
    while threading.active_count() > 1 and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert threading.active_count() == 1, [thread.name for thread in threading.enumerate()]


@pytest.fixture
def slow_merges(monkeypatch, forking) -> None:
    """Every merge by a worker (forked after this patch) takes at least half a second."""
    merge_segments = merging.merge_segments

    def slow_merge(*args, **kwargs):
        time.sleep(0.5)
        return merge_segments(*args, **kwargs)

    monkeypatch.setattr(merging, "merge_segments", slow_merge)


def _build(path: Path, articles: list[Article], workers: int,
           monkeypatch: pytest.MonkeyPatch) -> Index:
    monkeypatch.setenv("SEARCHLIB_WORKERS", str(workers))
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 10)
    index = Index.create(path)
    report = index.add(articles, batch_size=1000)
    assert report.indexed == len(articles)
    return index


def _add_and_close_pool(path: Path, articles: list[Article], batch_size: int) -> Index:
    """A new index at `path` given all `articles` by `Index.add`, its workers stopped after."""
    index = Index.create(path)
    try:
        report = index.add(articles, batch_size=batch_size)
    finally:
        parallel.close_pools(index)
    assert report.indexed == len(articles)
    return index


def _postings(index: Index) -> dict[tuple[str, str], tuple[int, float]]:
    with index.searcher() as searcher:
        reader = searcher.reader()
        return {
            (field, term): (reader.doc_frequency(field, term), reader.frequency(field, term))
            for field in reader.indexed_field_names()
            for term in reader.lexicon(field)
        }


def _live_postings(index: Index) -> dict[tuple[str, str], tuple[int, float]]:
    """`_postings` of the live documents only: a deleted document's postings stay in its
    segment until a merge rewrites it, and merges run at other times in the two builds."""
    with index.searcher() as searcher:
        reader = searcher.reader()
        live: dict[tuple[str, str], tuple[int, float]] = {}
        for field in reader.indexed_field_names():
            for term in reader.lexicon(field):
                matcher = reader.postings(field, term)
                count, weight = 0, 0.0
                while matcher.is_active():
                    count, weight = count + 1, weight + matcher.weight()
                    matcher.next()
                if count:
                    live[field, term] = (count, weight)
        return live


def _ranking(index: Index, query: str) -> list[tuple[float, str, str]]:
    # Every hit, ordered by score then id: ties may come in another order, as document numbers
    # differ between the serial and the parallel segments.
    results = index.search(query, limit=200)
    return sorted((-round(hit.score, 6), hit.id, hit.snippet.text) for hit in results.hits)


def test_parallel_build_equals_serial_build(tmp_path, articles, monkeypatch):
    serial = _build(tmp_path / "serial", articles, 1, monkeypatch)
    fast = _build(tmp_path / "parallel", articles, 2, monkeypatch)
    try:
        # Two workers wrote one segment each: the workers really did the writing.
        assert fast.stats().segments >= 2
        assert leftover_files(tmp_path / "parallel", "MAIN") == []  # workers' temp folders
        assert len(fast) == len(serial) == len(articles)
        assert _postings(fast) == _postings(serial)
        for query in QUERIES:
            assert _ranking(fast, query) == _ranking(serial, query), query
        assert any(_ranking(fast, query) for query in QUERIES)
        for article in articles[::7]:
            assert fast.get(article.id) == serial.get(article.id)
    finally:
        parallel.close_pools(fast)


def test_parallel_index_takes_updates_deletes_and_optimize(tmp_path, articles, monkeypatch):
    index = _build(tmp_path / "index", articles, 2, monkeypatch)
    try:
        # More changed articles than the threshold: the updates go through the workers too.
        changed = [dataclasses.replace(a, text=a.text + " Занзібарслово.") for a in articles[:12]]
        report = index.add([*changed, *articles[12:]])
        assert (report.updated, report.unchanged) == (12, len(articles) - 12)
        assert len(index) == len(articles)
        assert all(index.get(a.id).text.endswith("Занзібарслово.") for a in changed)
        # Only the changed articles hold the new word; the Ukrainian ones are all found by it.
        found = {hit.id for hit in index.search("Занзібарслово", limit=50).hits}
        assert found <= {a.id for a in changed}
        assert found >= {a.id for a in changed if a.lang == "uk"} != set()
        assert index.delete([articles[1].id]) == 1
        assert index.get(articles[1].id) is None
        index.optimize()
        assert index.stats().segments == 1
        assert len(index) == len(articles) - 1
    finally:
        parallel.close_pools(index)


def test_merges_done_by_workers_keep_every_document_and_deletion(tmp_path, articles,
                                                                 monkeypatch):
    """Small batches make many segments: Whoosh's merge policy merges them in a worker."""
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 10)
    built = {}
    for workers in (1, 2):
        monkeypatch.setenv("SEARCHLIB_WORKERS", str(workers))
        index = Index.create(tmp_path / f"index-{workers}")
        try:
            index.add(articles[:40], batch_size=10)
            index.delete([articles[3].id, articles[25].id])
            changed = [dataclasses.replace(a, text=a.text + " Занзібарслово.")
                       for a in articles[10:14]]
            index.add([*changed, *articles[40:]], batch_size=10)
            built[workers] = index
            assert index.get(articles[3].id) is None
            assert len(index) == len(articles) - 2
        finally:
            parallel.close_pools(index)
    serial, fast = built[1], built[2]
    # Without merging, each batch would have left one segment per worker.
    commits = -(-40 // 10) + -(-(len(articles) - 36) // 10)
    assert fast.stats().segments < commits
    assert _live_postings(fast) == _live_postings(serial)
    for query in (*QUERIES, "Занзібарслово"):
        assert _ranking(fast, query) == _ranking(serial, query), query


def test_a_pool_collected_while_another_starts_does_not_deadlock(tmp_path, articles,
                                                                   monkeypatch):
    # Seen once as a test run hung for good: the garbage collector ran inside `_pool_for` (which
    # holds `_POOLS_LOCK` while it starts processes) and collected an index in a reference
    # cycle, whose pool finalizer then waited for the same lock in the same thread.
    index = _build(tmp_path / "index", articles, 2, monkeypatch)
    assert [key for key in parallel._POOLS if key[0] == id(index)]
    index.cycle = index
    del index
    finished = threading.Event()

    def collect_holding_the_lock() -> None:
        with parallel._POOLS_LOCK:
            gc.collect()
        finished.set()

    threading.Thread(target=collect_holding_the_lock, daemon=True).start()
    assert finished.wait(30), "the pool finalizer deadlocked on _POOLS_LOCK"


def test_small_batches_never_start_workers(tmp_path, articles, monkeypatch):
    monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
    index = Index.create(tmp_path / "index")
    index.add(articles[:5])
    assert not [key for key in parallel._POOLS if key[0] == id(index)]
    assert len(index) == 5


def test_default_workers_follows_the_environment(monkeypatch):
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    assert parallel.default_workers() == 1
    monkeypatch.setenv("SEARCHLIB_WORKERS", "3")
    assert parallel.default_workers() == 3
    monkeypatch.delenv("SEARCHLIB_WORKERS")
    cpus = len(os.sched_getaffinity(0))
    assert parallel.default_workers() == max(1, min(cpus, parallel.MAX_DEFAULT_WORKERS))


def test_workers_only_when_the_write_is_big_and_three_cores_are_idle(monkeypatch):
    monkeypatch.delenv("SEARCHLIB_WORKERS", raising=False)
    big = parallel.PARALLEL_THRESHOLD
    busy = parallel.choose_workers(big, cpus=2, load=12.2)
    assert (busy.workers, busy.describe()) == (1, "one process (cores busy: load 12.2 on 2 CPUs)")
    assert parallel.choose_workers(big, cpus=2, load=1.0).workers == 1  # one core left: ours
    idle_two = parallel.choose_workers(big, cpus=2, load=0.3)  # 2 workers do not pay on 2
    assert (idle_two.workers, idle_two.reason) == (1, "2 CPUs: workers pay from 3 idle cores")
    assert parallel.choose_workers(big, cpus=4, load=0.2).workers == 4
    assert parallel.choose_workers(big, cpus=4, load=1.6).workers == 1  # 2.4 idle cores
    assert parallel.choose_workers(big, cpus=8, load=5.2).workers == 3  # 2.8 idle cores
    assert parallel.choose_workers(big, cpus=16, load=0.0).workers == parallel.MAX_DEFAULT_WORKERS
    assert parallel.choose_workers(big - 1, cpus=2, load=0.0).workers == 1
    assert parallel.choose_workers(big, cpus=1, load=0.0).reason == "one usable CPU"
    monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
    assert parallel.choose_workers(1, cpus=1, load=50.0) == parallel.WorkerChoice(
        2, "SEARCHLIB_WORKERS=2")


def test_the_report_says_how_the_articles_were_indexed(tmp_path, articles, monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    serial = Index.create(tmp_path / "serial").add(articles)
    assert (serial.workers, serial.indexed_by) == (1, "one process (SEARCHLIB_WORKERS=1)")
    assert serial.to_json()["indexed_by"] == serial.indexed_by
    monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
    index = Index.create(tmp_path / "workers")
    try:
        report = index.add(articles)
        assert (report.workers, report.indexed_by) == (
            2, "2 worker processes (SEARCHLIB_WORKERS=2)")
        assert index.add(articles[:3]).indexed_by == ""  # unchanged: nothing written
    finally:
        parallel.close_pools(index)
    monkeypatch.delenv("SEARCHLIB_WORKERS")
    small = Index.create(tmp_path / "small").add(articles[:5])
    if len(os.sched_getaffinity(0)) > 1:
        assert small.indexed_by == "one process (fewer than 10 articles in a batch)"


def test_a_failing_worker_raises_store_error_and_writes_nothing(tmp_path, articles, monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
    index = Index.create(tmp_path / "index")
    writer = parallel.ParallelWriter(index._ix.writer(), owner=index, workers=2)
    try:
        for number in range(15):
            writer.add_document(id=f"bad-{number}", no_such_field="x")
        with pytest.raises(StoreError, match="SEARCHLIB_WORKERS=1"):
            writer.commit()
        assert len(Index.open(tmp_path / "index")) == 0
        # The lock was released and the workers still serve the next batch.
        monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
        assert index.add(articles).indexed == len(articles)
    finally:
        parallel.close_pools(index)


def test_background_merges_keep_the_deletions_made_while_they_run(tmp_path, articles,
                                                                  monkeypatch):
    """In one `add`, a commit's merge runs on in a worker while the next batches are written;
    updates in those batches delete documents of the segments it merges."""
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 2)
    changed = [dataclasses.replace(a, text=a.text + " Занзібарслово.") for a in articles[:30:2]]
    stream = [*articles[:30], *changed, *articles[30:]]
    carried: list[int] = []
    installed = parallel._installed

    def installed_and_counted(merge, segments):
        result = installed(merge, segments)
        if merge.result is not None:
            carried.append(merge.result.deleted_count())
        return result

    monkeypatch.setattr(parallel, "_installed", installed_and_counted)
    built = {}
    for workers in (1, 2):
        monkeypatch.setenv("SEARCHLIB_WORKERS", str(workers))
        built[workers] = index = Index.create(tmp_path / f"index-{workers}")
        try:
            report = index.add(stream, batch_size=4)
        finally:
            parallel.close_pools(index)
        assert (report.indexed, report.updated) == (len(articles), len(changed))
    serial, fast = built[1], built[2]
    assert any(carried), "no merge ran while its segments had documents deleted"
    assert len(fast) == len(serial) == len(articles)
    assert all(fast.get(a.id).text.endswith("Занзібарслово.") for a in changed)
    assert _live_postings(fast) == _live_postings(serial)
    # Scores may differ in the last digits: deleted documents count in a segment's length
    # statistics until a merge drops them, and the two builds merged at other times.
    for query in (*QUERIES, "Занзібарслово"):
        assert _matches(fast, query) == _matches(serial, query), query
    assert len(_matches(fast, "Занзібарслово")) == len(changed)


def test_a_slow_merge_does_not_hold_up_indexing(tmp_path, articles, monkeypatch,
                                                 slow_merges):
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
    spanned: list[str] = []
    settle = parallel.ParallelWriter._settle

    def settle_and_note(self, segments, *, wait):
        settled, running = settle(self, segments, wait=wait)
        if running is not None:
            spanned.append(running)  # a commit went ahead while this merge ran
        return settled, running

    monkeypatch.setattr(parallel.ParallelWriter, "_settle", settle_and_note)
    index = _add_and_close_pool(tmp_path / "index", articles, batch_size=4)
    assert spanned, "every commit waited for the merge before it"
    assert leftover_files(tmp_path / "index", "MAIN") == []  # workers' temporary folders
    assert len(index) == len(articles)
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    serial = Index.create(tmp_path / "serial")
    serial.add(articles, batch_size=4)
    assert _postings(index) == _postings(serial)


def test_the_last_commit_adds_the_merge_still_running(tmp_path, articles, monkeypatch,
                                                      slow_merges):
    # Every batch is full, so the last commit has no documents of its own; the merge the
    # commit before it started must still end up in the index, and no file of it be left over.
    articles = articles[:len(articles) // 4 * 4]
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
    started: list[str] = []
    start_merge = parallel._WorkerPool.start_merge

    def start_and_note(self, sources):
        started.append(start_merge(self, sources))
        return started[-1]

    monkeypatch.setattr(parallel._WorkerPool, "start_merge", start_and_note)
    index = _add_and_close_pool(tmp_path / "index", articles, batch_size=4)
    assert started, "no merge ran"
    live = _segment_ids(tmp_path / "index")
    assert started[-1] in live  # nothing merges after the last merge: its segment is kept
    assert _segment_ids_on_disk(tmp_path / "index") == live
    assert len(index) == len(articles)


def _segment_ids(folder: Path) -> set[str]:
    """The segments the index's table of contents lists."""
    from whoosh.index import open_dir

    return {segment.segment_id() for segment in open_dir(str(folder), indexname="MAIN")._segments()}


def _segment_ids_on_disk(folder: Path) -> set[str]:
    return {match.group(1) for name in os.listdir(folder)
            if (match := re.match(r"(MAIN_[0-9a-z]+)\.", name))}


def test_a_full_posting_pool_ends_the_worker_segment_early(tmp_path, articles, monkeypatch,
                                                           forking):
    # Workers fork after this patch: every chunk of documents fills a worker's posting pool.
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(parallel, "_SEGMENT_POOL_MB", 0.001)
    monkeypatch.setattr(parallel, "CHUNK_DOCS", 4)
    monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
    flushed: list[int] = []
    collect = parallel._WorkerPool.collect

    def collect_and_count(self, kind):
        replies = collect(self, kind)
        if kind == "flush":
            flushed.extend(len(segments) for segments in replies)
        return replies

    monkeypatch.setattr(parallel._WorkerPool, "collect", collect_and_count)
    index = _add_and_close_pool(tmp_path / "index", articles, batch_size=len(articles) // 2)
    assert max(flushed) > 1, "no worker finished a segment before its flush"
    assert len(index) == len(articles)
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    serial = Index.create(tmp_path / "serial")
    serial.add(articles, batch_size=len(articles) // 2)
    assert _postings(index) == _postings(serial)
    for query in QUERIES:
        assert _matches(index, query) == _matches(serial, query)


def _matches(index: Index, query: str) -> list[tuple[str, str]]:
    hits = index.search(query, limit=200, collapse=False).hits
    return sorted((hit.id, hit.snippet.text) for hit in hits)


def _segment_pages_kb(folder: Path) -> int:
    """Resident KB of this process's maps of segment files in `folder`."""
    total, inside = 0, False
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and ":" not in fields[0]:  # a mapping's header line
                inside = len(fields) >= 6 and fields[-1].startswith(str(folder))
            elif inside and fields[0] == "Rss:":
                total += int(fields[1])
    return total


@pytest.mark.skipif(not hasattr(mmap, "MADV_DONTNEED"), reason="no madvise(MADV_DONTNEED) here")
def test_an_indexing_commit_leaves_no_segment_pages_resident(tmp_path, articles,
                                                             monkeypatch) -> None:
    if not Path("/proc/self/smaps").exists():
        pytest.skip("no /proc/self/smaps (not Linux)")
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    index = Index.create(tmp_path / "index")
    index.add(articles[:12])  # segments for the duplicate finder to read in the next add
    resident: list[int] = []
    try:
        index.add(articles, batch_size=4,
                  on_commit=lambda _: resident.append(_segment_pages_kb(tmp_path / "index")))
    finally:
        parallel.close_pools(index)
    assert len(resident) > 3
    assert resident == [0] * len(resident)


def test_duplicate_lookups_release_the_pages_they_read(tmp_path, articles, monkeypatch) -> None:
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    monkeypatch.setattr(dedup, "_RELEASE_EVERY", 5)
    releases: list[int] = []
    release = Store.release_mapped_pages
    monkeypatch.setattr(Store, "release_mapped_pages",
                        lambda self: releases.append(1) or release(self))
    index = Index.create(tmp_path / "index")
    index.add(articles[:12])
    releases.clear()
    commits: list[int] = []
    index.add(articles, batch_size=1000, on_commit=commits.append)
    assert len(commits) == 1
    assert len(releases) == (len(articles) - 12) // 5 + 1  # every 5 lookups, and the commit
