"""Research queries on a large index: are search options, facets, timelines, top terms,
did-you-mean, similar and export interactive?

Run: ``python -m benchmarks.research [--quick] [--size N] [--index DIR] [--repeat R]``.

Builds (or reuses, with ``--index``) a searchlib index of ``--size`` articles of the shared corpus
(`benchmarks._common.scaled_articles`: real texts, copies beyond the ~15.8k real ones; copies are
near-duplicates of their originals, so collapse has real work). For each query of a fixed set
(broad and narrow, uk/ru/en, and ``*``), it times in the same run:

- the **baseline**: plain Whoosh on the same index and the same parsed query,
  ``searcher.search(q, limit=10)`` (no snippets, no collapse, no exact total);
- `Index.search` (collapse, snippets, exact total), with ``facets=True``, with ``sort="-date"``;
- `Index.timeline(by="month")`, `Index.top_terms`, `Index.export` (streaming every row),
  `Index.suggest` on a misspelt word, `Index.similar` on the top hit; refusing ``a*``.

Prints a table of medians (ms) with the ratio to the baseline, and matches per query; asserts
correctness (timeline sum == search total == exported rows) so a broken pipeline cannot look
fast; ends with a JSON line (also written to benchmarks/out/).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._common import (
    Timer,
    corpus_available,
    load_corpus,
    machine,
    median,
    print_table,
    scaled_articles,
    sized_run_args,
    write_result,
)
from searchlib.api import Index
from searchlib.errors import QueryError
from searchlib.query.search import prepare

QUERIES = ("Україна", "уряд OR Зеленський", "Россия", "президент AND выборы", "government",
           "shares AND profits", "*")
TYPO = "президнт"


def _time(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall milliseconds of `repeat` runs and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return median(times), result


def _baseline(index: Index, query: str) -> Callable[[], int]:
    def run() -> int:
        with index.searcher() as searcher:
            parsed, _ = prepare(searcher, query, None)
            return len(searcher.search(parsed, limit=10).top_n)
    return run


def _export_count(index: Index, query: str) -> int:
    with index.export(query, fields=["id", "published", "title"]) as exported:
        return sum(1 for _ in exported.rows())


def main(argv: list[str] | None = None) -> int:
    args = sized_run_args(__doc__.split("\n\n")[0], argv, quick_size=2000, full_size=20000)
    if not corpus_available():
        print("shared corpus not found; nothing to measure", file=sys.stderr)
        return 0
    size = args.size
    repeat = args.repeat
    folder = args.index or Path(tempfile.mkdtemp(prefix="searchlib-research-")) / "index"
    build_seconds = None
    if Index.exists(folder):
        index = Index.open(folder)
    else:
        articles = scaled_articles(load_corpus(), size)
        index = Index.create(folder)
        with Timer() as timer:
            index.add(articles, batch_size=2000)
        build_seconds = timer.wall
        print(f"indexed {len(index)} articles in {timer.wall:.0f} s", file=sys.stderr)
    articles_count = len(index)

    rows: list[list[Any]] = []
    record: dict[str, Any] = {"articles": articles_count, "repeat": repeat,
                              "build_seconds": build_seconds, "queries": {}}
    for query in QUERIES:
        base_ms, _ = _time(_baseline(index, query), repeat)
        search_ms, results = _time(lambda q=query: index.search(q), repeat)
        facets_ms, faceted = _time(lambda q=query: index.search(q, facets=True), repeat)
        sort_ms, _ = _time(lambda q=query: index.search(q, sort="-date"), repeat)
        timeline_ms, line = _time(lambda q=query: index.timeline(q, by="month"), repeat)
        terms_ms, _ = _time(lambda q=query: index.top_terms(q, limit=20), max(1, repeat // 2))
        export_ms, exported = _time(lambda q=query: _export_count(index, q), 1)
        total = results.total
        dated = sum(b.count for b in line.buckets) + line.undated
        if not (dated == total == exported == sum(faceted.facets["lang"].values())):
            print(f"MISMATCH for {query!r}: search {total}, timeline {dated}, export "
                  f"{exported}, lang facet {sum(faceted.facets['lang'].values())}",
                  file=sys.stderr)
            return 1
        uncollapsed = index.search(query, collapse=False).total
        rows.append([query, total, uncollapsed, base_ms, search_ms, search_ms / base_ms,
                     facets_ms, sort_ms, timeline_ms, terms_ms, export_ms])
        record["queries"][query] = {
            "matches": total, "matches_uncollapsed": uncollapsed, "baseline_ms": base_ms,
            "search_ms": search_ms, "facets_ms": facets_ms, "sort_ms": sort_ms,
            "timeline_ms": timeline_ms, "top_terms_ms": terms_ms, "export_ms": export_ms}
    print_table(f"Research queries on {articles_count} articles (median ms of {repeat} runs)",
                ["query", "matches", "no-collapse", "baseline", "search", "x base", "facets",
                 "-date", "timeline", "top-terms", "export all"], rows)

    suggest_ms, suggestion = _time(lambda: index.suggest(TYPO), repeat)
    top = index.search("Україна").hits[0].id
    similar_ms, similar = _time(lambda: index.similar(top), repeat)

    def refuse() -> bool:
        try:
            index.search("а*")
        except QueryError:
            return True
        return False

    refuse_ms, refused = _time(refuse, repeat)
    print_table("Other operations", ["operation", "median ms", "result"], [
        ["suggest " + TYPO, suggest_ms, suggestion.suggestion],
        ["similar (top hit of Україна)", similar_ms, len(similar.articles)],
        ["search а* (refused or run)", refuse_ms, "refused" if refused else "ran"],
    ])
    record.update({"suggest_ms": suggest_ms, "suggestion": suggestion.suggestion,
                   "similar_ms": similar_ms, "wildcard_ms": refuse_ms,
                   "wildcard_refused": refused, "machine": machine()})
    write_result("research", record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
