"""Driver for the crash tests: index a JSONL file in batches, announcing each durable commit.

Usage: python crash_driver.py INDEX_DIR INPUT.jsonl BATCH_SIZE [add|rebuild]

Prints `started` once the index is open, then after each commit `committed <k>`, where the first
k records of the input are in the index (the test input has unique ids and URLs, so every record
read before a commit was written by it, or was already indexed and skipped as unchanged).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from searchlib.api import Index
from searchlib.ingest import read_articles
from searchlib.model import Article, Failure


def main() -> None:
    index_dir, source, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "add"
    consumed = 0

    def counted() -> Iterator[Article | Failure]:
        nonlocal consumed
        for item in read_articles([source]):
            consumed += 1
            yield item

    def on_commit(_written: int) -> None:
        print(f"committed {consumed}", flush=True)

    if mode == "rebuild":
        print("started", flush=True)
        Index.rebuild(index_dir, counted(), batch_size=batch_size, on_commit=on_commit)
    else:
        index = Index.open_or_create(index_dir)
        print("started", flush=True)
        index.add(counted(), batch_size=batch_size, on_commit=on_commit)
    print(f"done {consumed}", flush=True)


if __name__ == "__main__":
    main()
