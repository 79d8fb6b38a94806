"""Rebuild: a new index built aside and swapped in atomically, while readers keep working."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.errors import IndexIncompatible, IndexNotFound
from searchlib.model import Article, Lang


def _article(n: int, word: str = "harbour") -> Article:
    return Article(id=f"r{n}", title=f"Story {n} {word}", text=f"The {word} reopened, day {n}.",
                   lang=Lang.EN, url=f"https://rebuild.example/{n}",
                   published=datetime(2025, 9, 1 + n % 28, tzinfo=UTC))


def _files(path: Path) -> set[str]:
    return {p.name for p in path.iterdir()}


def test_rebuild_from_stored_articles_keeps_every_article(fresh_index: Index) -> None:
    fresh_index.add((_article(n) for n in range(30)), batch_size=7)
    fresh_index.delete(["r3"])
    before = {a.id: a for a in fresh_index.articles()}
    old_build = fresh_index.meta["build_id"]
    old_files = _files(fresh_index.path)

    report = Index.rebuild(fresh_index.path)

    assert (report.source, report.articles, report.previous_articles) == ("stored", 29, 29)
    assert report.previous_build_id == old_build != report.build_id
    assert {a.id: a for a in fresh_index.articles()} == before
    assert fresh_index.meta["build_id"] == report.build_id
    assert not (old_files - {"searchlib.json", "searchlib.lock"}) & _files(fresh_index.path)
    check = Index.check(fresh_index.path)
    assert check.ok and check.segments == 1 and check.documents == 29 and check.notes == ()


def test_rebuild_from_inputs_holds_exactly_those_articles(fresh_index: Index) -> None:
    fresh_index.add([_article(n) for n in range(5)])
    report = Index.rebuild(fresh_index.path, [_article(n, "bridge") for n in range(3, 8)])
    assert (report.source, report.articles, report.report.indexed) == ("inputs", 5, 5)
    assert sorted(a.id for a in fresh_index.articles()) == [f"r{n}" for n in range(3, 8)]
    assert fresh_index.search("harbour").total == 0
    assert fresh_index.search("bridge").total == 5


def test_readers_opened_before_the_swap_keep_working(fresh_index: Index) -> None:
    fresh_index.add([_article(n) for n in range(10)])
    reader = Index.open(fresh_index.path)
    with reader.searcher() as old_snapshot:
        Index.rebuild(fresh_index.path, [_article(n, "bridge") for n in range(4)],
                      allow_shrink=True)
        # A searcher opened before the swap reads the old files to the end...
        assert old_snapshot.doc_count() == 10
        assert {f["id"] for f in old_snapshot.all_stored_fields()} == {f"r{n}" for n in range(10)}
    # ...and the same Index object sees the new generation on its next read.
    assert len(reader) == 4
    assert reader.search("bridge").total == 4 and reader.search("harbour").total == 0
    assert len(Index.open(fresh_index.path)) == 4  # as does one opened after the swap


def test_searches_keep_working_during_a_rebuild(fresh_index: Index) -> None:
    fresh_index.add([_article(n) for n in range(10)])
    halfway, resume = threading.Event(), threading.Event()

    def slow_articles():
        for n in range(6):
            if n == 3:
                halfway.set()
                resume.wait(30)
            yield _article(n, "bridge")

    rebuild = threading.Thread(target=lambda: Index.rebuild(fresh_index.path, slow_articles(),
                                                            batch_size=2, allow_shrink=True))
    rebuild.start()
    try:
        assert halfway.wait(30)
        # The new generation already has commits on disk; searches still see the old index.
        assert fresh_index.search("harbour").total == 10
        assert fresh_index.search("bridge").total == 0
        assert Index.open(fresh_index.path).get("r9") is not None
    finally:
        resume.set()
        rebuild.join()
    assert fresh_index.search("bridge").total == 6
    assert fresh_index.search("harbour").total == 0


def test_a_failed_rebuild_leaves_the_old_index_untouched(fresh_index: Index) -> None:
    fresh_index.add([_article(n) for n in range(5)])
    files = _files(fresh_index.path)
    meta = (fresh_index.path / "searchlib.json").read_text()

    def broken():
        yield _article(1, "bridge")
        raise OSError("input disk vanished")

    with pytest.raises(OSError, match="vanished"):
        Index.rebuild(fresh_index.path, broken(), batch_size=1)
    assert (fresh_index.path / "searchlib.json").read_text() == meta
    assert _files(fresh_index.path) == files
    assert fresh_index.search("harbour").total == 5


def test_rebuild_upgrades_an_index_of_another_analyzer_version(fresh_index: Index) -> None:
    fresh_index.add([_article(n) for n in range(4)])
    meta_path = fresh_index.path / "searchlib.json"
    meta = json.loads(meta_path.read_text())
    meta["analyzer"] = "searchlib-analysis@0"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexIncompatible, match="searchlib rebuild"):
        Index.open(fresh_index.path)

    report = Index.rebuild(fresh_index.path)

    assert report.articles == 4
    upgraded = Index.open(fresh_index.path)
    assert upgraded.meta["analyzer"] == fresh_index.meta["analyzer"] != "searchlib-analysis@0"
    assert upgraded.search("harbour").total == 4


def test_rebuild_from_inputs_replaces_an_unreadable_index(fresh_index: Index) -> None:
    fresh_index.add([_article(1)])
    (fresh_index.path / "searchlib.json").write_text("{not json")
    report = Index.rebuild(fresh_index.path, [_article(2)])
    assert report.previous_build_id is None and report.articles == 1
    assert [a.id for a in Index.open(fresh_index.path).articles()] == ["r2"]


def test_rebuild_without_an_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound):
        Index.rebuild(tmp_path / "none")
    report = Index.rebuild(tmp_path / "new", [_article(1)])
    assert report.articles == 1 and len(Index.open(tmp_path / "new")) == 1
