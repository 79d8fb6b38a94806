"""Exports on OpenSearch that run over many pages, several shards and undated articles give the
Whoosh engine's rows, row for row (`searchlib.query.opensearch.exporting`: one point-in-time,
``search_after`` pages read one ahead, the group of each row looked up per page).

500 real research articles, every seventh without a date, indexed in Whoosh and in an
OpenSearch index of 3 shards; the page size is made small (37 rows) so that pages end inside
each shard's hits and inside near-duplicate groups. Needs $SEARCHLIB_TEST_OPENSEARCH.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from searchlib.api import Index

ARTICLES = 500
FIELDS = ("id", "published", "lang", "source", "title", "group", "duplicate_of", "duplicates")


@pytest.fixture(scope="module")
def engines(research_articles: list, opensearch_url: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Index, object]]:
    """(a Whoosh index, a 3-shard OpenSearch index) of the same articles, some undated."""
    from opensearchpy import OpenSearch

    from searchlib.api_opensearch import OpenSearchIndex

    articles = [replace(article, published=None) if number % 7 == 3 else article
                for number, article in enumerate(research_articles[::4][:ARTICLES])]
    assert sum(article.published is None for article in articles) >= ARTICLES // 7
    whoosh = Index.create(Path(tmp_path_factory.mktemp("export-pages")) / "index")
    report = whoosh.add(articles)
    assert report.indexed + report.skipped == ARTICLES, report
    name = f"osfast-export-{uuid.uuid4().hex[:10]}"
    try:
        index = OpenSearchIndex.create(f"{opensearch_url}/{name}", shards=3, replicas=0)
        found = index.add(articles)
        assert (found.indexed, found.skipped) == (report.indexed, report.skipped), found
        yield whoosh, index
    finally:
        OpenSearch(opensearch_url, timeout=60).indices.delete(
            index=f"{name}*", expand_wildcards="all", ignore_unavailable=True)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("searchlib.query.opensearch.cluster.PAGE", 37)


@pytest.mark.parametrize("query", ["*", "Росія OR Россия OR Russia",
                                   "газ OR gas OR нафта OR нефть OR oil"])
@pytest.mark.parametrize("sort", ["date", "-date"])
def test_paged_exports_equal_whooshs_row_for_row(engines, small_pages, query: str,
                                                 sort: str) -> None:
    whoosh, opensearch = engines
    expected = list(whoosh.export(query, sort=sort, fields=FIELDS).rows())
    found = opensearch.export(query, sort=sort, fields=FIELDS)
    rows = list(found.rows())
    assert len(rows) > 37, query  # two pages at least
    assert found.provenance.total == len(rows) == opensearch.count(query).total
    assert rows == expected
    if query == "*":
        assert any(row["published"] is None for row in rows)
        assert any(row["duplicates"] for row in rows)


def test_paged_export_by_relevance_holds_every_match_once(engines, small_pages) -> None:
    whoosh, opensearch = engines
    query = "Росія OR Россия OR Russia"
    expected = {row["id"]: row for row in whoosh.export(query, sort="relevance",
                                                       fields=FIELDS).rows()}
    rows = list(opensearch.export(query, sort="relevance", fields=FIELDS).rows())
    assert len(rows) == len({row["id"] for row in rows}) == len(expected)
    assert {row["id"]: row for row in rows} == expected
