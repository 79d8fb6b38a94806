"""Issue 19, item 1: a mistyped or empty input path never empties an archive.

`rebuild` refuses (exit 1, index untouched) a missing path, inputs holding no article and a
smaller new index unless `--allow-shrink`; `index` on nothing readable exits 1 and creates no
index folder. The CLI runs as a real subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.errors import RebuildRefused
from searchlib.model import Article, Failure, Lang


def _write(path: Path, ids: range) -> Path:
    path.write_text("".join(json.dumps({"id": f"a{n}", "title": f"Harbour story {n}",
                                        "text": f"The harbour reopened on day {n}.",
                                        "lang": "en"}) + "\n" for n in ids), encoding="utf-8")
    return path


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "searchlib", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, Path]:
    """An index of 22 articles read from one JSONL file, and that file."""
    source = _write(tmp_path / "all.jsonl", range(22))
    index_dir = tmp_path / "index"
    assert _cli("index", source, "--index", index_dir).returncode == 0
    return index_dir, source


def _state(index_dir: Path) -> tuple[str, list[str]]:
    meta = json.loads((index_dir / "searchlib.json").read_text())
    return meta["build_id"], sorted(a.id for a in Index.open(index_dir).articles())


def test_rebuild_from_a_missing_path_exits_1_and_keeps_the_index(
        archive: tuple[Path, Path], tmp_path: Path) -> None:
    index_dir, source = archive
    before = _state(index_dir)
    assert len(before[1]) == 22
    for paths in ([tmp_path / "nonexistent"], [source, tmp_path / "typo.jsonl"]):
        result = _cli("rebuild", *paths, "--index", index_dir)
        assert result.returncode == 1, result.stdout
        assert f"{paths[-1]}: no such file or folder" in result.stderr
        assert "Traceback" not in result.stderr
        assert _state(index_dir) == before


def test_rebuild_from_an_empty_folder_exits_1_and_keeps_the_index(
        archive: tuple[Path, Path], tmp_path: Path) -> None:
    index_dir, _ = archive
    before = _state(index_dir)
    (tmp_path / "empty").mkdir()
    result = _cli("rebuild", tmp_path / "empty", "--index", index_dir)
    assert result.returncode == 1
    assert "no article could be read" in result.stderr and "the index is unchanged" in result.stderr
    assert _state(index_dir) == before
    assert Index.check(index_dir).ok


def test_rebuild_that_would_drop_articles_needs_allow_shrink(
        archive: tuple[Path, Path], tmp_path: Path) -> None:
    index_dir, _ = archive
    before = _state(index_dir)
    part = _write(tmp_path / "part.jsonl", range(15))
    result = _cli("rebuild", part, "--index", index_dir)
    assert result.returncode == 1
    assert "would hold 15 articles, 7 fewer than the 22" in result.stderr
    assert "--allow-shrink" in result.stderr
    assert _state(index_dir) == before
    assert Index.check(index_dir).notes == ()  # the half-built generation was removed

    result = _cli("rebuild", part, "--index", index_dir, "--allow-shrink")
    assert result.returncode == 0, result.stderr
    assert _state(index_dir)[1] == sorted(f"a{n}" for n in range(15))


def test_rebuild_of_the_same_or_more_articles_needs_no_permission(
        archive: tuple[Path, Path], tmp_path: Path) -> None:
    index_dir, source = archive
    result = _cli("rebuild", source, _write(tmp_path / "more.jsonl", range(22, 25)),
                  "--index", index_dir)
    assert result.returncode == 0, result.stderr
    assert "25 articles (before: 22)" in result.stdout


def test_library_rebuild_refuses_losses(fresh_index: Index) -> None:
    articles = [Article(id=f"r{n}", title=f"Story {n}", text=f"Day {n} of the story.",
                        lang=Lang.EN) for n in range(6)]
    fresh_index.add(articles)
    with pytest.raises(RebuildRefused, match="no article could be read.*no such file"):
        Index.rebuild(fresh_index.path, [Failure(source="x.jsonl", reason="no such file")])
    with pytest.raises(RebuildRefused, match="would hold 2 articles, 4 fewer than the 6"):
        Index.rebuild(fresh_index.path, articles[:2])
    assert len(Index.open(fresh_index.path)) == 6
    assert Index.rebuild(fresh_index.path, articles[:2], allow_shrink=True).articles == 2


@pytest.mark.parametrize("what", ["empty folder", "missing path"])
def test_index_of_nothing_exits_1_and_leaves_no_index_folder(tmp_path: Path, what: str) -> None:
    target = tmp_path / ("empty" if what == "empty folder" else "missing")
    if what == "empty folder":
        target.mkdir()
    index_dir = tmp_path / "index"
    result = _cli("index", target, "--index", index_dir)
    assert result.returncode == 1
    assert str(target) in result.stderr and "Traceback" not in result.stderr
    assert not index_dir.exists()
