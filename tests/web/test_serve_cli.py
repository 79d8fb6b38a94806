"""`searchlib serve` as a real process: prints its URL, answers, stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "searchlib", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def _descendants(root: int) -> set[int]:
    """The live processes below `root` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = set(), list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        found.add(pid)
        stack.extend(children.get(pid, ()))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _url(server: subprocess.Popen, index: Path) -> str:
    line = server.stdout.readline()
    assert line.startswith(f"searchlib serving {index} at http://127.0.0.1:"), \
        server.stderr.read()
    return line.split(" at ", 1)[1].split()[0]


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_its_url_and_stops_on_a_signal(sample_index_dir: Path, stop,
                                                    workers: str) -> None:
    server = _start(["--index", str(sample_index_dir), "--port", "0", "--workers", workers])
    try:
        url = _url(server, sample_index_dir)
        with urllib.request.urlopen(url + "api/stats", timeout=30) as answer:
            assert json.load(answer)["articles"] >= 9
        processes = _descendants(server.pid)
        assert len(processes) >= int(workers) - 1  # + a resource tracker with workers
        server.send_signal(stop)
        _, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, stderr
    assert stderr.strip().endswith("stopped") and "Traceback" not in stderr
    # No worker is left behind (multiprocessing's resource tracker ends just after the server).
    deadline = time.monotonic() + 10
    while [pid for pid in processes if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in processes if _alive(pid)]


def test_every_worker_follows_commits(sample_index_dir: Path, tmp_path: Path) -> None:
    """Two worker processes, each with its own open index and answer cache: after an upload
    and after a delete through one of them, every answer from either reflects the change."""
    import shutil

    index = tmp_path / "index"
    shutil.copytree(sample_index_dir, index)
    token = "serve-token-0123456789abcdef"
    server = _start(["--index", str(index), "--port", "0", "--workers", "2", "--allow-write"],
                    env={"SEARCHLIB_TOKEN": token})
    auth = {"Authorization": f"Bearer {token}"}

    def totals() -> set[int]:
        found = set()
        for _ in range(16):  # a new connection each time: both workers answer some
            with urllib.request.urlopen(url + "api/search?q=quokkasaurus", timeout=30) as answer:
                found.add(json.load(answer)["total"])
        return found

    try:
        url = _url(server, index)
        assert totals() == {0}
        record = {"id": "quokka", "lang": "en", "title": "The quokkasaurus", "text": "A story."}
        upload = urllib.request.Request(url + "api/articles", headers=auth,
                                        data=json.dumps(record).encode())
        with urllib.request.urlopen(upload, timeout=60) as answer:
            assert json.load(answer)["indexed"] == 1
        assert totals() == {1}
        removal = urllib.request.Request(url + "api/articles/quokka", headers=auth,
                                         method="DELETE")
        with urllib.request.urlopen(removal, timeout=60) as answer:
            assert json.load(answer)["deleted"] == ["quokka"]
        assert totals() == {0}
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def test_allow_write_without_a_token_refuses_to_start(sample_index_dir: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "SEARCHLIB_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "searchlib", "serve", "--index",
                             str(sample_index_dir), "--port", "0", "--allow-write"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1
    assert "SEARCHLIB_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_a_port_in_use_is_a_clear_error(sample_index_dir: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "searchlib", "serve", "--index",
                                 str(sample_index_dir), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
