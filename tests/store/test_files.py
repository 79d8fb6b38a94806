"""Index folder files (`searchlib.store.files`): mapped segment pages, writers' temp folders."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import pytest

from searchlib.store.files import DurableStorage, leftover_files


def _mapped_file_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("RssFile:"):
                return int(line.split()[1])
    pytest.skip("no RssFile in /proc/self/status (not Linux)")


@pytest.mark.skipif(not hasattr(mmap, "MADV_DONTNEED"), reason="no madvise(MADV_DONTNEED) here")
def test_released_segment_pages_leave_resident_memory_and_read_the_same(tmp_path: Path) -> None:
    size = 48 * 1024 * 1024
    data = os.urandom(1024) * (size // 1024)
    (tmp_path / "MAIN_x.seg").write_bytes(data)
    storage = DurableStorage(tmp_path)
    segment = storage.open_file("MAIN_x.seg")
    try:
        before = _mapped_file_kb()
        assert segment.read(size) == data  # every page mapped in
        read = _mapped_file_kb()
        storage.release_mapped_pages()
        released = _mapped_file_kb()
        assert read - before > 40 * 1024
        assert read - released > 40 * 1024
        segment.seek(size - 2048)
        assert segment.read(2048) == data[-2048:]  # read again from the page cache
    finally:
        segment.close()


def test_each_process_writes_its_temporary_files_in_its_own_folder(tmp_path: Path) -> None:
    storage = DurableStorage(tmp_path)
    temporary = storage.temp_storage("MAIN.tmp")
    try:
        assert Path(temporary.folder).name == f"MAIN.tmp-{os.getpid()}"
    finally:
        temporary.destroy()


def test_temporary_folders_left_by_a_crash_are_leftovers(tmp_path: Path) -> None:
    for name in ("MAIN.tmp-123", "MAIN.tmp", "MAIN_abc.seg", "_MAIN_3.toc"):
        (tmp_path / name).mkdir() if ".tmp" in name else (tmp_path / name).touch()
    assert [p.name for p in leftover_files(tmp_path, "MAIN")] == ["MAIN.tmp", "MAIN.tmp-123"]

