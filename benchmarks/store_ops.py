"""Cost of the store's safety features on the shared corpus: durable commits, the update scan,
check, optimize and an atomic rebuild, each next to its baseline in the same run.

Run: ``python -m benchmarks.store_ops [--quick] [--articles N]``.

Measurements (one index in a temporary folder, `SEARCHLIB_WORKERS=1` so that timings are of the
store and not of the parallel indexer):

1. **Durable commits**: add 400 articles in batches of 20 (20 commits) with `DurableStorage`
   (fsync of every file a commit wrote, then of the folder) against plain Whoosh `FileStorage`
   (the baseline), median of 3 rounds each, alternating; reports ms per commit.
2. **Re-adding unchanged articles**: `add` of the whole corpus again (every article skipped as
   unchanged), which reads id, hash and URL keys of every stored article (`_stored_keys`),
   against reading ids and hashes only (the lead's first version, `columns only`).
3. **check**, **optimize** (after deleting 1%), **rebuild** from the stored articles, against
   the time of the initial build.

Asserts the correctness numbers (every article skipped on re-add, `check` ok with the expected
count, the rebuild holding every article), so a broken store cannot look fast. Prints a table
and a JSON line (also written to benchmarks/out/).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("SEARCHLIB_WORKERS", "1")

from benchmarks._common import (  # noqa: E402 - the environment must be set first
    Timer,
    corpus_available,
    load_corpus,
    machine,
    median,
    print_table,
    write_result,
)
from searchlib.api import Index  # noqa: E402
from searchlib.store import files  # noqa: E402


def _commit_cost(base: Path, articles, *, durable: bool, round_: int) -> float:
    """Seconds per commit of 20-article batches."""
    files.DurableStorage.sync = durable
    try:
        index = Index.create(base / f"commits-{durable}-{round_}")
        commits = 0

        def count(_: int) -> None:
            nonlocal commits
            commits += 1

        with Timer() as timer:
            index.add(articles, batch_size=20, on_commit=count)
    finally:
        files.DurableStorage.sync = True
    return timer.wall / commits


def _columns_only(index: Index) -> int:
    with index.searcher() as searcher:
        reader = searcher.reader()
        ids = reader.column_reader("id")
        hashes = reader.column_reader("content_hash")
        return len({ids[n]: hashes[n] for n in reader.all_doc_ids()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles instead of all")
    parser.add_argument("--articles", type=int, help="use the first N corpus articles")
    args = parser.parse_args()
    if not corpus_available():
        print("shared corpus not found: nothing to measure", file=sys.stderr)
        return 1
    corpus = load_corpus()
    count = args.articles or (2000 if args.quick else len(corpus))
    articles = corpus[:count]
    rows: list[list[object]] = []
    record: dict[str, object] = {"machine": machine(), "articles": len(articles)}

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        sample = corpus[:400]
        durable, plain = [], []
        for round_ in range(3):
            durable.append(_commit_cost(base, sample, durable=True, round_=round_))
            plain.append(_commit_cost(base, sample, durable=False, round_=round_))
        rows.append(["commit, 20 articles (durable)", f"{median(durable) * 1000:.0f} ms",
                     f"{median(plain) * 1000:.0f} ms (no fsync)",
                     f"{median(durable) / median(plain):.2f}x"])
        record["commit_ms"] = {"durable": median(durable) * 1000, "plain": median(plain) * 1000}

        index = Index.create(base / "index")
        with Timer() as build:
            report = index.add(articles, batch_size=1000)
        stored = len(index)
        rows.append(["initial build", f"{build.wall:.1f} s", "", ""])

        with Timer() as readd:
            again = index.add(articles, batch_size=1000)
        if again.unchanged != len(articles) - len(report.failures):
            print(f"re-add did not skip everything: {again}", file=sys.stderr)
            return 1
        with Timer() as scan:
            keys = len(index._stored_keys()[1])
        with Timer() as columns:
            _columns_only(index)
        rows.append(["re-add, all unchanged", f"{readd.wall:.2f} s", "", ""])
        rows.append(["  stored keys (id, hash, canonical URL)", f"{scan.wall * 1000:.0f} ms",
                     f"{columns.wall * 1000:.0f} ms (id, hash)",
                     f"{scan.wall / columns.wall:.2f}x"])

        with Timer() as check_timer:
            check = Index.check(index.path)
        if not check.ok or check.articles != stored:
            print(f"check failed: {check.problems}", file=sys.stderr)
            return 1
        rows.append(["check", f"{check_timer.wall:.1f} s", f"{build.wall:.1f} s (build)",
                     f"{check_timer.wall / build.wall:.2f}x"])

        doomed = [a.id for a in articles[:: 100]]
        index.delete(doomed)
        with Timer() as optimize_timer:
            optimized = index.optimize()
        rows.append(["optimize (1% deleted)", f"{optimize_timer.wall:.1f} s",
                     f"{optimized.segments_before} -> {optimized.segments_after} segments", ""])

        with Timer() as rebuild_timer:
            rebuilt = Index.rebuild(index.path, batch_size=1000)
        if rebuilt.articles != stored - len(doomed) or not Index.check(index.path).ok:
            print(f"rebuild lost articles: {rebuilt}", file=sys.stderr)
            return 1
        rows.append(["rebuild from stored articles", f"{rebuild_timer.wall:.1f} s",
                     f"{build.wall:.1f} s (build)", f"{rebuild_timer.wall / build.wall:.2f}x"])

        record.update({
            "build_s": build.wall, "readd_s": readd.wall, "stored_keys_ms": scan.wall * 1000,
            "columns_only_ms": columns.wall * 1000, "url_keys": keys,
            "check_s": check_timer.wall, "optimize_s": optimize_timer.wall,
            "rebuild_s": rebuild_timer.wall, "stored": stored,
            "rebuilt": rebuilt.articles,
        })

    print_table(f"store operations, {len(articles)} articles", ["operation", "searchlib",
                "baseline", "ratio"], rows)
    write_result("store_ops", record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
