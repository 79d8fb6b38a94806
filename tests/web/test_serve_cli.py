"""`searchlib serve` as a real process: prints its URL, answers, stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "searchlib", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_its_url_and_stops_on_a_signal(sample_index_dir: Path, stop) -> None:
    server = _start(["--index", str(sample_index_dir), "--port", "0"])
    try:
        line = server.stdout.readline()
        assert line.startswith(f"searchlib serving {sample_index_dir} at http://127.0.0.1:")
        url = line.split(" at ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "api/stats", timeout=30) as answer:
            assert json.load(answer)["articles"] >= 9
        server.send_signal(stop)
        _, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, stderr
    assert stderr.strip().endswith("stopped") and "Traceback" not in stderr


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
