"""scripts/opensearch: the test cluster it started holds a replicated index; its errors are one
line and exit 1. (Starting, killing and restarting nodes: tests/opensearch/test_node_kill.py.)"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from opensearch_cluster import SCRIPT


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=60)


def test_the_test_cluster_holds_a_replicated_index(opensearch_url: str) -> None:
    """3 shards and 1 replica (the issue's test layout): every document counted once, and on a
    cluster of 2+ nodes each replica lives on another node than its primary."""
    from opensearchpy import OpenSearch, helpers

    client = OpenSearch(opensearch_url, timeout=60)
    name = f"test-cluster-{uuid.uuid4().hex[:8]}"
    client.indices.create(index=name, body={"settings": {"number_of_shards": 3,
                                                         "number_of_replicas": 1}})
    try:
        docs = ({"_index": name, "_id": str(n), "n": n} for n in range(500))
        indexed, errors = helpers.bulk(client, docs, refresh=True)
        assert (indexed, errors) == (500, [])
        assert client.count(index=name)["count"] == 500
        nodes = client.cluster.health()["number_of_nodes"]
        colour = "green" if nodes >= 2 else "yellow"
        # (opensearch-py takes `timeout=` as its own request timeout: the server waits 30 s.)
        health = client.cluster.health(index=name, wait_for_status=colour)
        assert not health["timed_out"], health
        shards = client.cat.shards(index=name, format="json")
        started = [s for s in shards if s["state"] == "STARTED"]
        assert sum(s["prirep"] == "p" for s in started) == 3
        if nodes >= 2:
            assert len(started) == 6
            for shard in range(3):
                holders = {s["node"] for s in started if s["shard"] == str(shard)}
                assert len(holders) == 2, shards
    finally:
        client.indices.delete(index=name)


def test_stop_without_a_cluster_is_one_line(tmp_path: Path) -> None:
    done = run_script("stop", "--dir", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr == (f"scripts/opensearch: error: no cluster in {tmp_path} "
                           "(cluster.json missing)\n")


def test_start_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    """Checked before anything is unpacked or started, so it needs no Java."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_script("start", "--dir", str(tmp_path / "c"), "--http-port", str(port))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert not (tmp_path / "c" / "node0").exists()


def test_a_folder_keeps_its_cluster_shape(tmp_path: Path) -> None:
    """A second start on the same folder with another shape is refused, naming both."""
    shape = {"name": "searchlib", "nodes": 3, "http_port": 9471, "transport_port": 9571,
             "heap": "512m"}
    (tmp_path / "cluster.json").write_text(json.dumps(shape))
    done = run_script("start", "--dir", str(tmp_path), "--nodes", "1")
    assert done.returncode == 1
    assert "holds a cluster with nodes=3" in done.stderr and "nodes=1" in done.stderr


@pytest.mark.parametrize("command", ["start", "stop", "status", "fetch"])
def test_every_command_has_help(command: str) -> None:
    done = run_script(command, "--help")
    assert done.returncode == 0 and "usage: scripts/opensearch" in done.stdout
