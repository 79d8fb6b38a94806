"""Faults of the OpenSearch engine through the real CLI: a cluster that is down, a wrong URL, a
server that never answers, a red index and an index made by another searchlib version each give
one line naming the URL on stderr and exit 1 (no traceback).

The first three need no OpenSearch (a closed port, a plain HTTP server, a socket that accepts
and stays silent); the last two use the test cluster (`opensearch_url`).
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from opensearch_cluster import free_port

pytest.importorskip("opensearchpy", reason="opensearch-py is not installed ('.[opensearch]')")

from searchlib.cli import main  # noqa: E402

# Every command that reaches the index, with its arguments (ID and query are arbitrary).
COMMANDS = [
    ["search", "Канада"], ["count", "Канада"], ["export", "Канада", "--json"],
    ["timeline", "Канада"], ["show", "0123456789abcdef"], ["stats"], ["check"],
    ["delete", "0123456789abcdef"], ["optimize"], ["rebuild"],
]
READING = [["search", "Канада"], ["count", "Канада"], ["export", "Канада", "--json"],
           ["timeline", "Канада"], ["stats"], ["show", "0123456789abcdef"]]
"""Commands that read an existing index."""


def run(args: list[str], **env: str) -> Result:
    return CliRunner().invoke(main, args, env=env)


def assert_one_line(result: Result, url: str, *words: str) -> None:
    """Exit 1, nothing on stdout, and one stderr line that names `url` and holds `words`."""
    assert result.exit_code == 1, (result.exit_code, result.stderr, result.exception)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert url in lines[0] and "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


# ------------------------------------------------------------------------ no cluster needed


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_cluster_down(command: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/news"
    assert_one_line(run([*command, "--index", url]), url, "cannot connect")


def test_cluster_down_while_indexing(samples_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/news"
    assert_one_line(run(["index", str(samples_dir), "--index", url]), url, "cannot connect")


def test_unknown_host() -> None:
    url = "http://searchlib-no-such-host.invalid:9200/news"
    assert_one_line(run(["search", "Канада", "--index", url]), url, "cannot connect")


class NotFound(http.server.BaseHTTPRequestHandler):
    """Any request: a multi-line HTML 404 page, as a web server that is not OpenSearch gives."""

    def do_request(self) -> None:
        self.send_error(404, "Not Found", "a web server, not OpenSearch")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_request

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base's name
        pass


@pytest.fixture
def not_opensearch() -> Iterator[str]:
    """A plain HTTP server (not OpenSearch) that answers 404 with an HTML page."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("command", [["search", "Канада"], ["stats"], ["show", "abc"]],
                         ids=lambda c: c[0])
def test_wrong_url_not_opensearch(not_opensearch: str, command: list[str]) -> None:
    url = f"{not_opensearch}/news"
    assert_one_line(run([*command, "--index", url]), url)


def test_url_without_index_name_is_a_usage_error() -> None:
    """A URL naming no index is an option the call cannot take: exit 2, one line."""
    url = f"http://127.0.0.1:{free_port()}"
    result = run(["search", "Канада", "--index", url])
    assert result.exit_code == 2, result.stderr
    assert url in result.stderr and "no index name" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket that accepts connections and never answers (a hung node)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


@pytest.mark.parametrize("command", [["search", "Канада"], ["stats"]], ids=lambda c: c[0])
def test_timeout(silent_server: str, command: list[str]) -> None:
    url = f"{silent_server}/news"
    started = time.monotonic()
    result = run([*command, "--index", url], SEARCHLIB_OPENSEARCH_TIMEOUT="1")
    assert_one_line(result, url, "no answer within 1 s", "SEARCHLIB_OPENSEARCH_TIMEOUT")
    assert time.monotonic() - started < 30  # bounded by the timeout, not hung


def test_fault_through_the_installed_command(silent_server: str) -> None:
    """The same through `python -m searchlib` in a process of its own (no CliRunner)."""
    url = f"{silent_server}/news"
    done = subprocess.run([sys.executable, "-m", "searchlib", "count", "x", "--index", url],
                          capture_output=True, text=True, timeout=120,
                          env={**_environ(), "SEARCHLIB_OPENSEARCH_TIMEOUT": "1"})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and url in done.stderr, done.stderr


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


# ------------------------------------------------------------------------ on the test cluster


def test_red_index(opensearch_url: str, opensearch_index_url: str, samples_dir: Path) -> None:
    """An index whose shards can be placed on no node (allocation filter on a node name that
    does not exist) is red: every command that reads it says so."""
    from opensearchpy import OpenSearch

    from searchlib.store.opensearch.mapping import index_body, new_meta

    alias = opensearch_index_url.rsplit("/", 1)[1]
    body = index_body(new_meta(), shards=1, replicas=0)
    body["settings"]["index"]["routing.allocation.require._name"] = "no-such-node"
    body["aliases"] = {alias: {}}
    client = OpenSearch(opensearch_url, timeout=60)
    client.indices.create(index=f"{alias}-red", body=body, params={"wait_for_active_shards": 0})
    assert client.cluster.health(index=f"{alias}-red")["status"] == "red"
    for command in READING + [["index", str(samples_dir)]]:
        assert_one_line(run([*command, "--index", opensearch_index_url]), opensearch_index_url,
                        "red")
    check = run(["check", "--index", opensearch_index_url])
    assert check.exit_code == 1 and "red" in check.stdout + check.stderr


def test_index_of_another_version(opensearch_url: str, opensearch_index_url: str,
                                  samples_dir: Path) -> None:
    """An index whose `_meta` names another schema version is refused with both versions."""
    from opensearchpy import OpenSearch

    from searchlib.store.opensearch.mapping import new_meta, versions_of

    url = opensearch_index_url
    made = run(["index", str(samples_dir), "--index", url])
    assert made.exit_code == 0, made.stderr
    assert run(["count", "Канада", "--index", url]).exit_code == 0
    client = OpenSearch(opensearch_url, timeout=60)
    alias = url.rsplit("/", 1)[1]
    concrete = next(iter(client.indices.get_alias(name=alias)))
    old = new_meta(schema="searchlib-schema@0")
    client.indices.put_mapping(index=concrete, body={"_meta": {"searchlib": old}})
    for command in READING + [["index", str(samples_dir)]]:
        result = run([*command, "--index", url])
        assert_one_line(result, url, versions_of(old))
