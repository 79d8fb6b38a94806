"""Issue 19 items 7 and 10 (fuzzy part): bounded query work, and a seeded fuzz of query strings.

Thousands of generated strings go through the library and a sample through the CLI: each ends
in a result or a `QueryError` (exit 2), never another exception or a traceback, and none takes
over 2 s on the research index. More cases on demand: ``SEARCHLIB_QUERY_FUZZ=20000``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchlib.api import Index
from searchlib.cli import main
from searchlib.errors import QueryError
from searchlib.query.parse import MAX_BOOST, MAX_FUZZY, MAX_SLOP, check_expansions

CASES = int(os.environ.get("SEARCHLIB_QUERY_FUZZ", "2000"))
SLOW = 2.0
"""Seconds any one query may take on the research index (issue 19's bound), in CPU time of
this process: on a shared 2-core machine the wall time of a 1 s top-terms run reached 3-4 s."""

WORDS = (
    "Москва Київ Киев Kyiv Зеленський Зеленского Zelensky Trump Трамп Байден Biden Brexit "
    "Брексит санкции санкції sanctions війна война war выборы вибори election газопровод "
    "pipeline Nord Stream Северный поток Північний Україна Украина Ukraine NATO COVID-19 "
    "the и в на и'я м'ясо Canada's 2018 2020 ng.ru bbc.co.uk"
).split()
SYNTAX = (
    "OR", "AND", "NOT", "(", ")", '"', "*", "?", "~", "~2", "~9", "~999999999999", "^2",
    "^nan", "^inf", "^1e308", "^-1", "^0", "title:", "text:", "source:", "lang:uk", "lang:de",
    "author:", "tag:", "published:2018", "published:[2018-01-01 TO 2018-03-31]",
    "published:[2018-03 TO]", "=", "-", "+", "\\", "/", ":", "[", "]", "{", "}", "😀", "\u200b",
    "\u0301", "ё", "ʼ", "’", "~/3", "*а", "а*", "?а", "!", ",", ".", "AND NOT", "TO",
)


def _query(rng: random.Random) -> str:
    """One generated query: real words, query syntax and stray characters, glued or spaced."""
    parts: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 3, 4, 6, 12, 40))):
        roll = rng.random()
        if roll < 0.5:
            parts.append(rng.choice(WORDS))
        elif roll < 0.85:
            parts.append(rng.choice(SYNTAX))
        else:
            parts.append("".join(chr(rng.choice((rng.randint(33, 126), rng.randint(0x400, 0x4FF),
                                                 rng.randint(0x2000, 0x2BFF))))
                                 for _ in range(rng.randint(1, 4))))
    glue = rng.choice((" ", " ", "", " "))
    return glue.join(parts)[:2000] or "x"


def _queries(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [_query(rng) for _ in range(count)]


def test_fuzz_queries_through_the_library(research_index: Index) -> None:
    slow: list[tuple[float, str]] = []
    refused = 0
    for number, text in enumerate(_queries(19, CASES)):
        started = time.process_time()
        try:
            if number % 25 == 0:
                research_index.top_terms(text, limit=5)
            elif number % 25 == 1:
                research_index.timeline(text, by="month")
            else:
                research_index.search(text, limit=5, facets=number % 7 == 0)
        except QueryError:
            refused += 1
        elapsed = time.process_time() - started
        if elapsed > SLOW:
            slow.append((round(elapsed, 2), text))
    assert slow == []
    assert 0 < refused < CASES  # both answers and refusals occur


def test_fuzz_queries_through_the_cli(research_index_dir: Path) -> None:
    runner = CliRunner()
    codes: set[int] = set()
    for number, text in enumerate(_queries(7, 60)):
        command = ("search", "top-terms", "timeline", "export", "suggest")[number % 5]
        result = runner.invoke(main, [command, text, "--index", str(research_index_dir)])
        assert result.exit_code in (0, 2), (command, text, result.output)
        assert "Traceback" not in result.output, (command, text)
        if result.exit_code == 2:  # a query starting with "-" may be read as an option
            assert "Error: " in result.stderr, (command, text, result.stderr)
        codes.add(result.exit_code)
    assert codes == {0, 2}


def test_hostile_queries_in_real_processes(research_index_dir: Path) -> None:
    for text in ("COVID-19^nanКиїв~9😀Москва", "Zelenskyxxyy~9", "санкции~999999999999"):
        for command in ("search", "top-terms"):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "searchlib", command, text, "--index",
                                   str(research_index_dir)], capture_output=True, text=True,
                                  timeout=60)
            assert done.returncode == 2, (command, text, done.stderr)
            assert done.stderr.startswith("Error: invalid query") and "Traceback" not in \
                done.stderr
            assert time.perf_counter() - started < 10


@pytest.mark.parametrize(("text", "reason"), [
    ("Zelenskyxxyy~9", f"a fuzzy edit distance of 9; at most {MAX_FUZZY}"),
    ("санкции~999999999999", "a fuzzy edit distance of 999999999999"),
    ("Москва~3", "a fuzzy edit distance of 3"),
    ('"Москва Киев"~99999999999', f"a phrase distance of 99999999999 words; the largest is "
                                  f"{MAX_SLOP}"),
    ("Москва^nan", f"boost ^nan is not a number above 0 and at most {MAX_BOOST:g}"),
    ("Москва^inf", "boost ^inf"),
    ("Москва^1e308", "boost ^1e308"),
    ("Москва^-5", "boost ^-5"),
    ("Москва^0", "boost ^0 "),
    ("Москва^5000", "boost ^5000"),
    ("*ство", "starts with a wildcard"),
    ("?ойна", "starts with a wildcard"),
])
def test_absurd_numbers_and_unbounded_terms_are_refused(research_index: Index, text: str,
                                                        reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(QueryError, match=reason.replace("^", r"\^").replace("*", r"\*")
                       .replace("?", r"\?")):
        research_index.search(text)
    assert time.perf_counter() - started < 1.0


def test_allowed_numbers_still_work(research_index: Index, research_articles: list) -> None:
    plain = research_index.search("Москва", collapse=False).total
    assert plain > 100
    assert research_index.search("Москва^2", collapse=False).total == plain
    assert research_index.search("Москва^0.5", collapse=False).total == plain
    assert research_index.search('"Москва Киев"~1000', collapse=False).total > 0
    # `Брексит~2` finds at least the articles that write `Брексит` as such (regex count).
    import re

    written = sum(1 for a in research_articles
                  if re.search(r"(?<!\w)брексит(?!\w)", f"{a.title}\n{a.text}", re.I))
    assert written > 0
    assert research_index.search("Брексит~2", collapse=False, limit=1).total >= written


def test_the_postings_read_by_a_query_are_bounded(research_index: Index) -> None:
    with research_index.searcher() as searcher:
        from searchlib.query.parse import parse_query

        parsed = parse_query("=в OR =на OR =не", searcher.schema)
        check_expansions(parsed, searcher.reader(), "q")  # within the default bound
        with pytest.raises(QueryError, match="more than 1,000 article entries"):
            check_expansions(parsed, searcher.reader(), "q", postings=1000)


def test_many_repeated_words_stay_fast(research_index: Index) -> None:
    text = " ".join(["Москва Київ Trump санкции війна election"] * 25)
    started = time.perf_counter()
    result = research_index.search(text)
    assert time.perf_counter() - started < SLOW
    assert result.total == research_index.search(
        "Москва Київ Trump санкции війна election").total
