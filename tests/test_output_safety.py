"""Issue 19, item 9: article text cannot drive the terminal or a spreadsheet.

Text output drops control characters (ESC sequences: clear screen, window title, OSC 8 links;
C1 controls; bidi overrides) that came from articles; `--json` keeps the data exact (escaped);
CSV cells a spreadsheet would run as a formula get a leading ``'`` unless `--csv-raw`. Real
index, real subprocesses.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;owned\x07"
LINK = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"
RTL = "\u202e"
CSI = "\x9b31m"
HOSTILE = [CLEAR, TITLE, LINK, RTL, CSI, "\r", "\x08"]
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\u202e", "\r", "\x08")
FORMULAS = {"f1": "=HYPERLINK(\"https://evil.example\",\"x\")", "f2": "+1+1", "f3": "-2+3",
            "f4": "@SUM(A1)"}


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "searchlib", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("safety")
    records = [{"id": "esc", "title": f"Harbour {TITLE}news{RTL}", "lang": "en",
                "source": f"evil{CLEAR}.example", "authors": [f"Ann {CSI}Lee"],
                "text": "The harbour reopened. " + " ".join(HOSTILE) + " harbour again."}]
    records += [{"id": key, "title": value, "text": f"The harbour story {key}.", "lang": "en"}
                for key, value in FORMULAS.items()]
    source = folder / "hostile.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = _cli("index", source, "--index", folder / "index")
    assert result.returncode == 0, result.stderr
    return folder / "index"


@pytest.mark.parametrize("command", [["search", "harbour", "--limit", "10"],
                                     ["search", "harbour", "--facets"],
                                     ["show", "esc"],
                                     ["similar", "f1"],
                                     ["top-terms", "harbour"]])
def test_text_output_carries_no_control_characters(index_dir: Path, command: list[str]) -> None:
    result = _cli(*command, "--index", index_dir)
    assert result.returncode == 0, result.stderr
    for char in FORBIDDEN:
        assert char not in result.stdout, (command, repr(char))
    if command[0] == "show":
        # The visible text stays: only the control characters went.
        assert "Harbour ]0;ownednews" in result.stdout
        assert "]8;;https://evil.exampleclick]8;;" in result.stdout


def test_json_keeps_the_text_exact(index_dir: Path) -> None:
    result = _cli("show", "esc", "--index", index_dir, "--json")
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "\\u001b" in result.stdout  # escaped by JSON
    article = json.loads(result.stdout)
    assert article["title"] == f"Harbour {TITLE}news{RTL}"
    assert article["text"] == "The harbour reopened. " + " ".join(HOSTILE) + " harbour again."


def _rows(text: str) -> dict[str, str]:
    return {row["id"]: row["title"] for row in csv.DictReader(io.StringIO(text))}


def test_csv_export_neutralises_formula_cells(index_dir: Path) -> None:
    result = _cli("export", "harbour", "--index", index_dir, "--format", "csv",
                  "--fields", "id,title")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert {key: rows[key] for key in FORMULAS} == {key: "'" + v for key, v in FORMULAS.items()}
    assert rows["esc"] == f"Harbour {TITLE}news{RTL}"  # not a formula: unchanged

    raw = _cli("export", "harbour", "--index", index_dir, "--format", "csv",
               "--fields", "id,title", "--csv-raw")
    assert {key: _rows(raw.stdout)[key] for key in FORMULAS} == FORMULAS


def test_csv_of_similar_neutralises_titles_too(index_dir: Path) -> None:
    result = _cli("similar", "esc", "--index", index_dir, "--csv", "--limit", "10")
    assert result.returncode == 0, result.stderr
    titles = {row["id"]: row["title"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert titles and all(titles[key] == "'" + FORMULAS[key] for key in titles)
