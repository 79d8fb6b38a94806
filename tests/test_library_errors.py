"""Issue 18 items 12 and 14: every library error is a `SearchlibError`, options accept the
obvious types, `add` treats articles as `read_articles` does, and the CLI's exit codes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchlib
from searchlib import (
    Article,
    ArticleNotFound,
    IndexExists,
    InputError,
    OptionError,
    SearchlibError,
)
from searchlib.api import Index
from searchlib.cli import main
from searchlib.ingest import read_articles
from searchlib.model import Lang
from searchlib.query import Filters, SearchOptions


def _dated_total(articles: list[Article], since: datetime) -> int:
    """Russian articles published on or after `since`, counted from the list itself."""
    return sum(1 for a in articles if a.lang is Lang.RU and a.published and a.published >= since)


def test_dates_as_iso_strings_dates_and_datetimes(research_index: Index,
                                                  research_articles: list[Article]) -> None:
    since = datetime(2018, 3, 1, tzinfo=UTC)
    expected = _dated_total(research_articles, since)
    assert expected > 5
    options = {"lang": "ru", "collapse": False, "limit": 1}
    for value in ("2018-03-01", date(2018, 3, 1), since, datetime(2018, 3, 1),
                  "2018-03-01T03:00:00+03:00"):
        assert research_index.search("*", since=value, **options).total == expected, value
    until = date(2018, 2, 28)
    before = sum(1 for a in research_articles if a.lang is Lang.RU and a.published
                 and a.published.date() <= until)
    assert research_index.search("*", until="2018-02-28", **options).total == before
    assert Filters.of(since="2018-03-01").since == since


@pytest.mark.parametrize(("keywords", "message"), [
    ({"since": "yesterday"}, "since='yesterday' is not a date"),
    ({"until": 20180101}, "until=20180101 is not a date"),
    ({"lang": "de"}, "lang='de' is not a language"),
    ({"lang": 7}, "lang=7"),
    ({"source": 3}, "source=3 must be a string"),
    ({"limit": -1}, "limit=-1 must be an integer >= 0"),
    ({"offset": -1}, "offset=-1"),
    ({"limit": "10"}, "limit='10'"),
    ({"sort": "newest"}, "unknown sort"),
])
def test_bad_option_values_raise_option_errors(sample_index: Index, keywords: dict,
                                               message: str) -> None:
    with pytest.raises(OptionError, match=message) as caught:
        sample_index.search("Канада", **keywords)
    assert isinstance(caught.value, SearchlibError)


def test_the_error_tree_is_exported() -> None:
    for name in ("IndexExists", "ArticleNotFound", "OptionError", "NotAnArticle"):
        assert name in searchlib.__all__ and issubclass(getattr(searchlib, name), SearchlibError)


def test_create_over_an_index_raises_index_exists(sample_index_dir: Path) -> None:
    with pytest.raises(IndexExists):
        Index.create(sample_index_dir)


def test_add_refuses_what_is_not_an_article(fresh_index: Index,
                                            research_articles: list[Article]) -> None:
    record = research_articles[0].to_json()
    with pytest.raises(InputError, match="item 2: expected an Article .* got dict"):
        fresh_index.add([research_articles[1], record])
    # What came before the bad item is kept, as for any exception inside `add`.
    assert fresh_index.get(research_articles[1].id) is not None


def test_add_detects_the_language_as_read_articles_does(
        fresh_index: Index, research_articles: list[Article], tmp_path: Path) -> None:
    chosen = [a for a in research_articles if a.lang is Lang.UK][:5] + \
        [a for a in research_articles if a.lang is Lang.RU][:5] + \
        [a for a in research_articles if a.lang is Lang.EN][:5]
    jsonl = tmp_path / "no-lang.jsonl"
    with jsonl.open("w", encoding="utf-8") as out:
        for article in chosen:
            record = article.to_json()
            record["lang"] = None
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    read = {a.id: a.lang for a in read_articles([jsonl])}
    report = fresh_index.add([replace(a, lang=None) for a in chosen])
    assert report.indexed == len(chosen)
    stored = {a.id: fresh_index.get(a.id).lang for a in chosen}
    assert stored == read == {a.id: a.lang for a in chosen}
    # A language code as a string is accepted too; the article is found in its language.
    fresh_index.add([replace(chosen[0], id="as-string", lang="uk")])
    assert fresh_index.get("as-string").lang is Lang.UK


def test_add_refuses_empty_text_as_read_articles_does(fresh_index: Index,
                                                      tmp_path: Path) -> None:
    jsonl = tmp_path / "empty.jsonl"
    jsonl.write_text('{"id": "e", "title": "Порожньо", "text": "  "}\n', encoding="utf-8")
    from_file = [str(f) for f in read_articles([jsonl])]
    reason = 'missing or empty "text" (each record needs the article text)'
    assert from_file == [f"{jsonl}:1: {reason}"]
    report = fresh_index.add([Article(id="e", title="Порожньо", text="  "),
                              Article(id="d", title="Deutsch", text="Hallo", lang="de")])
    assert [str(f) for f in report.failed] == [
        f"item 1: {reason}", "item 2: unsupported \"lang\" 'de'; expected one of uk, ru, en"]
    assert report.indexed == 0 and len(fresh_index) == 0


# -- exit codes (item 12) ------------------------------------------------------------------------


def test_unknown_ids_exit_1_for_show_and_similar(sample_index_dir: Path,
                                                 sample_index: Index) -> None:
    runner = CliRunner()
    for command in ("show", "similar"):
        result = runner.invoke(main, [command, "no-such-id", "--index", str(sample_index_dir)])
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr == (f"Error: no article with id 'no-such-id' in {sample_index_dir}; "
                                 "find ids with `searchlib search QUERY`\n")
    with pytest.raises(ArticleNotFound):
        sample_index.similar("no-such-id")


def test_an_offset_past_the_end_is_an_empty_page(sample_index_dir: Path,
                                                 sample_index: Index) -> None:
    runner = CliRunner()
    total = sample_index.search("Канада").total
    assert total > 0
    for extra in (["--offset", "500"], ["--page", "1000"], ["--offset", "99995"],
                  ["--offset", "5000000"]):
        result = runner.invoke(main, ["search", "Канада", "--json", *extra,
                                      "--index", str(sample_index_dir)])
        assert result.exit_code == 0, (extra, result.output)
        page = json.loads(result.stdout)
        assert page["hits"] == [] and page["total"] == total
    assert sample_index.search("Канада", SearchOptions(offset=10**9)).hits == ()


def test_bad_option_values_exit_2(sample_index_dir: Path) -> None:
    result = CliRunner().invoke(main, ["export", "Канада", "--fields", "id,nonsense",
                                       "--index", str(sample_index_dir)])
    assert result.exit_code == 2 and "unknown export field(s) nonsense" in result.stderr
