"""Documents encoded by worker processes (`encoders.EncoderPool`) are sent exactly as those
encoded in the calling process: the bulk request bodies of `add` are the same bytes, on real
corpus articles, with and without workers; a dead worker fails the `add` with a clear error and
the next `add` starts new workers; workers die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from searchlib.api import Index
from searchlib.errors import IndexWriteError
from searchlib.model import Article
from searchlib.store.opensearch.encoders import ENCODE_THRESHOLD, MAX_ENCODERS, choose_encoders
from searchlib.store.parallel import process_running

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _bulk_bodies(index: Any) -> list[str]:
    """Record the body of every ``_bulk`` request `index`'s client sends (then sends it)."""
    transport = index._client.transport
    send = transport.perform_request
    bodies: list[str] = []

    def recording(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.endswith("/_bulk"):
            body = kwargs.get("body")
            bodies.append(body.decode() if isinstance(body, bytes) else body)
        return send(method, url, *args, **kwargs)

    transport.perform_request = recording
    return bodies


def _add(url: str, articles: list[Article], workers: str | None,
         monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Any]:
    if workers is None:
        monkeypatch.delenv("SEARCHLIB_WORKERS", raising=False)
    else:
        monkeypatch.setenv("SEARCHLIB_WORKERS", workers)
    index = Index.create(url, replicas=0)
    bodies = _bulk_bodies(index)
    report = index.add(articles, batch_size=250)
    return [body.replace(index.alias, "ALIAS") for body in bodies], report


@pytest.mark.parametrize("workers", ["2", None])  # two workers; the default (one on 2 CPUs)
def test_bulk_bodies_are_the_same_with_and_without_workers(
        research_articles: list[Article], opensearch_url: str, monkeypatch: pytest.MonkeyPatch,
        workers: str | None) -> None:
    from opensearchpy import OpenSearch

    articles = research_articles[::4][:600]
    assert {a.lang for a in articles} == {"uk", "ru", "en"}
    client = OpenSearch(opensearch_url, timeout=60)
    urls = [f"{opensearch_url}/test-encoders-{os.getpid()}-{n}" for n in range(2)]
    try:
        here, serial = _add(urls[0], articles, "1", monkeypatch)
        there, parallel = _add(urls[1], articles, workers, monkeypatch)
    finally:
        for url in urls:
            client.indices.delete(index=url.rsplit("/", 1)[1] + "*", expand_wildcards="all",
                                  ignore_unavailable=True)
    expected = choose_encoders(250).workers
    assert expected >= (2 if workers else 1)
    assert serial.workers == 1 and "encoded in this process" in serial.indexed_by, serial
    assert parallel.workers == expected and f"encoded by {expected} worker" in (
        parallel.indexed_by), parallel
    assert serial.indexed == parallel.indexed > 550  # (a few are copies under another id)
    assert serial.unchanged == parallel.unchanged
    # Three batches of 250, 250, 100 articles: the same requests, the same bytes.
    assert len(here) == len(there) >= 3
    assert here == there
    assert sum(body.count('{"index":') for body in here) == serial.indexed


def test_a_dead_worker_fails_the_add_and_a_rerun_completes_it(
        research_articles: list[Article], opensearch_index_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHLIB_WORKERS", "2")
    articles = research_articles[1::4][:3 * ENCODE_THRESHOLD]
    index = Index.create(opensearch_index_url, replicas=0)
    killed: list[int] = []

    def kill_at_the_second_batch(done: int) -> None:
        given.append(done)
        if len(given) == 2:  # the workers hold the second batch: kill them
            killed.extend(process.pid for process in index._encoders.processes)
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    given: list[int] = []
    with pytest.raises(IndexWriteError, match=r"encoding worker \d \(pid \d+\) was killed by "
                       r"SIGKILL") as failed:
        index.add(articles, batch_size=ENCODE_THRESHOLD, progress=kill_at_the_second_batch)
    assert opensearch_index_url in str(failed.value)
    assert len(killed) == 2 and index._encoders is None
    assert not any(process_running(pid) for pid in killed)
    again = index.add(articles, batch_size=ENCODE_THRESHOLD)  # new workers: the job completes
    assert again.workers == 2 and not again.failed
    index._client.indices.refresh(index=index.alias)
    assert len(index) == again.indexed + again.unchanged == len(
        {article.id for article in articles})
    assert index._encoders is None and threading.active_count() == 1, threading.enumerate()


def test_workers_are_chosen_for_big_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEARCHLIB_WORKERS", raising=False)
    assert choose_encoders(ENCODE_THRESHOLD - 1, cpus=2).workers == 0
    assert choose_encoders(ENCODE_THRESHOLD, cpus=1).workers == 0
    assert choose_encoders(1000, cpus=2).workers == 1  # measured: one worker on 2 CPUs
    assert choose_encoders(1000, cpus=4).workers == 3
    assert choose_encoders(1000, cpus=16).workers == MAX_ENCODERS
    monkeypatch.setenv("SEARCHLIB_WORKERS", "3")
    assert choose_encoders(10, cpus=1).workers == 3
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    assert choose_encoders(1000, cpus=16).workers == 0


def test_workers_die_with_their_parent() -> None:
    script = ("import time\nfrom searchlib.store.opensearch.encoders import EncoderPool\n"
              "pool = EncoderPool('x', 2)\n"
              "print(*(process.pid for process in pool.processes), flush=True)\n"
              "time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in parent.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(pids) == 2 and all(process_running(pid) for pid in pids)
    finally:
        parent.kill()  # SIGKILL: it cannot stop its workers itself
        parent.wait()
    deadline = time.monotonic() + 10
    while any(process_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(process_running(pid) for pid in pids)
