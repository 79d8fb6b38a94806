"""The CLI of the store commands (delete, rebuild, check, optimize, --wait), through CliRunner,
and a locked index as a writer process sees it."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchlib.api import Index
from searchlib.cli import main

HOLDER = """
import sys
from searchlib.api import Index
from searchlib.model import Article

def articles():
    yield Article(id="held", title="Held", text="Held by another writer.")
    print("holding", flush=True)
    sys.stdin.readline()

Index.open(sys.argv[1]).add(articles())
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def index_dir(runner: CliRunner, samples_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ix"
    result = runner.invoke(main, ["index", str(samples_dir), "--index", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _json(result) -> dict:
    assert result.stdout.count("\n") == 1, result.stdout
    return json.loads(result.stdout)


def test_delete_by_id_and_url(runner: CliRunner, index_dir: Path) -> None:
    before = len(Index.open(index_dir))
    result = runner.invoke(main, ["delete", "jsonl-uk-1", "nope", "--url",
                                  "https://riga-daily.example/none", "--index", str(index_dir),
                                  "--json"])
    assert result.exit_code == 0, result.output
    assert _json(result) == {"deleted": ["jsonl-uk-1"],
                             "not_found": ["nope", "https://riga-daily.example/none"]}
    assert "not found: nope" in result.stderr
    assert len(Index.open(index_dir)) == before - 1

    article = next(a for a in Index.open(index_dir).articles() if a.canonical_url)
    result = runner.invoke(main, ["delete", "--url", article.canonical_url,
                                  "--index", str(index_dir)])
    assert result.exit_code == 0 and result.stdout == "deleted 1, not found 0\n"
    assert Index.open(index_dir).get(article.id) is None


def test_delete_that_matches_nothing_exits_1(runner: CliRunner, index_dir: Path) -> None:
    result = runner.invoke(main, ["delete", "missing-id", "--index", str(index_dir)])
    assert result.exit_code == 1
    assert result.stdout == "deleted 0, not found 1\n"
    usage = runner.invoke(main, ["delete", "--index", str(index_dir)])
    assert usage.exit_code == 2 and "give at least one ID or --url URL" in usage.stderr


def test_check_ok_and_damaged(runner: CliRunner, index_dir: Path) -> None:
    result = runner.invoke(main, ["check", "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    record = _json(result)
    assert record["ok"] is True and record["articles"] == len(Index.open(index_dir))

    segment = next(p for p in index_dir.iterdir() if p.suffix == ".seg")
    segment.write_bytes(b"\0" * 64)
    result = runner.invoke(main, ["check", "--index", str(index_dir)])
    assert result.exit_code == 1
    assert "problem:" in result.stdout and segment.stem in result.stdout
    assert "problem(s); checked" in result.stdout.rstrip().splitlines()[-1]
    assert "Traceback" not in result.output


def test_rebuild_from_stored_articles_and_from_paths(runner: CliRunner, index_dir: Path,
                                                    samples_dir: Path) -> None:
    count = len(Index.open(index_dir))
    result = runner.invoke(main, ["rebuild", "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    record = _json(result)
    assert (record["source"], record["articles"], record["previous_articles"]) == (
        "stored", count, count)

    result = runner.invoke(main, ["rebuild", str(samples_dir / "articles.jsonl"),
                                  "--index", str(index_dir), "--batch-size", "2",
                                  "--allow-shrink"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"rebuilt {index_dir}: 6 articles (before: {count})")
    assert len(Index.open(index_dir)) == 6
    search = runner.invoke(main, ["search", "Riga", "--index", str(index_dir), "--json"])
    assert search.exit_code == 0 and json.loads(search.stdout)["total"] >= 1


def test_optimize(runner: CliRunner, index_dir: Path) -> None:
    runner.invoke(main, ["delete", "jsonl-en-1", "--index", str(index_dir)])
    result = runner.invoke(main, ["optimize", "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    record = _json(result)
    assert record["segments_after"] == 1 and record["articles"] == len(Index.open(index_dir))
    check = Index.check(index_dir)
    assert check.documents == check.articles


def test_locked_index_names_the_holder_and_wait_is_offered(runner: CliRunner,
                                                           index_dir: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(index_dir)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        for command in (["delete", "jsonl-en-1"], ["rebuild"],
                        ["delete", "jsonl-en-1", "--wait", "0.3"]):
            result = runner.invoke(main, [*command, "--index", str(index_dir)])
            assert result.exit_code == 1, (command, result.output)
            assert result.stderr.startswith(f"Error: index {index_dir} is locked by process "
                                            f"{holder.pid} on ")
            assert "(add) since 20" in result.stderr and "--wait SECONDS" in result.stderr
            assert "Traceback" not in result.output
        # Reading is never blocked by a writer.
        search = runner.invoke(main, ["search", "Канада", "--index", str(index_dir), "--json"])
        assert search.exit_code == 0 and json.loads(search.stdout)["total"] >= 1
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert Index.open(index_dir).get("jsonl-en-1") is not None


def test_bad_files_in_a_batch_are_reported_and_the_rest_indexed(
        runner: CliRunner, samples_dir: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    good = samples_dir / "en" / "kyivledger-ukraine-canada-action-plan.html"
    shutil.copy(good, inputs / good.name)
    (inputs / "empty.html").write_bytes(b"")
    packed = gzip.compress((samples_dir / "en" / "balticobserver-eu-sanctions-package.html")
                           .read_bytes())
    (inputs / "truncated.html.gz").write_bytes(packed[: len(packed) // 2])
    lines = (samples_dir / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    (inputs / "feed.jsonl").write_text("\n".join([lines[0], '{"id": broken', lines[1]]) + "\n",
                                       encoding="utf-8")
    index_dir = tmp_path / "ix"

    result = runner.invoke(main, ["index", str(inputs), "--index", str(index_dir),
                                  "--batch-size", "1", "--json"])

    assert result.exit_code == 0, result.output
    report = _json(result)
    assert (report["indexed"], report["failed"]) == (3, 3)
    failed = {(Path(f["source"]).name, f["line"]) for f in report["failures"]}
    assert failed == {("empty.html", None), ("truncated.html.gz", None), ("feed.jsonl", 2)}
    for name in ("empty.html", "truncated.html.gz", "feed.jsonl:2"):
        assert name in result.stderr
    assert {a.id for a in Index.open(index_dir).articles()} >= {"jsonl-uk-1", "jsonl-uk-2"}
    assert Index.check(index_dir).ok
