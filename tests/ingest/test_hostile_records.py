"""Issue 19, items 2, 6 and 10: one hostile record or page is refused with its reason, the rest
of its file is indexed, and nothing takes quadratic time.

Each case failed before the fix (a traceback that aborted the whole run, a silently dropped
rest of file, or minutes of work). CLI runs are real subprocesses; their `timeout` is only a
guard against the old minutes-long behaviour, not a speed assertion.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ingest_pages import EN_TEXT, article_page

from searchlib.api import Index
from searchlib.errors import InputError
from searchlib.ingest import extract_article, read_articles
from searchlib.model import Article, Failure, Lang


def _cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "searchlib", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def _good(n: int) -> dict:
    return {"id": f"good{n}", "title": f"Harbour story {n}",
            "text": f"The harbour of Odesa reopened on day {n} after repairs.", "lang": "en"}


HOSTILE_LINES = {
    # line number in the file -> (the JSON line, the reason the failure must give)
    2: (json.dumps({**_good(90), "id": "t", "text": "Harbour \ud800 text"}),
        '"text" holds a lone surrogate'),
    4: (json.dumps({**_good(91), "id": "bad\ud800"}), '"id" holds a lone surrogate'),
    5: (json.dumps({**_good(92), "id": "y1", "published": "0001-01-01T00:00:00+05:00"}),
        "out of range once converted to UTC"),
    6: (json.dumps({**_good(93), "id": "y9", "published": "9999-12-31T23:59:59-05:00"}),
        "out of range once converted to UTC"),
    7: (json.dumps({**_good(94), "id": "y9z", "published": "9999-12-31"}),
        "outside the years 1800-2100"),
    8: ("[" * 100_000, "JSON nested too deeply"),
}


def _hostile_file(path: Path) -> set[str]:
    """A JSONL file mixing good records and `HOSTILE_LINES`; returns the good ids."""
    lines, good = [], set()
    for number in range(1, 12):
        if number in HOSTILE_LINES:
            lines.append(HOSTILE_LINES[number][0])
        else:
            lines.append(json.dumps(_good(number)))
            good.add(f"good{number}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return good


def test_hostile_jsonl_records_are_refused_one_by_one(tmp_path: Path) -> None:
    good = _hostile_file(tmp_path / "mixed.jsonl")
    index_dir = tmp_path / "index"
    result = _cli("index", tmp_path / "mixed.jsonl", "--index", index_dir, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["indexed"] == len(good) == 5
    reasons = {f["line"]: f["reason"] for f in report["failures"]}
    assert set(reasons) == set(HOSTILE_LINES)
    for number, (_, reason) in HOSTILE_LINES.items():
        assert reason in reasons[number], (number, reasons[number])
    index = Index.open(index_dir)
    assert {a.id for a in index.articles()} == good  # incl. the lines after the "[[[" line

    # Search, show and export of the harbour articles all work (a surrogate once broke them).
    search = _cli("search", "harbour", "--index", index_dir, "--limit", "20")
    assert search.returncode == 0 and "5 results" in search.stdout, search.stderr
    export = _cli("export", "harbour", "--index", index_dir, "--format", "csv")
    assert export.returncode == 0 and len(export.stdout.splitlines()) == 1 + 5
    assert _cli("show", "good11", "--index", index_dir).returncode == 0


def test_an_article_with_a_lone_surrogate_is_a_failure_not_a_poisoned_index(
        fresh_index: Index) -> None:
    report = fresh_index.add([
        Article(id="ok", title="Harbour", text="The harbour reopened.", lang=Lang.EN),
        Article(id="bad", title="Harbour", text="The harbour \udc80 reopened.", lang=Lang.EN,
                path="feed.jsonl"),
    ])
    assert report.indexed == 1 and len(report.failed) == 1
    assert report.failed[0].source == "feed.jsonl"
    assert '"text" of article' in report.failed[0].reason
    assert [hit.id for hit in fresh_index.search("harbour").hits] == ["ok"]


def test_an_article_dated_year_9999_is_a_failure_and_timelines_work(fresh_index: Index) -> None:
    far = datetime(9999, 12, 31, tzinfo=UTC)
    report = fresh_index.add([
        Article(id="ok", title="Harbour", text="The harbour reopened.", lang=Lang.EN,
                published=datetime(2025, 3, 1, tzinfo=UTC)),
        Article(id="far", title="Harbour", text="The harbour closed.", lang=Lang.EN,
                published=far),
        Article(id="old", title="Harbour", text="The harbour was built.", lang=Lang.EN,
                modified=datetime(1, 1, 1, tzinfo=UTC)),
    ])
    assert report.indexed == 1
    assert [f.reason for f in report.failed] == [
        '"published" 9999-12-31T00:00:00+00:00 is outside the years 1800-2100',
        '"modified" 0001-01-01T00:00:00+00:00 is outside the years 1800-2100']
    for by in ("day", "week", "month"):
        assert [b.count for b in fresh_index.timeline("harbour", by=by).buckets] == [1]


def test_extract_prints_no_traceback_for_hostile_records(tmp_path: Path) -> None:
    good = _hostile_file(tmp_path / "mixed.jsonl")
    result = _cli("extract", tmp_path / "mixed.jsonl")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert {json.loads(line)["id"] for line in result.stdout.splitlines()} == good


# ------------------------------------------------------------------------------ HTML pages


def _page(**kwargs) -> bytes:
    return article_page(**kwargs).encode("utf-8")


def test_a_page_declaring_charset_undefined_is_read_as_undeclared() -> None:
    page = _page(charset="undefined").replace("©".encode(), b"(c)")
    assert page.isascii()  # else it is read as UTF-8 before the declaration is looked at
    article = extract_article(page, url="https://news.example/a/1")
    assert "Bridge repair approved" in article.title and article.text


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_out_of_range_dates_in_meta_and_json_ld_are_ignored(date: str) -> None:
    meta = f'<meta property="article:published_time" content="{date}">'
    for page in (_page(head=meta), _page(json_ld={"@type": "NewsArticle", "datePublished": date,
                                                 "headline": "Bridge repair approved"})):
        article = extract_article(page, url="https://news.example/a/2")
        assert article.published is None and article.text


def test_json_ld_with_lone_surrogates_or_deep_nesting_still_gives_the_article() -> None:
    # A JSON "\ud800" escape in JSON-LD becomes U+FFFD, as a UTF-8 decoder would make it.
    raw = ('<script type="application/ld+json">{"@type": "NewsArticle", "description": '
           '"The council \\ud800agreed", "author": {"name": "Olena \\udc00Koval"}}</script>')
    article = extract_article(_page(head=raw), url="https://news.example/a/3")
    assert article.lead == "The council \ufffdagreed"
    assert article.authors == ("Olena \ufffdKoval",)
    deep = '<script type="application/ld+json">' + "[" * 100_000 + "</script>"
    assert extract_article(_page(head=deep), url="https://news.example/a/4").text


# -------------------------------------------------------------- quadratic work (item 10)


def test_a_record_with_100000_authors_is_indexed_with_the_first_100(tmp_path: Path) -> None:
    record = {**_good(1), "authors": [f"Author Number{n} Surname" for n in range(100_000)]}
    (tmp_path / "authors.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = _cli("index", tmp_path / "authors.jsonl", "--index", tmp_path / "index",
                  timeout=90)
    assert result.returncode == 0, result.stderr
    article = Index.open(tmp_path / "index").get("good1")
    assert article is not None and len(article.authors) == 100
    assert article.authors[:2] == ("Author Number0 Surname", "Author Number1 Surname")


def test_an_element_with_40000_attributes_is_refused_with_a_reason(tmp_path: Path) -> None:
    attributes = " ".join(f'data-a{n}="v"' for n in range(40_000))
    page = article_page().replace("<article>", f"<article><p {attributes}>Crowded.</p>")
    (tmp_path / "crowded.html").write_text(page, encoding="utf-8")
    (tmp_path / "fine.html").write_text(article_page(title="Harbour works begin"),
                                        encoding="utf-8")
    result = _cli("index", tmp_path, "--index", tmp_path / "index", "--json", timeout=90)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["indexed"] == 1
    assert [f["reason"] for f in report["failures"]] == [
        "an element with more than 2000 attributes; refusing a page that would take minutes "
        "to parse"]


def test_a_json_ld_graph_of_20000_objects_is_read_in_bounded_time(tmp_path: Path) -> None:
    graph = [{"@type": "NewsArticle", "headline": "Bridge repair approved",
              "articleBody": EN_TEXT * 400}]
    graph += [{"@type": "NewsArticle", "headline": f"Item {n}", "articleBody": "x"}
              for n in range(20_000)]
    page = article_page(json_ld={"@context": "https://schema.org", "@graph": graph})
    (tmp_path / "graph.html").write_text(page, encoding="utf-8")
    result = _cli("index", tmp_path / "graph.html", "--index", tmp_path / "index", "--json",
                  timeout=90)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["indexed"] == 1


def test_read_articles_reports_the_crowded_page_and_goes_on(tmp_path: Path) -> None:
    attributes = " ".join(f"a{n}" for n in range(2_500))  # bare names count too
    (tmp_path / "a.html").write_text(article_page().replace("<article>",
                                                            f"<article><p {attributes}>x</p>"),
                                     encoding="utf-8")
    (tmp_path / "b.html").write_text(article_page(), encoding="utf-8")
    crowded, fine = read_articles([tmp_path])
    assert isinstance(crowded, Failure) and "more than 2000 attributes" in crowded.reason
    assert isinstance(fine, Article)
    with pytest.raises(InputError, match="more than 2000 attributes"):
        extract_article((tmp_path / "a.html").read_bytes())
