"""Updates and deletes: replace by id or canonical URL, skip unchanged, delete by id or URL,
commit callbacks and optimize (real Whoosh index)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from searchlib.api import Index
from searchlib.model import Article, Lang


def _article(article_id: str, *, text: str = "Body about the Danube grain ports.",
             url: str | None = None, canonical_url: str | None = None) -> Article:
    return Article(id=article_id, title=f"Story {article_id}", text=text, lang=Lang.EN,
                   url=url, canonical_url=canonical_url,
                   published=datetime(2025, 6, 17, tzinfo=UTC))


def _tocs(index: Index) -> list[str]:
    return sorted(p.name for p in Path(index.path).iterdir() if p.suffix == ".toc")


def test_same_canonical_url_under_a_new_id_replaces_the_article(fresh_index: Index) -> None:
    fresh_index.add([_article("old", url="https://e.example/a?utm=x",
                              canonical_url="https://e.example/a"),
                     _article("other", url="https://e.example/b")])
    report = fresh_index.add([_article("new", text="Corrected body.",
                                       canonical_url="https://e.example/a")])
    assert (report.indexed, report.updated) == (0, 1)
    assert fresh_index.get("old") is None
    assert fresh_index.get("new").text == "Corrected body."
    assert {a.id for a in fresh_index.articles()} == {"new", "other"}


def test_a_plain_url_alone_does_not_merge_articles(fresh_index: Index) -> None:
    fresh_index.add([_article("first", url="https://e.example/live")])
    fresh_index.add([_article("second", url="https://e.example/live", text="Another entry.")])
    assert sorted(a.id for a in fresh_index.articles()) == ["first", "second"]


def test_an_article_that_moved_frees_its_old_canonical_url(fresh_index: Index) -> None:
    fresh_index.add([_article("a", canonical_url="https://e.example/1")])
    fresh_index.add([_article("a", canonical_url="https://e.example/2")])
    report = fresh_index.add([_article("b", canonical_url="https://e.example/1")])
    assert report.indexed == 1
    assert {a.id for a in fresh_index.articles()} == {"a", "b"}


def test_the_same_article_under_another_id_is_unchanged(fresh_index: Index) -> None:
    stored = _article("v1", canonical_url="https://e.example/s")
    fresh_index.add([stored])
    before = _tocs(fresh_index)
    report = fresh_index.add([replace(stored, id="v2")])
    assert (report.indexed, report.updated, report.unchanged) == (0, 0, 1)
    assert [a.id for a in fresh_index.articles()] == ["v1"]
    assert _tocs(fresh_index) == before


def test_repeats_within_one_batch_leave_one_document(fresh_index: Index) -> None:
    report = fresh_index.add([
        _article("x", text="First version."),
        _article("x", text="Second version."),
        _article("p", canonical_url="https://e.example/c"),
        _article("q", canonical_url="https://e.example/c", text="Wins."),
    ], batch_size=100)
    assert report.indexed + report.updated == 4
    assert sorted(a.id for a in fresh_index.articles()) == ["q", "x"]
    assert fresh_index.get("x").text == "Second version."
    check = Index.check(fresh_index.path)
    assert check.ok and check.articles == 2


def test_unchanged_articles_are_skipped_without_a_commit(fresh_index: Index) -> None:
    articles = [_article(f"u{n}", url=f"https://e.example/{n}") for n in range(5)]
    fresh_index.add(articles)
    before = _tocs(fresh_index)
    report = fresh_index.add(articles)
    assert (report.indexed, report.updated, report.unchanged) == (0, 0, 5)
    assert _tocs(fresh_index) == before, "an add that changed nothing wrote a new commit"


def test_on_commit_reports_each_durable_batch(fresh_index: Index) -> None:
    commits: list[tuple[int, int]] = []

    def on_commit(written: int) -> None:
        commits.append((written, len(Index.open(fresh_index.path))))

    fresh_index.add((_article(f"c{n}") for n in range(25)), batch_size=10, on_commit=on_commit)
    # After each callback the articles written so far are visible to a fresh reader.
    assert commits == [(10, 10), (20, 20), (25, 25)]


def test_delete_by_id_and_url_reports_what_matched_nothing(fresh_index: Index) -> None:
    fresh_index.add([
        _article("a", url="https://e.example/a"),
        _article("b", url="https://e.example/b?ref=rss", canonical_url="https://e.example/b"),
        _article("c", url="https://e.example/c"),
    ])
    report = fresh_index.remove(["a", "missing"], urls=["https://e.example/b",
                                                        "https://e.example/none"])
    assert report.deleted == ("a", "b")
    assert report.not_found == ("missing", "https://e.example/none")
    assert fresh_index.delete(urls=["https://e.example/c"]) == 1
    assert len(fresh_index) == 0
    assert report.to_json() == {"deleted": ["a", "b"],
                                "not_found": ["missing", "https://e.example/none"]}


def test_optimize_merges_segments_and_purges_deleted_documents(fresh_index: Index) -> None:
    fresh_index.add((_article(f"o{n}") for n in range(30)), batch_size=10)
    fresh_index.delete(["o1", "o2"])
    before = Index.check(fresh_index.path)
    assert before.documents == 30 and before.articles == 28 and before.segments > 1
    report = fresh_index.optimize()
    assert (report.articles, report.segments_after) == (28, 1)
    assert report.segments_before == before.segments
    after = Index.check(fresh_index.path)
    assert after.ok and after.documents == after.articles == 28
    again = fresh_index.optimize()  # already merged: nothing to do, nothing written
    assert again.segments_before == again.segments_after == 1
