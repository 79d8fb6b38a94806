"""Faults while writing end in one clear line and exit 1, never a hang or a traceback: a full
disk, a folder without write permission, a read-only file system, a worker process killed on
its own; and no worker outlives a parent killed by SIGKILL.

Real subprocesses of `searchlib`, real signals and a real small file system (a tmpfs mounted by
the test; skipped where mounting is not allowed) plus one whose writes the kernel refuses past a
file size limit (`RLIMIT_FSIZE`), which needs no privileges.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchlib.api import Index

SEARCHLIB = [sys.executable, "-m", "searchlib"]
WRITE_FAILED = re.compile(
    r"^Error: (?P<reason>.+?) writing (?P<path>/\S+): (?P<committed>\d+) articles committed, "
    r"the batch in progress was discarded; (?P<advice>.+)$")
HAS_PROC_CHILDREN = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()


def _jsonl(path: Path, articles: list) -> list[str]:
    """Write `articles` as JSON Lines; returns their ids (unique, no canonical URL: each
    record is one article of the index)."""
    with path.open("w", encoding="utf-8") as stream:
        for article in articles:
            stream.write(json.dumps(article.to_json(), ensure_ascii=False) + "\n")
    ids = [article.id for article in articles]
    assert len(set(ids)) == len(ids) and not any(a.canonical_url for a in articles)
    return ids


@pytest.fixture(scope="module")
def short_articles(research_articles: list) -> list:
    """The research collection's English and SlavicNER articles (short: a few KB each)."""
    chosen = [a for a in research_articles if a.id.startswith(("bbc-", "slavicner-"))]
    return [a for a in chosen if not a.canonical_url]


def _run(command: list[str], *, env: dict[str, str] | None = None, timeout: float = 300,
         **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, **kwargs)


def _one_line(run: subprocess.CompletedProcess[str]) -> str:
    """The only line on stderr (what the user sees), after checking it is no traceback."""
    assert "Traceback" not in run.stderr and "Aborted" not in run.stderr, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]


def _ids(folder: Path) -> list[str]:
    report = Index.check(folder)
    assert report.ok, report.problems
    ids = [article.id for article in Index.open(folder).articles()]
    assert len(ids) == len(set(ids)) == report.articles
    return ids


def _processes_of(marker: str) -> list[int]:
    """Running (not zombie) processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in command and state != "Z":
            found.append(int(entry.name))
    return found


def _none_left(marker: str, *, within: float) -> None:
    deadline = time.monotonic() + within
    while (left := _processes_of(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:  # not to leave them to the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes of the run still alive after {within} s: {left}"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MB file system (tmpfs), unmounted after the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the RLIMIT_FSIZE test covers the rest)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _resize(mount: Path, size: str, *, readonly: bool = False) -> None:
    options = f"remount,size={size}" + (",ro" if readonly else ",rw")
    subprocess.run(["mount", "-o", options, str(mount)], check=True)


@pytest.mark.parametrize("workers,batch", [(1, 50), (2, 200)])
def test_a_full_disk_ends_in_one_line_and_a_rerun_completes(small_disk: Path, tmp_path: Path,
                                                            short_articles: list, workers: int,
                                                            batch: int) -> None:
    source = tmp_path / "articles.jsonl"
    ids = _jsonl(source, short_articles[:800])  # ~36 MB of index
    index_dir = small_disk / "index"
    command = [*SEARCHLIB, "index", str(source), "--index", str(index_dir), "--batch-size",
               str(batch)]
    env = {"SEARCHLIB_WORKERS": str(workers)}
    run = _run(command, env=env, timeout=240)  # before: hung for good with workers
    assert run.returncode == 1, run.stdout
    match = WRITE_FAILED.match(_one_line(run))
    assert match, run.stderr
    assert match["reason"] == "disk full" and match["path"] == str(index_dir)
    assert match["advice"] == "free space and re-run"
    _none_left(str(index_dir), within=5)
    # What was announced is there, and only whole batches, in input order.
    committed = int(match["committed"])
    assert committed % batch == 0
    assert sorted(_ids(index_dir)) == sorted(ids[:committed])
    # The failed batch's files were removed: the space is free again.
    assert not [p for p in index_dir.iterdir() if p.suffix not in (".seg", ".toc", ".json",
                                                                      ".lock", "")]

    _resize(small_disk, "256m")
    rerun = _run(command + ["--json"], env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["indexed"] == len(ids) - committed
    assert sorted(_ids(index_dir)) == sorted(ids)

    # A rebuild that runs out of space leaves the index as it was.
    free = shutil.disk_usage(small_disk).free
    (small_disk / "ballast").write_bytes(bytes(free - 6 * 2**20))
    rebuild = _run([*SEARCHLIB, "rebuild", "--index", str(index_dir)], env=env, timeout=600)
    assert rebuild.returncode == 1
    assert _one_line(rebuild) == (
        f"Error: disk full writing {index_dir}: the rebuild was abandoned and the index is "
        "unchanged; free space and re-run")
    assert sorted(_ids(index_dir)) == sorted(ids)


def test_a_file_size_limit_ends_in_one_line_and_a_rerun_completes(tmp_path: Path,
                                                                  short_articles: list) -> None:
    """The kernel refuses writes past RLIMIT_FSIZE (EFBIG) to this process alone: a failing
    disk without privileges, in one process and with workers (they inherit the limit)."""
    source = tmp_path / "articles.jsonl"
    ids = _jsonl(source, short_articles[:450])
    index_dir = tmp_path / "index"
    command = [*SEARCHLIB, "index", str(source), "--index", str(index_dir), "--batch-size", "200"]

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (3 * 2**20, 3 * 2**20))

    run = _run(command, env={"SEARCHLIB_WORKERS": "2"}, preexec_fn=limited, timeout=240)
    assert run.returncode == 1, run.stdout
    match = WRITE_FAILED.match(_one_line(run))
    assert match and match["reason"] == "file size limit reached", run.stderr
    assert sorted(_ids(index_dir)) == sorted(ids[:int(match["committed"])])
    _none_left(str(index_dir), within=5)
    rerun = _run(command, env={"SEARCHLIB_WORKERS": "2"}, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(_ids(index_dir)) == sorted(ids)


def test_a_read_only_file_system_ends_in_one_line(small_disk: Path, tmp_path: Path,
                                                  short_articles: list) -> None:
    source = tmp_path / "articles.jsonl"
    ids = _jsonl(source, short_articles[:40])
    index_dir = small_disk / "index"
    Index.create(index_dir).add(short_articles[:20])
    _resize(small_disk, "8m", readonly=True)
    try:
        for command in (["index", str(source)], ["rebuild"], ["delete", ids[0]]):
            run = _run([*SEARCHLIB, *command, "--index", str(index_dir)])
            assert run.returncode == 1, (command, run.stdout)
            assert _one_line(run) == (
                f"Error: read-only file system writing {index_dir}: nothing was written; "
                "remount it read-write (or use another folder) and re-run"), command
        search = _run([*SEARCHLIB, "search", "the", "--index", str(index_dir), "--json"])
        assert search.returncode == 0, search.stderr  # reading still works
        assert sorted(_ids(index_dir)) == sorted(ids[:20])
    finally:
        _resize(small_disk, "8m")


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _without_root_overrides() -> None:
    """In the child: drop root's right to ignore file permissions (a no-op for other users,
    who have none), so a folder without write permission refuses its writes."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_a_folder_without_write_permission_ends_in_one_line(tmp_path: Path,
                                                             short_articles: list) -> None:
    source = tmp_path / "articles.jsonl"
    ids = _jsonl(source, short_articles[:30])
    index_dir = tmp_path / "index"
    Index.create(index_dir).add(short_articles[:10])
    index_dir.chmod(0o555)
    try:
        for command in (["index", str(source)], ["rebuild"]):
            run = _run([*SEARCHLIB, *command, "--index", str(index_dir)],
                       preexec_fn=_without_root_overrides)
            assert run.returncode == 1, run.stdout
            assert _one_line(run) == (
                f"Error: permission denied writing {index_dir}: nothing was written; make the "
                "folder writable for this user and re-run"), command
    finally:
        index_dir.chmod(0o755)
    assert sorted(_ids(index_dir)) == sorted(ids[:10])


def _children(pid: int, *, timeout: float) -> list[int]:
    """The child processes of `pid` (its indexing workers), once it has started them."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while not (children := [int(c) for c in path.read_text().split()]):
        assert time.monotonic() < deadline, "the indexer never started its workers"
        time.sleep(0.05)
    return children


@pytest.mark.skipif(not HAS_PROC_CHILDREN, reason="needs /proc to find the worker processes")
@pytest.mark.parametrize("command", ["index", "rebuild"])
def test_no_worker_outlives_its_parent_killed_by_sigkill(tmp_path: Path, short_articles: list,
                                                         command: str) -> None:
    source = tmp_path / "articles.jsonl"
    _jsonl(source, short_articles[:600])
    index_dir = tmp_path / "index"
    proc = subprocess.Popen(
        [*SEARCHLIB, command, str(source), "--index", str(index_dir), "--batch-size", "300"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "SEARCHLIB_WORKERS": "2"})
    try:
        workers = _children(proc.pid, timeout=120)
        time.sleep(1.0)  # the workers are busy with the first batch
        proc.kill()
        proc.wait(timeout=30)
        assert workers, "no workers started"
        _none_left(str(index_dir), within=5)  # before: both workers stayed, asleep, forever
    finally:
        proc.kill()
    assert Index.check(index_dir).ok


@pytest.mark.skipif(not HAS_PROC_CHILDREN, reason="needs /proc to find the worker processes")
def test_a_worker_killed_on_its_own_fails_the_run_within_seconds(tmp_path: Path,
                                                                 short_articles: list) -> None:
    source = tmp_path / "articles.jsonl"
    ids = _jsonl(source, short_articles[:800])
    index_dir = tmp_path / "index"
    command = [*SEARCHLIB, "index", str(source), "--index", str(index_dir), "--batch-size", "200"]
    env = {**os.environ, "SEARCHLIB_WORKERS": "2"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        workers = _children(proc.pid, timeout=120)
        # After the first commit (its table of contents, generation 1), as the OOM killer would.
        deadline = time.monotonic() + 180
        while not any(p.name.startswith("_MAIN_") and p.name != "_MAIN_0.toc"
                      for p in index_dir.iterdir()):
            assert time.monotonic() < deadline and proc.poll() is None, "no commit was made"
            time.sleep(0.05)
        os.kill(workers[-1], signal.SIGKILL)
        killed = time.monotonic()
        _, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - killed
    finally:
        proc.kill()
    assert proc.returncode == 1
    run = subprocess.CompletedProcess(command, 1, "", stderr)
    match = WRITE_FAILED.match(_one_line(run))
    assert match, stderr
    assert re.fullmatch(rf"indexing worker [01] \(pid {workers[-1]}\) was killed by SIGKILL "
                        r"\(out of memory\?\)", match["reason"]), match["reason"]
    assert took < 10, f"the indexer took {took:.1f} s to notice"
    committed = int(match["committed"])
    assert committed >= 200
    assert sorted(_ids(index_dir)) == sorted(ids[:committed])
    _none_left(str(index_dir), within=5)
    rerun = _run(command, env={"SEARCHLIB_WORKERS": "2"}, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(_ids(index_dir)) == sorted(ids)
