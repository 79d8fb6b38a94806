"""The OpenSearch engine's write side on a real cluster: phrases across stacked tokens,
updates, bad records, delete, rebuild with an alias swap, check, optimize, versions."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from searchlib.api import Index
from searchlib.cli import main
from searchlib.errors import IndexExists, IndexIncompatible, IndexNotFound, RebuildRefused
from searchlib.model import Article, Failure, Lang
from searchlib.store.opensearch.encoding import layer_fields
from searchlib.store.opensearch.mapping import TITLE_K1, TITLE_QUERY_BOOST

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _article(number: int, text: str, **fields) -> Article:  # type: ignore[no-untyped-def]
    return Article(id=f"a{number}", title=f"Title {number}", text=text, lang=Lang.UK,
                   url=f"https://news.example/{number}", source="News.Example", **fields)


def _phrase(field: str, words: list[str]) -> dict:
    """The contract's phrase query: span_near over each word in the field or its layers."""
    clauses = []
    for word in words:
        layers = layer_fields(field)
        clauses.append({"span_or": {"clauses": [{"span_term": {layers[0]: word}}] + [
            {"span_field_masking": {"query": {"span_term": {layer: word}}, "field": field}}
            for layer in layers[1:]]}})
    return {"query": {"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}}


def _ids(index, body: dict) -> set[str]:  # type: ignore[no-untyped-def]
    return {hit["_id"] for hit in index._search({**body, "size": 100})}


def test_a_phrase_across_a_hyphenated_word_and_its_neighbour(opensearch_index_url: str) -> None:
    index = Index.create(opensearch_index_url, shards=2, replicas=0)
    report = index.add([
        _article(1, "Вчора прем'єр-міністр Канади прибув до Києва."),
        _article(2, "Прем'єр сказав, що міністр оборони Канади прибуде завтра."),
        _article(3, "The New York-based fund and New Yorkers."),
    ])
    assert report.indexed == 3
    # A part of the hyphenated word, then the next word: only article 1 has them adjacent.
    assert _ids(index, _phrase("text_exact", ["міністр", "канади"])) == {"a1"}
    assert _ids(index, _phrase("text_exact", ["прем'єр-міністр", "канади"])) == {"a1"}
    assert _ids(index, _phrase("text_exact", ["прем'єр", "міністр"])) == set()  # same position
    assert _ids(index, _phrase("text_uk", ["міністр", "канада"])) == {"a1"}  # lemmas
    assert _ids(index, _phrase("text_exact", ["york", "based", "fund"])) == set()
    assert _ids(index, _phrase("text_exact", ["york-based", "fund"])) == {"a3"}
    assert _ids(index, _phrase("text_exact", ["new", "york-based"])) == {"a3"}
    # Our stop-word filter renumbers positions (no gap), so "прибув до Києва" is the lemma
    # phrase "прибути київ", as in Whoosh; the stacked layers keep later positions aligned.
    assert _ids(index, _phrase("text_uk", ["прибути", "київ"])) == {"a1"}
    assert _ids(index, _phrase("text_uk", ["канада", "прибути", "київ"])) == {"a1"}


def test_bm25_settings_follow_the_whoosh_ranking(opensearch_index_url: str) -> None:
    from searchlib.query.scoring import LuceneBM25F
    from searchlib.store.schema import TITLE_BOOST

    index = Index.create(opensearch_index_url, replicas=0)
    settings = index._client.indices.get_settings(index=index.alias)[index.concrete]
    similarity = settings["settings"]["index"]["similarity"]
    ranking = LuceneBM25F()
    assert float(similarity["searchlib_bm25"]["k1"]) == ranking.K1 == 1.2
    assert float(similarity["searchlib_bm25"]["b"]) == ranking.B == 0.75
    assert float(similarity["searchlib_bm25_title"]["k1"]) == pytest.approx(
        ranking.K1 / TITLE_BOOST) == TITLE_K1
    assert TITLE_QUERY_BOOST == pytest.approx((1.2 + 1) / (0.48 + 1))
    mapping = index._client.indices.get_mapping(index=index.alias)[index.concrete]["mappings"]
    assert mapping["properties"]["title_uk__s3"]["similarity"] == "searchlib_bm25_title"
    assert mapping["properties"]["text_uk__s3"]["similarity"] == "searchlib_bm25"


def test_updates_replacements_and_a_bad_record(opensearch_index_url: str) -> None:
    first = [_article(n, f"Стаття номер {n} про оборону Канади.") for n in range(1, 6)]
    report = Index.add_to(opensearch_index_url, first, batch_size=2)
    assert (report.indexed, report.updated, report.unchanged) == (5, 0, 0)
    index = Index.open(opensearch_index_url)
    changed = replace(first[1], text="Змінений текст статті.")
    moved = replace(first[2], id="a3-new", canonical_url=None)  # same content, new id
    canonical = _article(9, "Та сама стаття під іншим id.",
                         canonical_url="https://news.example/canonical")
    again = replace(canonical, id="a10", text="Оновлена стаття з тим самим canonical URL.")
    # Lucene refuses a keyword term above 32,766 bytes: OpenSearch rejects this record alone.
    huge = _article(11, "Стаття з надто довгою адресою.", canonical_url="https://x.example/"
                    + "a" * 40_000)
    report = index.add([first[0], changed, Failure(source="bad.jsonl", reason="no text",
                                                   line=3),
                        moved, canonical, huge, again], batch_size=3)
    assert (report.indexed, report.updated, report.unchanged) == (2, 2, 1)
    assert [f.source for f in report.failed] == ["bad.jsonl", "article a11"]
    assert "immense term" in report.failed[1].reason or "32766" in report.failed[1].reason
    assert index.get("a2").text == "Змінений текст статті."
    assert index.get("a9") is None  # replaced by a10, which has the same canonical URL
    assert index.find_by_url("https://news.example/canonical").id == "a10"
    assert len(index) == 7  # a1..a5, a3-new, a10


def test_index_cli_reports_a_bad_record_and_goes_on(
        opensearch_index_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    records = [{"id": "j1", "text": "Перша стаття про Канаду.", "lang": "uk"},
               {"id": "j2", "text": ""},
               {"id": "j3", "text": "Третя стаття.", "lang": "uk",
                "url": "https://x.example/" + "b" * 40_000},
               {"id": "j4", "text": "Четверта стаття про Україну.", "lang": "uk"}]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    result = CliRunner().invoke(main, ["index", str(path), "--index", opensearch_index_url,
                                       "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["indexed"], report["failed"]) == (2, 2)
    assert "j3" in result.stderr and "in.jsonl:2" in result.stderr
    assert len(Index.open(opensearch_index_url)) == 2


def test_delete_by_id_and_url(opensearch_index_url: str) -> None:
    index = Index.create(opensearch_index_url, replicas=0)
    index.add([_article(n, f"Текст {n}.") for n in range(1, 5)])
    report = index.remove(["a1", "missing"], urls=["https://news.example/2",
                                                    "https://nowhere.example/"])
    assert report.deleted == ("a1", "a2")
    assert report.not_found == ("missing", "https://nowhere.example/")
    result = CliRunner().invoke(main, ["delete", "a3", "--index", opensearch_index_url])
    assert result.exit_code == 0 and result.stdout.strip() == "deleted 1, not found 0"
    result = CliRunner().invoke(main, ["delete", "a3", "--index", opensearch_index_url])
    assert result.exit_code == 1
    assert len(index) == 1 and index.get("a4") is not None


def test_rebuild_swaps_the_alias_and_keeps_the_answers(opensearch_index_url: str,
                                                       research_articles: list) -> None:
    chosen = research_articles[::60]
    index = Index.create(opensearch_index_url, replicas=0)
    index.add(chosen)
    before = index.stats().to_json()
    old = index.concrete
    result = CliRunner().invoke(main, ["rebuild", "--index", opensearch_index_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["articles"] == report["previous_articles"] == len(chosen)
    reopened = Index.open(opensearch_index_url)
    assert reopened.concrete != old
    assert not reopened._client.indices.exists(index=old)  # removed after the swap
    after = reopened.stats().to_json()
    for key in ("articles", "by_lang", "by_source", "undated", "by_year"):
        assert after[key] == before[key]
    assert reopened.get(chosen[5].id) == index.get(chosen[5].id)
    # Writes go to the new index through the alias; the old store object follows it.
    assert index.get(chosen[7].id) == chosen[7] or index.get(chosen[7].id).id == chosen[7].id


def test_a_rebuild_that_would_shrink_is_refused_and_changes_nothing(
        opensearch_index_url: str) -> None:
    index = Index.create(opensearch_index_url, replicas=0)
    index.add([_article(n, f"Текст статті {n}.") for n in range(1, 6)])
    concrete = index.concrete
    with pytest.raises(RebuildRefused, match="fewer"):
        Index.rebuild(opensearch_index_url, [_article(1, "Лише одна стаття.")])
    reopened = Index.open(opensearch_index_url)
    assert reopened.concrete == concrete and len(reopened) == 5
    # The write block of the rebuild is lifted again.
    assert reopened.add([_article(7, "Нова стаття.")]).indexed == 1
    names = reopened._client.indices.get(index=f"{reopened.alias}*")
    assert list(names) == [concrete]  # the new index was deleted
    rebuilt = Index.rebuild(opensearch_index_url, [_article(1, "Лише одна стаття.")],
                            allow_shrink=True)
    assert rebuilt.articles == 1
    assert len(Index.open(opensearch_index_url)) == 1
    # Resharding: a rebuild from the stored articles into 2 shards.
    result = CliRunner().invoke(main, ["rebuild", "--index", opensearch_index_url,
                                       "--shards", "2", "--replicas", "0"])
    assert result.exit_code == 0, result.output
    reopened = Index.open(opensearch_index_url)
    settings = reopened._client.indices.get_settings(index=reopened.concrete)
    assert settings[reopened.concrete]["settings"]["index"]["number_of_shards"] == "2"
    assert reopened.get("a1").text == "Лише одна стаття."


def test_shard_options_need_a_url(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["index", "samples/uk", "--index", str(tmp_path / "i"),
                                       "--shards", "3"])
    assert result.exit_code == 2 and "not to a folder" in result.stderr
    assert not (tmp_path / "i").exists()


def test_check_and_optimize(opensearch_index_url: str) -> None:
    index = Index.create(opensearch_index_url, shards=2, replicas=1)
    for n in range(1, 4):  # three batches: several segments
        index.add([_article(10 * n + k, f"Текст {n} {k}.") for k in range(5)])
    index.remove(["a11"])
    result = CliRunner().invoke(main, ["check", "--index", opensearch_index_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["articles"] == 14
    assert report["schema"] == "searchlib-schema@7"
    optimized = index.optimize()
    assert optimized.articles == 14 and optimized.segments_after <= 2
    assert optimized.segments_before >= optimized.segments_after
    # A concrete index a killed rebuild left beside the live one is noted, not a problem.
    from searchlib.store.opensearch.mapping import index_body, new_meta
    from searchlib.store.opensearch.store import _concrete_name

    leftover = _concrete_name(index.alias)
    index._client.indices.create(index=leftover, body=index_body(new_meta(), replicas=0))
    report = Index.check(opensearch_index_url)
    assert report.ok and any(leftover in note for note in report.notes)


def test_an_index_of_another_version_is_refused(opensearch_index_url: str) -> None:
    index = Index.create(opensearch_index_url, replicas=0)
    index.add([_article(1, "Текст.")])
    index._client.indices.put_mapping(index=index.concrete, body={"_meta": {"searchlib": {
        **index.meta, "encoding": "searchlib-opensearch@0"}}})
    with pytest.raises(IndexIncompatible, match="searchlib-opensearch@0"):
        Index.open(opensearch_index_url)
    result = CliRunner().invoke(main, ["show", "a1", "--index", opensearch_index_url])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and opensearch_index_url in result.stderr
    result = CliRunner().invoke(main, ["check", "--index", opensearch_index_url])
    assert result.exit_code == 1 and "searchlib-opensearch@0" in result.stdout
    # A rebuild from the stored articles is the fix, as for a Whoosh index.
    assert Index.rebuild(opensearch_index_url).articles == 1
    assert Index.open(opensearch_index_url).get("a1").text == "Текст."


def test_missing_and_existing_indexes(opensearch_index_url: str) -> None:
    with pytest.raises(IndexNotFound):
        Index.open(opensearch_index_url)
    assert not Index.exists(opensearch_index_url)
    result = CliRunner().invoke(main, ["stats", "--index", opensearch_index_url])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: no index at {opensearch_index_url}: build one with "
                             f"`searchlib index PATH... --index {opensearch_index_url}`\n")
    Index.create(opensearch_index_url, replicas=0)
    with pytest.raises(IndexExists):
        Index.create(opensearch_index_url)
    assert Index.exists(opensearch_index_url)


@pytest.mark.parametrize("batch_size", [1, 2])
def test_replacements_in_consecutive_batches_follow_the_whoosh_rule(
        opensearch_index_url: str, tmp_path, batch_size: int) -> None:  # type: ignore[no-untyped-def]
    # Each batch is looked up while the one before is still being indexed: its decisions
    # must count as if it had landed.
    url = "https://news.example/story"
    items = [
        _article(1, "Перша версія."),
        _article(1, "Друга версія."),                             # same id: updated
        _article(1, "Друга версія."),                             # unchanged
        _article(2, "Стаття з адресою.", canonical_url=url),
        _article(3, "Стаття з адресою.", canonical_url=url),      # replaces a2 (same URL)
        replace(_article(3, "Стаття з адресою.", canonical_url=url), id="a5"),  # unchanged
        _article(4, "Інший текст.", canonical_url=url),           # replaces a3
        _article(2, "Стаття з адресою.", canonical_url=url),      # replaces a4
    ]
    local = Index.create(tmp_path / "index").add(items, batch_size=batch_size)
    remote = Index.create(opensearch_index_url, replicas=0).add(items, batch_size=batch_size)
    assert (remote.indexed, remote.updated, remote.unchanged) == (
        local.indexed, local.updated, local.unchanged)
    whoosh, cluster = Index.open(tmp_path / "index"), Index.open(opensearch_index_url)
    assert sorted(a.id for a in cluster.articles()) == sorted(a.id for a in whoosh.articles())
    assert cluster.find_by_url(url).id == whoosh.find_by_url(url).id


def test_check_finds_a_mapping_that_differs(opensearch_index_url: str) -> None:
    from opensearchpy import OpenSearch

    from searchlib.store.opensearch.mapping import index_body, new_meta

    base, alias = opensearch_index_url.rsplit("/", 1)
    body = index_body(new_meta(), replicas=0)
    del body["mappings"]["properties"]["domain"]
    body["mappings"]["properties"]["text_uk__s2"]["similarity"] = "BM25"
    body["aliases"] = {alias: {}}
    OpenSearch(base).indices.create(index=f"{alias}-handmade", body=body)
    report = Index.check(opensearch_index_url)
    assert not report.ok
    assert "mapping: field domain is missing" in report.problems
    assert any("text_uk__s2 has similarity 'BM25'" in p for p in report.problems)


def test_a_red_index_refuses_writes_in_one_line(opensearch_index_url: str) -> None:
    from opensearchpy import OpenSearch

    from searchlib.store.opensearch.mapping import index_body, new_meta

    base, alias = opensearch_index_url.rsplit("/", 1)
    body = index_body(new_meta(), replicas=0)
    # A primary that can never be allocated: the index is red from the start.
    body["settings"]["index"]["routing"] = {"allocation": {"require": {"_name": "nowhere"}}}
    body["aliases"] = {alias: {}}
    OpenSearch(base).indices.create(index=f"{alias}-red", body=body,
                                    params={"wait_for_active_shards": "0"})
    result = CliRunner().invoke(main, ["index", "samples/uk", "--index", opensearch_index_url])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: OpenSearch {opensearch_index_url}: index "
                                    f"{alias}-red is red")
    assert result.stderr.count("\n") == 1
    result = CliRunner().invoke(main, ["check", "--index", opensearch_index_url])
    assert result.exit_code == 1 and "is red" in result.stdout

