"""CPU of one uncached search in-process, as `/api/search` calls it (issue 23).

Run from the repository root::

    python -m benchmarks.search_cpu                         # the 15k one-segment index
    python -m benchmarks.search_cpu --index benchmarks/out/web-index-15000
    python -m benchmarks.search_cpu --dump answers.json     # every answer's JSON, to compare
    python -m benchmarks.search_cpu --keep-readers          # as a server's library process

The calls of `benchmarks.web_load`'s searches: the 24 benchmark queries x pages 1 and 2 x facets
off and on (96 calls), and 48 searches with a `since` day (a fixed random set, as the load's
never-repeated searches). Every call is made once to warm the process (dictionaries, chunk
tables, page cache), then `--rounds` times measured with `time.process_time` around
`Index.search(...).to_json()`; printed: the median and mean CPU ms per call of each kind (the
median over the rounds of each call first). `--dump` writes every answer's JSON (the library
call's `to_json()`, and each hit's unrounded score), so two versions of the code can be shown
to answer byte for byte the same.
The index is opened read-only and not changed (build it with `benchmarks.web_load`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks._common import OUT_DIR
from benchmarks.performance import QUERIES


def calls() -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, query, options) of every measured call."""
    found: list[tuple[str, str, dict[str, Any]]] = [
        ("search", query, {"limit": 10, "offset": (page - 1) * 10, "facets": facets})
        for query in QUERIES for page in (1, 2) for facets in (False, True)]
    rng = random.Random(23)
    for _ in range(48):
        day = (rng.randrange(1995, 2025), rng.randrange(1, 13), rng.randrange(1, 29))
        found.append(("search-since", rng.choice(QUERIES),
                      {"limit": 10, "since": "{}-{:02d}-{:02d}".format(*day)}))
    return found


def _answer(results: Any) -> dict[str, Any]:
    """An answer's JSON with its hits' scores unrounded (`Hit.to_json` rounds them)."""
    return {**results.to_json(), "scores": [repr(hit.score) for hit in results.hits]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, default=OUT_DIR / "web-index-15000-optimized")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dump", type=Path, help="write every answer's JSON here")
    parser.add_argument("--keep-readers", action="store_true",
                        help="reuse one reader between searches (`Store.keep_readers`, as "
                             "`searchlib serve`'s library processes do)")
    args = parser.parse_args()
    if not args.index.exists():
        raise SystemExit(f"{args.index} is missing: build it with benchmarks.web_load")

    from searchlib.api import Index
    from searchlib.query.search import SearchOptions

    index = Index.open(args.index)
    if args.keep_readers:
        index.keep_readers()
    todo = [(kind, query, SearchOptions().updated(**options)) for kind, query, options in calls()]
    answers = [_answer(index.search(query, options)) for _, query, options in todo]  # warm-up
    cpu: list[list[float]] = [[] for _ in todo]
    for _ in range(args.rounds):
        for number, (_, query, options) in enumerate(todo):
            start = time.process_time()
            index.search(query, options).to_json()
            cpu[number].append(1000 * (time.process_time() - start))
    per_call = [statistics.median(values) for values in cpu]
    print(f"index {args.index} ({len(index)} articles), {args.rounds} rounds, "
          f"{'one reader kept, ' if args.keep_readers else ''}"
          f"load average {os.getloadavg()[0]:.1f}")
    for kind in ("search", "search-since"):
        values = [ms for ms, (k, _, _) in zip(per_call, todo, strict=True) if k == kind]
        print(f"{kind:13} {len(values):3} calls: CPU ms per call median "
              f"{statistics.median(values):.2f}, mean {statistics.mean(values):.2f}")
    print(f"{'all':13} {len(per_call):3} calls: CPU ms per call median "
          f"{statistics.median(per_call):.2f}, mean {statistics.mean(per_call):.2f}")
    if args.dump:
        args.dump.write_text(json.dumps(answers, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"answers written to {args.dump}")


if __name__ == "__main__":
    main()
