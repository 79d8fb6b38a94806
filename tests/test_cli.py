"""The command-line contract, driven through click's CliRunner on real files and indexes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchlib.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_index_then_search_json(runner: CliRunner, samples_dir: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = tmp_path / "ix"
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    result = runner.invoke(main, ["index", str(samples_dir), "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("indexed ")
    assert result.stdout.endswith("; one process (SEARCHLIB_WORKERS=1)\n"), result.stdout
    result = runner.invoke(main, ["search", "Канада", "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["query"] == "Канада" and record["total"] >= 1
    assert set(record["hits"][0]) >= {"id", "score", "title", "url", "published", "lang",
                                      "source", "snippet"}
    again = runner.invoke(main, ["index", str(samples_dir), "--index", str(index_dir)])
    assert again.exit_code == 0
    assert "indexed 0, updated 0" in again.stdout


def test_index_option_from_environment(runner: CliRunner, sample_index_dir: Path) -> None:
    env = {"SEARCHLIB_INDEX": str(sample_index_dir)}
    result = runner.invoke(main, ["stats", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["articles"] >= 9


def test_search_text_output(runner: CliRunner, sample_index_dir: Path) -> None:
    result = runner.invoke(main, ["search", "Канада", "--index", str(sample_index_dir)])
    assert result.exit_code == 0
    assert "result" in result.stdout and "[Канад" in result.stdout


def test_missing_index_exits_1_with_a_message(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["search", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no index at" in result.stderr and "Traceback" not in result.stderr


def test_bad_query_exits_2(runner: CliRunner, sample_index_dir: Path) -> None:
    result = runner.invoke(main, ["search", "  ", "--index", str(sample_index_dir)])
    assert result.exit_code == 2
    assert "Error: invalid query" in result.stderr


def test_queries_file_batch(runner: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "q1", "query": "Канада"}\n{"id": 2, "query": "оборона"}\n',
                       encoding="utf-8")
    result = runner.invoke(main, ["search", "--queries-file", str(queries), "--json",
                                  "--index", str(sample_index_dir)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query_id"] for line in lines] == ["q1", "2"]
    assert all(line["total"] >= 1 for line in lines)


def test_extract_prints_every_field(runner: CliRunner, samples_dir: Path) -> None:
    result = runner.invoke(main, ["extract", str(samples_dir / "uk")])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) >= 3
    assert {"path", "id", "title", "text", "lang", "published", "authors", "tags", "url",
            "canonical_url", "source", "lead", "modified"} <= set(records[0])
    assert all(record["lang"] == "uk" for record in records)


def test_show(runner: CliRunner, sample_index_dir: Path) -> None:
    found = json.loads(runner.invoke(main, ["search", "Канада", "--json", "--index",
                                            str(sample_index_dir)]).stdout)
    article_id = found["hits"][0]["id"]
    result = runner.invoke(main, ["show", article_id, "--json", "--index", str(sample_index_dir)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == article_id
    missing = runner.invoke(main, ["show", "nope", "--index", str(sample_index_dir)])
    assert missing.exit_code == 1 and "no article" in missing.stderr


def test_index_of_nothing_readable_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "empty.html"
    bad.write_bytes(b"")
    result = runner.invoke(main, ["index", str(bad), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "empty.html" in result.stderr


def test_thousand_articles_and_hundred_queries(runner: CliRunner, tmp_path: Path) -> None:
    topics = ["Канада", "оборона", "зерно", "енергетика", "metro", "sanctions", "кібербезпека",
              "митниця", "порт", "вибори"]
    data = tmp_path / "articles.jsonl"
    with data.open("w", encoding="utf-8") as out:
        for n in range(1000):
            topic = topics[n % len(topics)]
            record = {"id": f"doc-{n}", "title": f"{topic} новина {n}",
                      "text": f"Стаття номер {n} розповідає про {topic} та інші події дня.",
                      "lang": "uk", "published": f"2025-{1 + n % 12:02d}-01"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    index_dir = tmp_path / "ix"
    result = runner.invoke(main, ["index", str(data), "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["indexed"] == 1000
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join(f"{topics[n % 10]} {n}" for n in range(100)), encoding="utf-8")
    result = runner.invoke(main, ["search", "--queries-file", str(queries), "--json",
                                  "--limit", "5", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 100
    assert answers[3]["total"] == 1 and answers[3]["hits"][0]["id"] == "doc-3"
