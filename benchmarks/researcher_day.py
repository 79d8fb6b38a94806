"""Issue 21 item 8: do facets cost at most 2x the same search, and does a pasted 200-word
paragraph answer within 1 s?

Run: ``python -m benchmarks.researcher_day [--quick] [--size N] [--index DIR] [--repeat R]``.

Builds (or reuses, with ``--index``) an index of ``--size`` real shared-corpus articles
(`benchmarks._common.load_corpus`, 14,000 by default, 3,000 with ``--quick``). In the same run,
alternating, for each query of a fixed set it times `Index.search(q)` (the baseline) and
`Index.search(q, facets=True)`, and then searches with 200-word paragraphs cut from corpus
articles (uk, ru, en). Medians of wall and CPU (user+sys) time; asserts that the faceted search
gives the same total and that its language facet adds up to it. Prints a table and a JSON line
(also written to benchmarks/out/).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import (
    corpus_available,
    load_corpus,
    machine,
    median,
    print_table,
    sized_run_args,
    write_result,
)
from searchlib.api import Index

QUERIES = ("Україна", "санкции", "election", "Нафтогаз", "Brexit OR Брексит", "*")
WORDS = re.compile(r"\w+")


def _time(function: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _paragraph(text: str, words: int) -> str | None:
    found = WORDS.findall(text)
    return " ".join(found[:words]) if len(found) >= words else None


def main(argv: list[str] | None = None) -> int:
    args = sized_run_args(__doc__.split("\n\n")[0], argv, quick_size=3000, full_size=14000)
    if not corpus_available():
        print("the shared corpus is absent: nothing to measure", file=sys.stderr)
        return 1
    size = args.size
    repeat = args.repeat
    articles = load_corpus()[:size]
    folder = args.index or Path(tempfile.mkdtemp(prefix="researcher-day-")) / "index"
    if not Index.exists(folder):
        started = time.perf_counter()
        Index.create(folder).add(articles)
        print(f"built {folder}: {size} articles in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    index = Index.open(folder)
    rows, records = [], []
    for query in QUERIES:
        index.search(query, facets=True)  # warm caches and dictionaries once for both
        plain, faceted = [], []
        for _ in range(repeat):  # alternated: the same load for both
            plain.append(_time(lambda q=query: index.search(q)))
            faceted.append(_time(lambda q=query: index.search(q, facets=True)))
        total, with_facets = plain[-1][2].total, faceted[-1][2]
        if with_facets.total != total or sum(with_facets.facets["lang"].values()) != total:
            print(f"MISMATCH for {query!r}: {total} vs {with_facets.total}", file=sys.stderr)
            return 1
        wall = median([t[0] for t in plain]) * 1000
        facet_wall = median([t[0] for t in faceted]) * 1000
        cpu = median([t[1] for t in plain]) * 1000
        facet_cpu = median([t[1] for t in faceted]) * 1000
        rows.append([query, total, wall, facet_wall, facet_wall / wall, cpu, facet_cpu])
        records.append({"query": query, "total": total, "search_ms": wall,
                        "facets_ms": facet_wall, "ratio": facet_wall / wall,
                        "search_cpu_ms": cpu, "facets_cpu_ms": facet_cpu})
    print_table(f"facets vs the same search, {size} articles, median of {repeat} (ms)",
                ["query", "matches", "search", "+facets", "ratio", "cpu", "cpu+facets"], rows)
    pasted = []
    for lang in ("uk", "ru", "en"):
        source = next((a for a in reversed(articles) if str(a.lang) == lang
                       and _paragraph(a.text, 200)), None)
        if source is None:
            continue
        text = _paragraph(source.text, 200)
        index.search(text)
        timings = [_time(lambda t=text: index.search(t)) for _ in range(repeat)]
        pasted.append({"lang": lang, "words": 200, "total": timings[-1][2].total,
                       "hits": len(timings[-1][2].hits),
                       "wall_ms": median([t[0] for t in timings]) * 1000,
                       "cpu_ms": median([t[1] for t in timings]) * 1000})
    print_table("a pasted 200-word paragraph (ms)", ["lang", "matches", "hits", "wall", "cpu"],
                [[p["lang"], p["total"], p["hits"], p["wall_ms"], p["cpu_ms"]] for p in pasted])
    write_result("researcher_day", {
        "benchmark": "researcher_day", "articles": size, "repeat": repeat,
        "facets": records, "pasted": pasted, "machine": machine()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
