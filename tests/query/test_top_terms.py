"""Issue 18 item 10: top-terms numbers are article counts over all matches, not over a sample,
checked against regular expressions over the same real articles, and labelled as such in the
library, JSON, CSV and terminal outputs."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from click.testing import CliRunner

from searchlib.api import Index
from searchlib.cli import main
from searchlib.model import Article, Lang
from searchlib.query.terms import SAMPLE

QUERY = "=России"
MATCHING = re.compile(r"(?<!\w)России(?!\w)")
FORMS = {
    "путин": r"(?<!\w)Путин(?:а|у|ым|е)?(?!\w)",
    "рф": r"(?<!\w)РФ(?!\w)",
}
"""Top terms of the query and every form of each (regexes over title, lead and text)."""


def _expected(articles: list[Article]) -> tuple[int, dict[str, int]]:
    matching = [a for a in articles if a.lang is Lang.RU
                and MATCHING.search(f"{a.title}\n{a.lead or ''}\n{a.text}")]
    counts = {term: sum(1 for a in matching
                        if re.search(pattern, f"{a.title}\n{a.lead or ''}\n{a.text}"))
              for term, pattern in FORMS.items()}
    return len(matching), counts


def test_counts_are_over_all_matches(research_index: Index,
                                     research_articles: list[Article]) -> None:
    matching, counts = _expected(research_articles)
    assert matching == 810 and counts == {"путин": 213, "рф": 293}
    result = research_index.top_terms(QUERY, limit=40, collapse=False)
    assert result.matches["ru"] == matching
    assert result.sampled["ru"] == SAMPLE < matching  # the candidates came from a sample...
    terms = {t.term: t for t in result.terms["ru"]}
    for term, expected in counts.items():  # ... the counts did not
        assert terms[term].articles == expected, term
        assert terms[term].share == expected / matching
    assert max(t.articles for t in result.terms["ru"]) > SAMPLE


def test_outputs_say_what_the_numbers_count(research_index_dir: Path,
                                            research_articles: list[Article]) -> None:
    matching, counts = _expected(research_articles)
    runner = CliRunner()
    args = ["top-terms", QUERY, "--lang", "ru", "--no-collapse", "--limit", "40",
            "--index", str(research_index_dir)]
    record = json.loads(runner.invoke(main, [*args, "--json"]).stdout)
    assert record["articles_counted_in"] == "all matches"
    assert record["matches"] == {"ru": matching} and record["sampled"] == {"ru": SAMPLE}
    assert {t["term"]: t["articles"] for t in record["terms"]["ru"]
            if t["term"] in counts} == counts
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*args, "--csv"]).stdout)))
    assert {row["matching"] for row in rows} == {str(matching)}
    assert {row["term"]: int(row["articles"]) for row in rows if row["term"] in counts} == counts
    text = runner.invoke(main, args).stdout
    assert text.splitlines()[0] == (f"ru: {matching} matching articles, each word counted in all "
                                    f"of them (candidate words from the best {SAMPLE})")
