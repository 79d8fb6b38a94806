"""The same real articles in the Whoosh and the OpenSearch engine: equal counts, `show`
output, stats, near-duplicate groups and token positions (issue 22, the write side)."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

import pytest
from click.testing import CliRunner

from searchlib.api import Index
from searchlib.cli import main
from searchlib.model import Article
from searchlib.store.opensearch.encoding import (
    FILLER,
    TOKEN_FIELDS,
    _tokens,
    article_to_source,
    layer_fields,
)
from searchlib.store.schema import article_to_document

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def articles(research_articles: list[Article]) -> list[Article]:
    """~500 real articles: the first 250 Nezavisimaya Gazeta records (www/amp/nvo copies of
    the same stories: near-duplicate groups across outlets) and every 8th of the rest (RT,
    SlavicNER uk/ru, babel-ua, BBC)."""
    return research_articles[:250] + research_articles[250::8]


@pytest.fixture(scope="module")
def module_index_url(opensearch_url: str):  # type: ignore[no-untyped-def]
    """An index URL shared by this module's tests, deleted (alias and indexes) after them."""
    from opensearchpy import OpenSearch

    name = f"test-{uuid.uuid4().hex[:12]}"
    yield f"{opensearch_url}/{name}"
    OpenSearch(opensearch_url, timeout=60).indices.delete(
        index=f"{name}*", expand_wildcards="all", ignore_unavailable=True)


@pytest.fixture(scope="module")
def whoosh(articles: list[Article], tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("parity") / "index")
    index.add(articles, batch_size=100)
    return index


@pytest.fixture(scope="module")
def cluster(articles: list[Article], module_index_url: str):  # type: ignore[no-untyped-def]
    report = Index.add_to(module_index_url, articles, batch_size=100)
    assert report.failed == () and report.indexed + report.unchanged == len(articles), report
    return Index.open(module_index_url)


def test_counts_are_equal(whoosh: Index, cluster, articles: list[Article]) -> None:
    assert len(cluster) == len(whoosh) == len({a.id for a in articles})


def test_stats_are_equal(whoosh: Index, cluster) -> None:
    ours, theirs = whoosh.stats(text_sizes=True).to_json(), cluster.stats(text_sizes=True).to_json()
    for key in ("articles", "by_lang", "by_source", "undated", "by_year", "chars_by_lang",
                "first_published", "last_published", "analyzer"):
        assert theirs[key] == ours[key], key
    counts = list(theirs["by_source"].values())
    assert counts == sorted(counts, reverse=True)


def test_show_prints_the_same(whoosh: Index, cluster, articles: list[Article]) -> None:
    runner = CliRunner()
    for article in articles[::25]:
        for extra in ([], ["--json"]):
            local = runner.invoke(main, ["show", article.id, "--index", str(whoosh.path), *extra])
            remote = runner.invoke(main, ["show", article.id, "--index", cluster.path, *extra])
            assert remote.exit_code == local.exit_code == 0
            assert remote.stdout == local.stdout
    assert cluster.get(articles[3].id) == whoosh.get(articles[3].id)
    assert cluster.get("no-such-id") is None


def test_find_by_url_is_equal(whoosh: Index, cluster, articles: list[Article]) -> None:
    for article in articles[::40]:
        url = article.canonical_url or article.url
        if url:
            assert cluster.find_by_url(url) == whoosh.find_by_url(url)


def test_duplicate_groups_are_equal(whoosh: Index, cluster) -> None:
    with whoosh.searcher() as searcher:
        local = {doc["id"]: doc["dup_group"] for doc in searcher.all_stored_fields()}
    remote = {hit["_source"]["id"]: hit["_source"]["dup_group"]
              for hit in cluster._scan({"_source": ["id", "dup_group"]})}
    assert remote == local
    copies = [i for i, group in local.items() if group != i]
    assert len(copies) >= 10  # the ng.ru / amp.ng.ru reprints were grouped
    flagged = {hit["_source"]["id"] for hit in cluster._scan(
        {"_source": ["id"], "query": {"term": {"dup_copy": True}}})}
    assert flagged == set(copies)


def _whoosh_positions(index: Index, field: str, article_id: str,
                      texts: set[str]) -> dict[str, list[int]]:
    """The positions of each of `texts` in one article's `field`, from Whoosh's postings."""
    found: dict[str, list[int]] = {}
    with index.searcher() as searcher:
        docnum = searcher.document_number(id=article_id)
        reader = searcher.reader()
        for text in texts:
            if (field, text) not in reader:
                continue
            postings = reader.postings(field, text)
            postings.skip_to(docnum)
            if postings.is_active() and postings.id() == docnum:
                found[text] = (list(postings.value_as("positions"))
                               if postings.supports("positions") else [])
    return found


def _cluster_positions(cluster, field: str, article: Article) -> dict[str, list[int]]:
    """The positions OpenSearch gives each token of `field`: the article's encoded layers
    run through the index's own analyser of each layer field (``_analyze``)."""
    source, _ = article_to_source(article, article.content_hash(), {})
    found: dict[str, list[int]] = defaultdict(list)
    for layer in layer_fields(field):
        if layer not in source:
            continue
        answer = cluster._client.indices.analyze(index=cluster.alias, body={
            "field": layer, "text": source[layer]})
        for token in answer["tokens"]:
            if token["token"] != FILLER:
                found[token["token"]].append(token["position"])
    return {text: sorted(positions) for text, positions in found.items()}


def test_token_positions_equal_whooshs(whoosh: Index, cluster, articles: list[Article]) -> None:
    # Articles with hyphenated words (stacked tokens), four per language.
    chosen = [a for lang in ("uk", "ru", "en")
              for a in [a for a in articles if a.lang == lang and "-" in a.text][:4]]
    assert len({a.lang for a in chosen}) == 3
    compared = stacked = 0
    for article in chosen:
        for field in TOKEN_FIELDS:
            remote = _cluster_positions(cluster, field, article)
            texts = set(remote) | {t for t, _ in _tokens(field, _document(article)[field])} \
                if field in _document(article) else set(remote)
            local = _whoosh_positions(whoosh, field, article.id, texts)
            if field == "names":  # indexed without positions: compare the terms only
                assert set(remote) == set(local)
                continue
            assert remote == local, (article.id, field)
            compared += bool(local)
            every = [p for positions in local.values() for p in positions]
            stacked += len(every) - len(set(every))
    assert compared >= 20 and stacked >= 10


def _document(article: Article) -> dict:
    return article_to_document(article, article.content_hash())


def test_stats_json_is_one_object_with_the_url(cluster) -> None:
    result = CliRunner().invoke(main, ["stats", "--index", cluster.path, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["path"] == cluster.path


def test_reindexing_the_same_articles_changes_nothing(cluster, articles: list[Article],
                                                      whoosh: Index) -> None:
    before = cluster.commit_stamp()
    report = cluster.add(articles, batch_size=100)
    local = whoosh.add(articles, batch_size=100)
    assert (report.indexed, report.updated, report.unchanged) == (
        local.indexed, local.updated, local.unchanged) == (0, 0, len(articles))
    assert cluster.commit_stamp() == before

