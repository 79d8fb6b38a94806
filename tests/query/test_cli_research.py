"""The research commands through click's CliRunner: exit codes, JSON/CSV on stdout, messages on
stderr, conflicting flags, and the same numbers as the library."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchlib.api import Index
from searchlib.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _run(runner: CliRunner, index_dir: Path, *args: str, code: int = 0, env=None):
    result = runner.invoke(main, [*args, "--index", str(index_dir)], env=env)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def test_search_options_json(runner, sample_index_dir: Path, sample_index: Index) -> None:
    result = _run(runner, sample_index_dir, "search", "*", "--sort", "-date", "--page", "2",
                  "--limit", "3", "--facets", "--json")
    record = json.loads(result.stdout)
    assert record["offset"] == 3 and len(record["hits"]) == 3 and record["sort"] == "-date"
    dates = [hit["published"] for hit in record["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert sum(record["facets"]["lang"].values()) == record["total"]
    assert record["total"] == sample_index.search("*").total == len(sample_index) - 2
    everything = json.loads(_run(runner, sample_index_dir, "search", "*", "--no-collapse",
                                 "--json").stdout)
    assert everything["total"] == len(sample_index) and everything["collapsed"] is False


def test_search_text_shows_duplicates_facets_and_did_you_mean(runner, sample_index_dir) -> None:
    out = _run(runner, sample_index_dir, "search", "троллейбус", "--facets").stdout
    assert "+1 near-duplicate" in out and "source: " in out
    out = _run(runner, sample_index_dir, "search", "троллйбуса").stdout
    assert "0 results" in out and "Did you mean: троллейбуса" in out


def test_search_explain_prints_the_parsed_query(runner, sample_index_dir) -> None:
    out = _run(runner, sample_index_dir, "search", "Канада", "--explain").stdout
    assert "text_uk:канада" in out and "text_ru:канада" in out


def test_page_and_offset_conflict(runner, sample_index_dir) -> None:
    result = _run(runner, sample_index_dir, "search", "x", "--page", "2", "--offset", "3",
                  code=2)
    assert "--page and --offset" in result.stderr


@pytest.mark.parametrize("query", ['title:"Канада', "(Канада OR Canada", "Канада AND Canada)",
                                   "autor:x", "a\x01b"])
def test_invalid_queries_exit_2_with_a_caret(runner, sample_index_dir, query: str) -> None:
    for command in ("search", "timeline", "export", "top-terms"):
        result = _run(runner, sample_index_dir, command, query, code=2)
        assert result.stderr.startswith("Error: invalid query") and "^" in result.stderr
        assert result.stdout == ""


def test_timeline_text_json_csv(runner, sample_index_dir) -> None:
    text = _run(runner, sample_index_dir, "timeline", "*", "--no-collapse").stdout
    assert "2025-06" in text and "█" in text
    record = json.loads(_run(runner, sample_index_dir, "timeline", "*", "--by", "month",
                             "--normalize", "--json").stdout)
    assert [b["start"] for b in record["buckets"]][0] == "2025-06-01"
    assert all(b["share"] == 1.0 for b in record["buckets"])
    rows = list(csv.DictReader(io.StringIO(
        _run(runner, sample_index_dir, "timeline", "Харьков", "--csv", "--no-collapse").stdout)))
    assert {r["start"]: int(r["count"]) for r in rows}["2025-07-01"] == 2


def test_json_and_csv_together_is_a_usage_error(runner, sample_index_dir) -> None:
    for command in (["timeline", "*"], ["top-terms", "*"], ["similar", "x"]):
        result = _run(runner, sample_index_dir, *command, "--json", "--csv", code=2)
        assert "--json and --csv" in result.stderr


def test_timeline_plot(runner, sample_index_dir, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "t.svg"
    result = _run(runner, sample_index_dir, "timeline", "*", "--plot", str(target))
    assert target.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "plot saved" in result.stderr
    bad = _run(runner, sample_index_dir, "timeline", "*", "--plot", str(tmp_path / "t.bmp"),
               code=2)
    assert ".png, .svg or .pdf" in bad.stderr


def test_export_jsonl_and_csv(runner, sample_index_dir, tmp_path, sample_index: Index) -> None:
    lines = _run(runner, sample_index_dir, "export", "*", "--no-collapse").stdout.splitlines()
    header = json.loads(lines[0])["provenance"]
    assert header["build_id"] == sample_index.meta["build_id"] and header["parsed"] == "*"
    rows = [json.loads(line) for line in lines[1:]]
    assert len(rows) == header["total"] == len(sample_index)
    sidecar = tmp_path / "prov.json"
    result = _run(runner, sample_index_dir, "export", "Харьков", "--format", "csv", "--fields",
                  "id,published,authors,group", "--provenance", str(sidecar))
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(table[0]) == ["id", "published", "authors", "group"]
    assert len(table) == json.loads(sidecar.read_text(encoding="utf-8"))["total"] == \
        sample_index.search("Харьков").total
    assert "exported" in result.stderr
    bad = _run(runner, sample_index_dir, "export", "*", "--fields", "id,nope", code=2)
    assert "unknown export field(s) nope" in bad.stderr


def test_top_terms_similar_suggest(runner, sample_index_dir, sample_index: Index) -> None:
    record = json.loads(_run(runner, sample_index_dir, "top-terms", "Харьков", "--json").stdout)
    assert record["terms"]["ru"] and record["matches"]["ru"] == 2
    uk = sample_index.search("Канада", lang="uk").hits[0].id
    similar = json.loads(_run(runner, sample_index_dir, "similar", uk, "--json").stdout)
    assert {a["lang"] for a in similar["articles"] if a["reason"] == "translation"} == \
        {"ru", "en"}
    rows = list(csv.DictReader(io.StringIO(
        _run(runner, sample_index_dir, "similar", uk, "--csv").stdout)))
    assert rows[0]["reason"] == "translation"
    missing = _run(runner, sample_index_dir, "similar", "no-such-id", code=1)
    assert "no article with id 'no-such-id'" in missing.stderr
    fixed = _run(runner, sample_index_dir, "suggest", "sanctoins").stdout.strip()
    assert fixed == "sanctions"


def test_no_colour_without_a_terminal_or_with_no_color(runner, sample_index_dir) -> None:
    out = _run(runner, sample_index_dir, "search", "Канада", env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in out and "[Канад" in out


def test_every_command_has_an_example(runner) -> None:
    for name in ("search", "timeline", "top-terms", "similar", "suggest", "export"):
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Example: searchlib " + name in result.stdout


def test_hostile_queries_exit_2_fast(runner, sample_index_dir) -> None:
    for query in ("Канада " * 200_000, "(" * 5000, "\x07", "published:[nonsense TO x]"):
        result = _run(runner, sample_index_dir, "search", query, code=2)
        assert result.stderr.startswith("Error: invalid query")
        assert len(result.stderr) < 2000  # the message quotes the query, never all of it
    everything = json.loads(_run(runner, sample_index_dir, "search", "*", "--json").stdout)
    assert everything["parsed"] == "*" and everything["total"] > 10
