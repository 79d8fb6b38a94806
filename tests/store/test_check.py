"""`check`: counts on a healthy index, and a named problem for each kind of damage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.errors import IndexNotFound
from searchlib.model import Article, Lang
from searchlib.store.codec import SearchlibCodec
from searchlib.store.files import DurableStorage
from searchlib.store.schema import article_to_document


def _article(n: int) -> Article:
    return Article(id=f"k{n}", title=f"Story {n}", text=f"Grid repairs before winter, part {n}.",
                   lang=Lang.EN, published=datetime(2025, 11, 4, tzinfo=UTC))


@pytest.fixture
def built(fresh_index: Index) -> Index:
    fresh_index.add((_article(n) for n in range(12)), batch_size=5)
    return fresh_index


def _segments(index: Index) -> list[Path]:
    return sorted(p for p in index.path.iterdir() if p.suffix == ".seg")


def test_healthy_index_reports_counts(built: Index) -> None:
    built.delete(["k0"])
    report = Index.check(built.path)
    assert report.ok and report.problems == () and report.notes == ()
    assert (report.articles, report.documents, report.segments) == (11, 12, 3)
    assert report.build_id == built.meta["build_id"]
    record = report.to_json()
    assert record["ok"] is True and record["articles"] == 11


def test_sample_index_checks_clean(sample_index: Index) -> None:
    report = Index.check(sample_index.path)
    assert report.ok, report.problems
    assert report.articles == len(sample_index) == sample_index.stats().articles


def test_truncated_segment_is_a_problem(built: Index) -> None:
    segment = _segments(built)[0]
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    report = Index.check(built.path)
    assert not report.ok
    assert any(segment.stem in problem for problem in report.problems)


def test_missing_segment_is_a_problem(built: Index) -> None:
    segment = _segments(built)[-1]
    segment.unlink()
    report = Index.check(built.path)
    assert any(segment.stem in p and "does not open" in p for p in report.problems)


def test_unreadable_meta_is_a_problem(built: Index) -> None:
    (built.path / "searchlib.json").write_text("{")
    report = Index.check(built.path)
    assert any("searchlib.json" in problem for problem in report.problems)
    assert report.articles == 12  # the Whoosh index itself was still checked


def test_other_analyzer_version_is_a_problem_naming_the_fix(built: Index) -> None:
    meta_path = built.path / "searchlib.json"
    meta = json.loads(meta_path.read_text())
    meta["analyzer"] = "searchlib-analysis@0"
    meta_path.write_text(json.dumps(meta))
    (problem,) = Index.check(built.path).problems
    assert "searchlib-analysis@0" in problem and "searchlib rebuild" in problem


def test_duplicate_ids_are_a_problem(built: Index) -> None:
    # Whoosh itself never enforces `unique`: a plain add_document makes a second "k1".
    writer = DurableStorage(built.path).open_index("MAIN").writer(codec=SearchlibCodec())
    writer.add_document(**article_to_document(_article(1), "0" * 32))
    writer.commit()
    report = Index.check(built.path)
    assert report.problems == ("id held by more than one live document: k1",)


def test_leftovers_of_an_interrupted_rebuild_are_notes(built: Index) -> None:
    (built.path / "R0123456789ab_zz.seg").write_bytes(b"half a segment")
    (built.path / "_MAIN_99.toc.1732770000.5").write_bytes(b"")
    report = Index.check(built.path)
    assert report.ok
    (note,) = report.notes
    assert "2 file(s) left" in note
    built.add([_article(99)])  # the next writer removes them
    assert Index.check(built.path).notes == ()
    assert not (built.path / "R0123456789ab_zz.seg").exists()


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound):
        Index.check(tmp_path / "nothing")
