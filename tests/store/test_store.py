"""The on-disk index: create/open, add/update/skip, delete, versions, locks (real Whoosh)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.errors import IndexExists, IndexIncompatible, IndexLocked, IndexNotFound
from searchlib.model import Article, Failure, Lang


def _article(n: int, text: str = "Україна та Канада підписали угоду про оборону.") -> Article:
    return Article(id=f"a{n}", title=f"Новина {n}", text=text, lang=Lang.UK,
                   url=f"https://news.example/{n}", source="news.example")


def test_open_missing_index_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match=str(tmp_path / "nope")):
        Index.open(tmp_path / "nope")


def test_create_twice_is_refused(fresh_index: Index) -> None:
    with pytest.raises(IndexExists):
        Index.create(fresh_index.path)


def test_add_counts_new_updated_unchanged_and_failures(fresh_index: Index) -> None:
    failure = Failure(source="bad.html", reason="empty file")
    report = fresh_index.add([_article(1), _article(2), failure])
    assert (report.indexed, report.updated, report.skipped) == (2, 0, 0)
    assert report.failed == (failure,)

    again = fresh_index.add([_article(1), _article(2, "Новий текст про Канаду.")])
    assert (again.indexed, again.updated, again.unchanged) == (0, 1, 1)
    assert len(fresh_index) == 2
    assert fresh_index.get("a2").text == "Новий текст про Канаду."


def test_batches_commit_everything(fresh_index: Index) -> None:
    report = fresh_index.add((_article(n) for n in range(25)), batch_size=10)
    assert report.indexed == 25
    assert len(Index.open(fresh_index.path)) == 25


def test_failure_inside_the_stream_keeps_what_was_written(fresh_index: Index) -> None:
    def articles():
        yield _article(1)
        yield _article(2)
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        fresh_index.add(articles())
    assert {a.id for a in Index.open(fresh_index.path).articles()} == {"a1", "a2"}


def test_round_trip_keeps_every_field(fresh_index: Index) -> None:
    from datetime import UTC, datetime

    article = Article(
        id="x1", title="Title", text="Body text here.", url="https://e.example/x",
        canonical_url="https://e.example/x1", lead="Lead.", authors=("Ann Lee", "Bo Chan"),
        published=datetime(2025, 8, 24, 9, 30, tzinfo=UTC),
        modified=datetime(2025, 8, 25, tzinfo=UTC), lang=Lang.EN, source="e.example",
        tags=("canada", "defence"), alternates=(("uk", "https://e.example/uk/x"),),
        path="samples/x.html",
    )
    fresh_index.add([article])
    assert fresh_index.get("x1") == article
    assert fresh_index.find_by_url("https://e.example/x1") == article


def test_delete(fresh_index: Index) -> None:
    fresh_index.add([_article(1), _article(2)])
    assert fresh_index.delete(["a1", "missing"]) == 1
    assert fresh_index.get("a1") is None
    assert len(fresh_index) == 1


def test_other_analyzer_version_is_refused(fresh_index: Index) -> None:
    meta_path = fresh_index.path / "searchlib.json"
    meta = json.loads(meta_path.read_text())
    meta["analyzer"] = "searchlib-analysis@0"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexIncompatible, match="rebuild"):
        Index.open(fresh_index.path)


def test_second_writer_gets_a_clear_lock_error(fresh_index: Index) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_articles():
        yield _article(1)
        started.set()
        release.wait(10)

    worker = threading.Thread(target=lambda: fresh_index.add(slow_articles()))
    worker.start()
    started.wait(10)
    try:
        with pytest.raises(IndexLocked, match="locked by process"):
            Index.open(fresh_index.path).add([_article(2)])
    finally:
        release.set()
        worker.join()
    assert len(Index.open(fresh_index.path)) == 1


def test_stats(sample_index: Index) -> None:
    stats = sample_index.stats()
    assert stats.articles == len(sample_index)
    assert set(stats.by_lang) >= {"uk", "ru", "en"}
    assert stats.size_bytes > 0
