"""Local OpenSearch clusters for tests, started and stopped with `scripts/opensearch`.

The suite's shared cluster comes from $SEARCHLIB_TEST_OPENSEARCH (a base URL such as
http://127.0.0.1:9280, set by `.ci/run`; or `start` for a throw-away single node). Tests that
kill nodes start a cluster of their own (`LocalCluster`) on other ports.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "opensearch"
ENV = "SEARCHLIB_TEST_OPENSEARCH"
JAVA_HOMES = ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-arm64")
ZIP = Path.home() / ".cache/searchlib/opensearch/opensearch-2.19.6.zip"


def cannot_start() -> str | None:
    """Why this machine cannot start a node (missing Java, or Maven with no cached zip)."""
    homes = [os.environ.get("OPENSEARCH_JAVA_HOME"), *JAVA_HOMES, os.environ.get("JAVA_HOME")]
    if not any(home and Path(home, "bin/java").is_file() for home in homes):
        return "Java 17 not found (set OPENSEARCH_JAVA_HOME) to start an OpenSearch node"
    if not ZIP.is_file() and shutil.which("mvn") is None:
        return f"Maven (mvn) not found and no {ZIP.name} in {ZIP.parent} to start OpenSearch"
    return None


def cluster_folder() -> Path:
    """A new folder for a cluster that the `opensearch` user can reach when we are root
    (pytest's tmp_path lives in a private folder); the caller removes it."""
    return Path(tempfile.mkdtemp(prefix="searchlib-test-opensearch-"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_run(count: int, start: int = 9400, stop: int = 9900) -> int:
    """The first of `count` consecutive free loopback ports at or above `start`."""
    for base in range(start, stop, count):
        if all(_free(port) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports in {start}-{stop}")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def answers(url: str) -> bool:
    """Whether an OpenSearch node answers at the base `url`."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass(slots=True, kw_only=True)
class LocalCluster:
    """A loopback cluster in `folder`, driven through the script (as CI and users do)."""

    folder: Path
    nodes: int
    http_port: int
    transport_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def node_url(self, node: int) -> str:
        return f"http://127.0.0.1:{self.http_port + node}"

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(SCRIPT), *args, "--dir", str(self.folder)],
                              capture_output=True, text=True, timeout=timeout)

    def start(self, wait: str = "green") -> None:
        """Start every node that is down and wait for the colour; raises with the script's
        error line when that fails."""
        done = self.run("start", "--nodes", str(self.nodes), "--http-port", str(self.http_port),
                        "--transport-port", str(self.transport_port), "--wait", wait)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/opensearch start failed: {done.stderr.strip()}")

    def stop(self, node: int | None = None, *, kill: bool = False) -> None:
        args = ["stop", *(["--node", str(node)] if node is not None else []),
                *(["--kill"] if kill else [])]
        done = self.run(*args)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/opensearch stop failed: {done.stderr.strip()}")

    def pid(self, node: int) -> int | None:
        try:
            return int((self.folder / f"node{node}" / "pid").read_text())
        except (FileNotFoundError, ValueError):
            return None
