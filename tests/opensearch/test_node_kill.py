"""A node dies in the middle of a bulk `searchlib index` (issue 22): with 3 nodes and 1 replica
the run ends with every article indexed exactly once, searches answer throughout, and the
killed node restarts and rejoins (cluster green again).

The cluster is this module's own (3 nodes on free ports, started, killed and restarted with
`scripts/opensearch`, as a user would), never the suite's shared one. It runs when
$SEARCHLIB_TEST_OPENSEARCH is set (CI) and Java can start OpenSearch; elsewhere it skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearch_cluster import ENV, LocalCluster, cannot_start, cluster_folder, free_port_run

pytest.importorskip("opensearchpy", reason="opensearch-py is not installed ('.[opensearch]')")

ARTICLES = 600
"""Enough for the bulk run to last well past the kill on this 2-core machine."""
KILLED = 1
"""The node killed: node 0 stays up (the test's own client and probe go through it)."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    if not os.environ.get(ENV):
        pytest.skip(f"the node-kill test starts a 3-node cluster: set {ENV} (CI does)")
    if reason := cannot_start():
        pytest.skip(reason)
    http = free_port_run(3, 9400)
    cluster = LocalCluster(folder=cluster_folder(), nodes=3, http_port=http,
                           transport_port=free_port_run(3, http + 100))
    try:
        cluster.start()
        yield cluster
    finally:
        if (cluster.folder / "cluster.json").exists():
            cluster.stop()
        shutil.rmtree(cluster.folder)


@pytest.fixture(scope="module")
def corpus_file(research_articles: list, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ARTICLES` real research articles (every second: uk, ru, en) as JSON Lines."""
    path = tmp_path_factory.mktemp("node-kill") / "articles.jsonl"
    chosen = research_articles[::2][:ARTICLES]
    assert len({a.id for a in chosen}) == ARTICLES
    with open(path, "w", encoding="utf-8") as out:
        for article in chosen:
            out.write(json.dumps(article.to_json(), ensure_ascii=False) + "\n")
    return path


class Prober(threading.Thread):
    """Searches the index every 0.3 s through the library until stopped (an answer with hits
    counts); records failures."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.answers = 0
        self.failures: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        from searchlib.engine import open_index
        from searchlib.errors import IndexNotFound, SearchlibError

        while not self.halt.is_set():
            try:
                results = open_index(self.url).search("Україна OR Россия OR Canada", limit=10)
                if results.total:
                    self.answers += 1
            except IndexNotFound:
                pass  # not made yet: the bulk run has not started
            except SearchlibError as err:
                self.failures.append(f"{time.strftime('%H:%M:%S')} {err}")
            self.halt.wait(0.3)


def indexed_ids(client, alias: str) -> list[str]:  # type: ignore[no-untyped-def]
    from opensearchpy import helpers

    return [hit["_id"] for hit in helpers.scan(client, index=alias, _source=False,
                                               query={"query": {"match_all": {}}})]


def test_node_killed_mid_bulk(cluster: LocalCluster, corpus_file: Path) -> None:
    from opensearchpy import OpenSearch

    alias = "node-kill"
    hosts = ",".join(f"127.0.0.1:{cluster.http_port + i}" for i in range(cluster.nodes))
    url = f"http://{hosts}/{alias}"
    client = OpenSearch(cluster.url, timeout=60)
    prober = Prober(url)
    prober.start()
    env = {**os.environ, "SEARCHLIB_OPENSEARCH_SHARDS": "3", "SEARCHLIB_OPENSEARCH_REPLICAS": "1"}
    bulk = subprocess.Popen([sys.executable, "-m", "searchlib", "index", str(corpus_file),
                             "--index", url, "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        # Kill once a good part is in and much is still to come.
        while (seen := _count(client, alias)) < ARTICLES // 4:
            assert bulk.poll() is None, f"bulk run ended before the kill: {bulk.stderr.read()}"
            time.sleep(0.5)
        killed_pid = cluster.pid(KILLED)
        cluster.stop(KILLED, kill=True)
        assert bulk.poll() is None, "the kill did not land in the middle of the bulk run"
        answers_at_kill = prober.answers
        out, err = bulk.communicate(timeout=1800)
    finally:
        if bulk.poll() is None:
            bulk.kill()
    assert bulk.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["failed"] == 0, report
    assert report["indexed"] + report["updated"] + report["skipped"] == ARTICLES, report
    assert prober.answers > answers_at_kill, "no search answered after the kill"

    cluster.start()  # the killed node only: the others are running
    assert cluster.pid(KILLED) not in (None, killed_pid)
    health = client.cluster.health(wait_for_status="green", wait_for_nodes="3")
    assert health["status"] == "green" and health["number_of_nodes"] == 3, health
    prober.halt.set()
    prober.join()
    assert prober.failures == [], prober.failures
    assert prober.answers > 0

    client.indices.refresh(index=alias)
    expected = {json.loads(line)["id"] for line in corpus_file.read_text("utf-8").splitlines()}
    ids = indexed_ids(client, alias)
    assert len(ids) == len(set(ids)) == client.count(index=alias)["count"]
    assert set(ids) == expected, (len(ids), len(expected), sorted(expected - set(ids))[:5])
    print(f"killed node {KILLED} at {seen} of {ARTICLES} articles; {prober.answers} searches "
          "answered, none failed")


def _count(client, alias: str) -> int:  # type: ignore[no-untyped-def]
    from opensearchpy import exceptions

    try:
        client.indices.refresh(index=alias)
        return client.count(index=alias)["count"]
    except exceptions.NotFoundError:
        return 0
