"""Issue 21, "the researcher's day": count, timelines, terminal output, progress, metadata,
stats, unknown language, export fields, through the CLI on real shared-corpus articles.

Every expected number is computed here, independently of searchlib: a regex over title, lead
and text of `research_articles` (the articles the `research_index` holds).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from searchlib.cli import main


def _run(index_dir: Path, *args: str, code: int = 0):
    result = CliRunner().invoke(main, [*args, "--index", str(index_dir)])
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def _matching(articles: list, word: str) -> list:
    """The articles holding `word` as a whole word (any case), by regex."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    return [a for a in articles if pattern.search(f"{a.title}\n{a.lead or ''}\n{a.text}")]


# -- 4: count ----------------------------------------------------------------------------------


def test_count_prints_the_total_and_nothing_else(research_index_dir, research_articles) -> None:
    expected = _matching(research_articles, "Нафтогаз")
    assert len(expected) == 42  # 24 uk + 18 ru
    out = _run(research_index_dir, "count", "=Нафтогаз", "--no-collapse").stdout
    assert out == "42\n"
    by_lang = Counter(str(a.lang) for a in expected)
    out = _run(research_index_dir, "count", "=Нафтогаз", "--no-collapse", "--by", "lang").stdout
    assert out.splitlines() == ["42", *(f"{lang}\t{n}" for lang, n in by_lang.most_common())]
    assert by_lang == {"uk": 24, "ru": 18}
    record = json.loads(_run(research_index_dir, "count", "=Brexit", "--no-collapse",
                             "--by", "source", "--json").stdout)
    brexit = _matching(research_articles, "Brexit")
    assert record["total"] == len(brexit) == 171
    assert record["counts"] == dict(Counter(a.source for a in brexit))
    filtered = _run(research_index_dir, "count", "=Brexit", "--no-collapse", "--lang", "uk").stdout
    assert filtered == f"{sum(1 for a in brexit if a.lang == 'uk')}\n" == "50\n"


def test_count_equals_search_total_and_limit_0_prints_only_the_total(research_index_dir) -> None:
    counted = int(_run(research_index_dir, "count", "Нафтогаз").stdout)
    record = json.loads(_run(research_index_dir, "search", "Нафтогаз", "--limit", "0",
                             "--json").stdout)
    assert record["total"] == counted and record["hits"] == []
    out = _run(research_index_dir, "search", "Нафтогаз", "--limit", "0").stdout
    assert out == f"{counted} results for 'Нафтогаз'\n"


def test_count_by_tag_and_author_counts_each_value(tmp_path: Path) -> None:
    data = tmp_path / "a.jsonl"
    records = [{"id": str(n), "title": f"Зерно {n}", "text": "Експорт зерна через порт.",
                "lang": "uk", "tags": ["зерно", "порт"] if n % 2 else ["зерно"],
                "authors": ["Оксана Гребенюк"] if n < 3 else []} for n in range(5)]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    _run(tmp_path / "ix", "index", str(data))
    out = _run(tmp_path / "ix", "count", "зерно", "--by", "tag").stdout
    assert out.splitlines() == ["5", "зерно\t5", "порт\t2"]
    out = _run(tmp_path / "ix", "count", "зерно", "--by", "author", "--csv").stdout
    assert out.splitlines() == ["author,count", "Оксана Гребенюк,3"]


# -- 13: terminal output -----------------------------------------------------------------------


def test_search_header_says_which_results_are_shown(research_index_dir) -> None:
    total = int(_run(research_index_dir, "count", "=Brexit").stdout)
    out = _run(research_index_dir, "search", "=Brexit", "--page", "2").stdout
    assert out.splitlines()[0] == f"showing 11-20 of {total} results for '=Brexit'"
    assert out.count("\n 11. ") == 1 and "\n 20. " in out and "\n 21. " not in out


def test_partial_hits_are_not_announced_as_0_results(research_index_dir) -> None:
    out = _run(research_index_dir, "search", "Нафтогаз жирафоподібний").stdout
    first = out.splitlines()[0]
    assert first == ("no article has all the words of 'Нафтогаз жирафоподібний'; showing "
                     "articles with some of them")
    assert "0 results" not in out and "Нафтогаз" in out.splitlines()[2]


def test_batch_file_keeps_one_line_per_input_line(research_index_dir, tmp_path) -> None:
    queries = tmp_path / "q.txt"
    queries.write_text('=Нафтогаз\n\n{"id": "b", "query": "=Brexit"}\n   \n"unclosed\n',
                       encoding="utf-8")
    out = _run(research_index_dir, "search", "--queries-file", str(queries), "--json",
               "--no-collapse", "--limit", "1").stdout
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query_id"] for line in lines] == ["1", "2", "b", "4", "5"]
    assert [line["total"] for line in lines[:4]] == [42, 0, 171, 0]
    assert lines[1]["hits"] == [] and lines[3]["query"] == ""
    assert "error" in lines[4]
