"""Load test of `searchlib serve` on loopback (issue 23): concurrent clients, latency, memory.

Run from the repository root::

    python -m benchmarks.web_load               # 15k articles, 20 clients for 30 s
    python -m benchmarks.web_load --quick       # 2k articles, 20 clients for 10 s
    python -m benchmarks.web_load --size 5000 --clients 20 --seconds 30
    python -m benchmarks.web_load --workers 1   # no library processes (default: one per core)
    python -m benchmarks.web_load --think-ms 1000   # each client pauses 1 s between requests
    python -m benchmarks.web_load --port 8760   # a fixed port (default: any free one)

Builds (once; kept in ``benchmarks/out/web-index-N``) an index of ``--size`` real articles of
``../shared/corpus/text`` (scaled as the other benchmarks do), starts ``searchlib serve`` on
127.0.0.1 as its own process, and measures in the same run:

- baseline: the library called in-process, one query at a time (`Index.search`, same queries,
  pages and facets as the HTTP requests): what the HTTP layer adds;
- one HTTP client: the same requests, one at a time;
- load, twice (a server without the answer cache, then one with the default 64 MB):
  ``--clients`` threads, each with its own keep-alive connection, sending requests back to back
  (no think time) for ``--seconds``: 50% a fixed set of 96 searches, 20% searches never sent
  before (a random ``since`` day), 10% /api/timeline, 10% /api/articles/{id}, 5%
  /api/similar/{id}, 5% /api/suggest. p50/p95/p99 per kind, requests per second, errors, the
  server's CPU seconds (user + sys of all its processes) and CPU milliseconds per request, its
  memory (PSS of all its processes) and the machine's load average sampled every second;
  ``--think-ms`` adds a pause after each answer (a person reading), the default 0 is the
  saturating back-to-back load the targets are defined on;
- export: one client streams ``/api/export?q=*`` (every article, with text) while the server's
  memory is sampled: rows must equal the index's article count and memory must not grow with them.

Correctness (exit status 1 otherwise, so a broken server cannot look fast): every answer is 200,
every search answer's total equals the library's total for that request, the export has one row
per article. Only loopback is ever contacted; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._common import (
    OUT_DIR,
    _tree_rss,
    _tree_sum,
    corpus_available,
    iter_scaled_articles,
    load_corpus,
    machine,
    median,
    percentile,
    print_table,
    write_result,
)
from benchmarks.performance import QUERIES

MIX = (("search", 50), ("search-new", 20), ("timeline", 10), ("article", 10), ("similar", 5),
       ("suggest", 5))
"""Share of each kind of request in the load, in percent. "search" repeats a fixed set of 96
searches (its totals are checked); "search-new" is never the same twice (a fixed query with a
random --since day), so no answer cache can serve it."""
P95_TARGET_MS = 150.0
_TOTAL = re.compile(rb'"total":(\d+)')


@dataclass
class Sample:
    endpoint: str
    ms: float
    ok: bool
    hit: bool
    """Answered from the server's answer cache (header X-Searchlib-Cache: hit)."""


@dataclass
class Load:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _search_path(query: str, page: int, facets: bool) -> str:
    params = {"q": query, "page": page, "limit": 10, "facets": str(facets).lower()}
    return "/api/search?" + urllib.parse.urlencode(params)


def _build(path: Path, size: int) -> float:
    from searchlib.api import Index

    if Index.exists(path):
        try:
            if len(Index.open(path)) == size:
                return 0.0
        except Exception as err:  # another version: build again
            print(f"rebuilding {path}: {err}", file=sys.stderr)
        import shutil

        shutil.rmtree(path)
    start = time.perf_counter()
    report = Index.create(path).add(iter_scaled_articles(load_corpus(), size))
    print(f"built {path}: {report.indexed} articles in {time.perf_counter() - start:.0f} s",
          file=sys.stderr)
    return time.perf_counter() - start


def _optimized(built: Path) -> Path:
    """A copy of the built index merged into one segment (made once)."""
    import shutil

    from searchlib.api import Index
    from searchlib.errors import SearchlibError

    path = built.with_name(built.name + "-optimized")
    try:
        current = Index.exists(path) and len(Index.open(path)) == len(Index.open(built))
    except SearchlibError as err:  # another version: made again
        print(f"rebuilding {path}: {err}", file=sys.stderr)
        current = False
    if not current:
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(built, path)
        print(f"optimized {path}: {Index.open(path).optimize()}", file=sys.stderr)
    return path


def _start_server(index: Path, cache_mb: int, workers: int, port: int,
                  ) -> tuple[subprocess.Popen, str, int]:
    process = subprocess.Popen([sys.executable, "-m", "searchlib", "serve", "--index",
                                str(index), "--port", str(port), "--cache-mb", str(cache_mb),
                                "--workers", str(workers)],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if " at http://" not in line:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    url = urllib.parse.urlsplit(line.split(" at ", 1)[1].split()[0])
    return process, url.hostname, url.port


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes, bool]:
    """Status, body and whether the answer came from the server's cache."""
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read(), response.getheader("X-Searchlib-Cache") == "hit"


def _client(host: str, port: int, number: int, deadline: float, requests: dict[str, list[str]],
            expected: dict[str, int], load: Load, think: float) -> None:
    rng = random.Random(number)
    kinds = [kind for kind, share in MIX for _ in range(share)]
    connection = http.client.HTTPConnection(host, port, timeout=60)
    while time.perf_counter() < deadline:
        kind = rng.choice(kinds)
        if kind == "search-new":
            day = (rng.randrange(1995, 2025), rng.randrange(1, 13), rng.randrange(1, 29))
            since = "{}-{:02d}-{:02d}".format(*day)
            path = "/api/search?" + urllib.parse.urlencode(
                {"q": rng.choice(QUERIES), "since": since, "limit": 10})
        else:
            path = rng.choice(requests[kind])
        start = time.perf_counter()
        try:
            status, body, hit = _get(connection, path)
        except (OSError, http.client.HTTPException) as err:
            with load.lock:
                load.errors.append(f"{path}: {err}")
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=60)
            continue
        ms = 1000 * (time.perf_counter() - start)
        ok = status == 200
        problem = None if ok else f"{path}: HTTP {status} {body[:200]!r}"
        if ok and kind == "search":
            found = _TOTAL.search(body)
            if not found or int(found.group(1)) != expected[path]:
                problem = f"{path}: total {found and found.group(1)} != {expected[path]}"
        with load.lock:
            load.samples.append(Sample(kind, ms, problem is None, hit))
            if problem:
                load.errors.append(problem)
        if think:
            time.sleep(min(think, max(0.0, deadline - time.perf_counter())))
    connection.close()


def _sampler(pid: int, stop: threading.Event, memory: list[float], load: list[float]) -> None:
    """Every second: the server's PSS (MB, all its processes) and the 1-minute load average."""
    while not stop.wait(1.0):
        memory.append(_tree_rss(pid) / 2**20)
        load.append(os.getloadavg()[0])


def _stats(values: list[float]) -> tuple[float, float, float]:
    return median(values), percentile(values, 95), percentile(values, 99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k articles, 10 s")
    parser.add_argument("--size", type=int, help="articles in the index (default 15000)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, help="load duration (default 30)")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1),
                        help="the server's library processes (`serve --workers`; default: one "
                             "per core, up to 4)")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="pause of each client after each answer (default 0: back to back)")
    parser.add_argument("--port", type=int, default=0,
                        help="the server's port on 127.0.0.1 (default 0: any free port)")
    parser.add_argument("--optimize", action="store_true",
                        help="serve a copy merged into one segment (`searchlib optimize`; kept "
                             "in benchmarks/out/web-index-N-optimized)")
    args = parser.parse_args()
    if not corpus_available():
        raise SystemExit("the shared corpus (../shared/corpus/text) is missing")
    size = args.size or (2000 if args.quick else 15000)
    seconds = args.seconds or (10.0 if args.quick else 30.0)
    index_path = OUT_DIR / f"web-index-{size}"
    build_seconds = _build(index_path, size)
    if args.optimize:
        index_path = _optimized(index_path)

    from searchlib.api import Index

    index = Index.open(index_path)
    combos = [(q, page, facets) for q in QUERIES for page in (1, 2) for facets in (False, True)]
    expected: dict[str, int] = {}
    library_ms: list[float] = []
    library_cpu_ms: list[float] = []
    ids: list[str] = []
    for _round in range(2):  # the first round warms the dictionaries and the page cache
        library_ms.clear()
        library_cpu_ms.clear()
        for query, page, facets in combos:
            start, cpu = time.perf_counter(), time.process_time()
            results = index.search(query, limit=10, offset=(page - 1) * 10, facets=facets)
            library_ms.append(1000 * (time.perf_counter() - start))
            library_cpu_ms.append(1000 * (time.process_time() - cpu))
            expected[_search_path(query, page, facets)] = results.total
            ids.extend(hit.id for hit in results.hits[:2])
    ids = sorted(set(ids))
    requests = {
        "search": list(expected),
        "timeline": ["/api/timeline?" + urllib.parse.urlencode({"q": q}) for q in QUERIES],
        "article": [f"/api/articles/{i}" for i in ids],
        "similar": [f"/api/similar/{i}" for i in ids[:40]],
        "suggest": ["/api/suggest?" + urllib.parse.urlencode({"q": q}) for q in QUERIES],
    }
    articles = len(index)
    del index

    runs: dict[str, dict[str, Any]] = {}
    rows = []
    export: dict[str, Any] = {}
    errors: list[str] = []
    for mode, cache_mb in (("no cache", 0), ("cache 64 MB", 64)):
        run = _run_server(index_path, cache_mb, args.clients, seconds, requests, expected,
                          with_export=not export, workers=args.workers,
                          think=args.think_ms / 1000, port=args.port)
        export = export or run.pop("export")
        errors += run.pop("error_list")
        runs[mode] = run
        for kind, numbers in run["endpoints"].items():
            rows.append([f"HTTP {args.clients} clients, {mode}: {kind}", numbers["requests"],
                         numbers["p50_ms"], numbers["p95_ms"], numbers["p99_ms"]])
    lib = _stats(library_ms)
    rows.insert(0, ["library in-process, 1 at a time: search", len(library_ms), *lib])
    one = runs["no cache"]["single_client_search_ms"]
    rows.insert(1, ["HTTP, 1 client, no cache: search", len(requests["search"]), one["p50"],
                    one["p95"], one["p99"]])
    think = f", {args.think_ms:g} ms think time" if args.think_ms else ", back to back"
    print_table(f"searchlib serve on loopback: {articles} articles in "
                f"{_segments(index_path)} segment(s), {args.workers} library "
                f"process(es), {args.clients} clients{think}, {seconds:.0f} s per run",
                ["what", "requests", "p50 ms", "p95 ms", "p99 ms"], rows)
    print(f"\nlibrary search CPU per call: p50 {median(library_cpu_ms):.1f} ms, p95 "
          f"{percentile(library_cpu_ms, 95):.1f} ms")
    for mode, run in runs.items():
        memory, load = run["memory_mb"], run["load_average"]
        print(f"\n{mode}: {run['requests_per_s']} requests/s; server CPU {run['server_cpu_s']} s "
              f"(user+sys, all processes) in {run['wall_s']} s wall = "
              f"{run['cpu_ms_per_request']} ms per request; cache hits "
              f"{run['cache_hit_rate']:.0%}; errors {run['errors']}; memory (PSS) "
              f"{memory['first_third']} MB in the first third, {memory['last_third']} MB in the "
              f"last third, max {memory['max']} MB; load average {load['min']}-{load['max']} "
              f"(mean {load['mean']})")
        if not args.think_ms:
            cores, cpu_ms = os.cpu_count() or 1, max(0.1, run["cpu_ms_per_request"])
            print(f"  estimate for an otherwise idle {cores}-core machine (Little's law from the "
                  f"CPU per request; the clients' own CPU not counted): "
                  f"{1000 * cores / cpu_ms:.0f} requests/s, mean latency "
                  f"{args.clients * cpu_ms / cores:.0f} ms")
    print(f"\nexport of every article: {export['rows']} rows, {export['mb']} MB in "
          f"{export['seconds']} s; server memory before / max during: "
          f"{export['memory_mb_before']} / {export['memory_mb_max']} MB")
    for error in errors[:10]:
        print("error:", error, file=sys.stderr)
    record = {
        "benchmark": "web_load", "articles": articles, "clients": args.clients,
        "seconds": seconds, "build_seconds": round(build_seconds, 1), "runs": runs,
        "library_search_ms": {"p50": round(lib[0], 1), "p95": round(lib[1], 1)},
        "library_search_cpu_ms": {"p50": round(median(library_cpu_ms), 1),
                                  "p95": round(percentile(library_cpu_ms, 95), 1)},
        "workers": args.workers, "think_ms": args.think_ms, "optimized": args.optimize,
        "segments": _segments(index_path),
        "export": export, "search_p95_target_ms": P95_TARGET_MS, "machine": machine(),
        "load_average": os.getloadavg(),
    }
    write_result("web_load", record)
    if errors or export["rows"] != articles:
        raise SystemExit(1)
    for mode, run in runs.items():
        for kind in ("search", "search-new"):
            p95 = run["endpoints"][kind]["p95_ms"]
            if p95 > P95_TARGET_MS:
                print(f"note: {mode}, {kind}: p95 {p95} ms is over the {P95_TARGET_MS} ms "
                      "target", file=sys.stderr)


def _run_server(index_path: Path, cache_mb: int, clients: int, seconds: float,
                requests: dict[str, list[str]], expected: dict[str, int], *,
                with_export: bool, workers: int, think: float, port: int) -> dict[str, Any]:
    """One server: warm-up, one client, the load, (the export); its numbers."""
    process, host, port = _start_server(index_path, cache_mb, workers, port)
    try:
        # Warm-up: every request once, each on a new connection, so that every worker
        # process accepts some (one keep-alive connection would warm one process only).
        for paths in requests.values():
            for path in paths:
                connection = http.client.HTTPConnection(host, port, timeout=60)
                _get(connection, path)
                connection.close()
        connection = http.client.HTTPConnection(host, port, timeout=60)
        single_ms = []
        for path in requests["search"]:
            start = time.perf_counter()
            _get(connection, path)
            single_ms.append(1000 * (time.perf_counter() - start))
        connection.close()
        load = Load()
        memory: list[float] = [_tree_rss(process.pid) / 2**20]
        load_average: list[float] = [os.getloadavg()[0]]
        stop = threading.Event()
        sampler = threading.Thread(target=_sampler,
                                   args=(process.pid, stop, memory, load_average))
        sampler.start()
        cpu_before = _tree_cpu(process.pid)
        deadline = time.perf_counter() + seconds
        threads = [threading.Thread(target=_client, args=(host, port, n, deadline, requests,
                                                          expected, load, think))
                   for n in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        wall = time.perf_counter() - started
        server_cpu = _tree_cpu(process.pid) - cpu_before
        stop.set()
        sampler.join()
        memory.append(_tree_rss(process.pid) / 2**20)
        export = _export(host, port, process.pid) if with_export else None
    finally:
        process.terminate()
        process.wait(timeout=30)
    endpoints: dict[str, Any] = {}
    for kind, _share in MIX:
        p50, p95, p99 = _stats([s.ms for s in load.samples if s.endpoint == kind])
        endpoints[kind] = {"requests": sum(1 for s in load.samples if s.endpoint == kind),
                           "cache_hits": sum(1 for s in load.samples
                                             if s.endpoint == kind and s.hit),
                           "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                           "p99_ms": round(p99, 1)}
    third = max(1, len(memory) // 3)
    one = _stats(single_ms)
    return {
        "endpoints": endpoints, "requests": len(load.samples),
        "cache_hit_rate": round(sum(s.hit for s in load.samples) / max(1, len(load.samples)), 2),
        "requests_per_s": round(len(load.samples) / wall, 1), "errors": len(load.errors),
        "server_cpu_s": round(server_cpu, 1), "wall_s": round(wall, 1),
        "cpu_ms_per_request": round(1000 * server_cpu / max(1, len(load.samples)), 1),
        "memory_mb_per_second": [round(m) for m in memory],
        "load_average": {"min": round(min(load_average), 1), "max": round(max(load_average), 1),
                         "mean": round(sum(load_average) / len(load_average), 1)},
        "single_client_search_ms": {"p50": round(one[0], 1), "p95": round(one[1], 1),
                                    "p99": round(one[2], 1)},
        "memory_mb": {"first_third": round(median(memory[:third])),
                      "last_third": round(median(memory[-third:])), "max": round(max(memory))},
        "export": export, "error_list": load.errors,
    }


def _segments(path: Path) -> int:
    from searchlib.api import Index

    with Index.open(path).searcher() as searcher:
        return len(searcher.reader().leaf_readers())


def _tree_cpu(root: int) -> float:
    """CPU seconds (user + sys) of a live process and its live descendants (the server's
    supervisor and worker processes), from /proc."""
    return (_tree_sum(root, 11, 1) + _tree_sum(root, 12, 1)) / os.sysconf("SC_CLK_TCK")


def _export(host: str, port: int, pid: int) -> dict[str, Any]:
    """Stream every article; count rows while sampling the server's memory."""
    memory = [_tree_rss(pid) / 2**20]
    connection = http.client.HTTPConnection(host, port, timeout=120)
    start = time.perf_counter()
    connection.request("GET", "/api/export?q=*&collapse=false&fields=id,published,title,text")
    response = connection.getresponse()
    rows = size = 0
    last = start
    first = json.loads(response.readline())
    if "provenance" not in first:
        raise SystemExit(f"the export did not start with its provenance: {first}")
    for line in response:
        rows += 1
        size += len(line)
        if time.perf_counter() - last > 0.5:
            memory.append(_tree_rss(pid) / 2**20)
            last = time.perf_counter()
    memory.append(_tree_rss(pid) / 2**20)
    connection.close()
    return {"rows": rows, "mb": round(size / 2**20, 1),
            "seconds": round(time.perf_counter() - start, 1),
            "memory_mb_before": round(memory[0]), "memory_mb_max": round(max(memory))}


if __name__ == "__main__":
    main()
