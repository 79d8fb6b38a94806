"""Engine benchmark (issue 22): the Whoosh engine and the OpenSearch engine (one node and three
nodes) in the same run: indexing, queries with snippets, export, and size per article.

Run from the repository root (needs Java 17 and the cached zip or Maven, see scripts/opensearch)::

    python -m benchmarks.engines --size 2000             # what fits on a loaded 2-core machine
    python -m benchmarks.engines --size 100000 --heap 2g  # the issue's size (hours here)
    # build once, then measure again and again on the same indexes (A/B of read-side code):
    python -m benchmarks.engines --size 20000 --engines whoosh,os1 \
        --cluster-dir /tmp/os-dev --keep /tmp/bench-20k --only export

The scaled corpus (`benchmarks._common`) is written once to ``corpus.jsonl``; each engine's index
is built by ``searchlib index corpus.jsonl --index LOCATION`` in a fresh process (the user's
path), the engines one after the other in the order ``--engines`` gives. The clusters are our
own (free loopback ports, `scripts/opensearch`, stopped at the end), so only this benchmark's
work runs on their JVMs. Reported per engine:

- indexing: docs/s (wall), CPU seconds of OUR process tree (user+sys of the ``searchlib index``
  process and its workers) and, separately, of the OpenSearch JVMs (``/proc/PID/stat``);
- size: bytes per article on disk (Whoosh folder; OpenSearch primaries after a flush, and all
  copies with the replica);
- queries: p50/p95 of top-10 results with our snippets over `performance.QUERIES` (median of
  ``--repeat`` rounds per query, after a warm-up round), this process's and the JVMs' CPU;
- export: rows/s of ``export`` streaming every match of a broad query (all fields).

``--cluster-dir DIR`` uses a running cluster started by ``scripts/opensearch --dir DIR``
(its URL and pids from DIR; left running) instead of starting one; ``--keep DIR`` keeps the
corpus and the built indexes (a Whoosh folder, the ``bench-SIZE`` index of that cluster) and
re-uses them when they hold ``--size`` articles, so later runs measure only the read side
(``--only queries|export``).

Correctness: exit 1 when an engine does not hold ``--size`` articles; the queries whose totals
differ from the first engine's are listed (the parity suite tests them; none are expected).
Prints a table and one JSON line (also written to ``benchmarks/out/``) with the load average
before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import (
    ROOT,
    Timer,
    corpus_available,
    folder_size,
    load_corpus,
    machine,
    median,
    percentile,
    print_table,
    write_result,
)
from benchmarks.performance import QUERIES, write_corpus

sys.path.insert(0, str(ROOT / "tests"))
from opensearch_cluster import (  # noqa: E402 - tests/ holds the cluster helper
    LocalCluster,
    cannot_start,
    cluster_folder,
    free_port_run,
)

EXPORT_QUERY = "Україна OR Украина OR Ukraine OR Россия OR Росія OR Russia OR год OR рік OR year"
"""A broad query (about half of the corpus) for the export rate."""
SHARD_GB = 30
"""Target primary shard size (OpenSearch's guidance: 10-50 GB per shard)."""
IDLE_S = 20
"""Seconds the fresh cluster is watched idle before indexing: the JVMs' own background CPU."""
NODE_CORES = 8
"""Cores of the node assumed by the sizing sheet's hours per node."""
TARGETS = {"indexing_vs_whoosh": 1.5, "query_p95_ms": 100.0, "export_rows_s": 5000.0}
ENGINES = ("whoosh", "os1", "os3")


def jvm_cpu(pids: list[int]) -> float:
    """CPU seconds (user+sys) used so far by the JVMs `pids` (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def start_cluster(nodes: int, heap: str, port: int) -> LocalCluster:
    http = free_port_run(nodes, port)
    cluster = LocalCluster(folder=cluster_folder(), nodes=nodes, http_port=http,
                           transport_port=free_port_run(nodes, http + 100))
    done = cluster.run("start", "--nodes", str(nodes), "--http-port", str(http),
                       "--transport-port", str(cluster.transport_port), "--heap", heap)
    if done.returncode:
        raise SystemExit(done.stderr.strip())
    return cluster


def index_with_cli(corpus: Path, location: str, env: dict[str, str]) -> dict[str, Any]:
    """``searchlib index`` in a fresh process: wall, CPU of its process tree, its report."""
    with Timer() as timer:
        done = subprocess.run([sys.executable, "-m", "searchlib", "index", str(corpus),
                               "--index", location, "--json"], capture_output=True, text=True,
                              env={**os.environ, **env}, cwd=ROOT)
        timer.stop()
    if done.returncode:
        raise SystemExit(f"indexing into {location} failed: {done.stderr.strip()[-500:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {"wall_s": timer.wall, "cpu_s": timer.cpu, "report": report}


def opensearch_size(cluster: LocalCluster, alias: str) -> tuple[int, int]:
    """Bytes of the primaries and of all copies of the index behind `alias`, after a flush."""
    from opensearchpy import OpenSearch

    client = OpenSearch(cluster.url, timeout=120)
    client.indices.flush(index=alias)
    stats = client.indices.stats(index=alias, metric="store")["_all"]
    return (stats["primaries"]["store"]["size_in_bytes"],
            stats["total"]["store"]["size_in_bytes"])


def running_cluster(folder: Path) -> LocalCluster:
    """The cluster a ``scripts/opensearch start --dir FOLDER`` runs."""
    shape = json.loads((folder / "cluster.json").read_text())
    return LocalCluster(folder=folder, nodes=shape["nodes"], http_port=shape["http_port"],
                        transport_port=shape["transport_port"])


def held(location: str) -> int | None:
    """Articles in an existing index at `location` (None: there is none)."""
    from searchlib.engine import open_index
    from searchlib.errors import SearchlibError

    try:
        return open_index(location).stats().articles
    except SearchlibError:
        return None


def query_and_export(location: str, repeat: int, pids: list[int],
                     only: str | None = None) -> dict[str, Any]:
    from searchlib.engine import open_index

    index = open_index(location)
    measured: dict[str, Any] = {}
    if only != "export":
        measured.update(run_queries(index, repeat, pids))
    if only != "queries":
        measured.update(run_export(index, pids))
    return measured


def run_queries(index: Any, repeat: int, pids: list[int]) -> dict[str, Any]:
    per_query: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    cpu, jvm = time.process_time(), jvm_cpu(pids)
    for round_number in range(repeat + 1):  # round 0 warms caches and dictionaries
        for text in QUERIES:
            started = time.perf_counter()
            result = index.search(text, limit=10)
            elapsed = time.perf_counter() - started
            assert all(hit.snippet.text for hit in result.hits), text
            totals[text] = result.total
            if round_number:
                per_query.setdefault(text, []).append(elapsed * 1000)
    searches = len(QUERIES) * (repeat + 1)
    query_cpu = (time.process_time() - cpu) / searches * 1000
    query_jvm = (jvm_cpu(pids) - jvm) / searches * 1000 if pids else 0.0
    medians = [median(times) for times in per_query.values()]
    return {
        "p50_ms": percentile(medians, 50), "p95_ms": percentile(medians, 95),
        "max_ms": max(medians), "cpu_ms_per_query": query_cpu, "jvm_cpu_ms_per_query": query_jvm,
        "slowest": sorted(((round(median(v), 1), q) for q, v in per_query.items()),
                          reverse=True)[:3],
        "totals": totals,
    }


def run_export(index: Any, pids: list[int]) -> dict[str, Any]:
    """Every match of `EXPORT_QUERY` (all default fields), once; the row count must equal the
    export's own total and `count`'s."""
    with Timer() as timer:
        cpu, jvm = time.process_time(), jvm_cpu(pids)
        with index.export(EXPORT_QUERY) as export:
            rows = sum(1 for _ in export.rows())
            total = export.total
        timer.stop()
        cpu, jvm = time.process_time() - cpu, jvm_cpu(pids) - jvm if pids else 0.0
    counted = index.count(EXPORT_QUERY).total
    if not rows == total == counted:
        raise SystemExit(f"export wrote {rows} rows; its total says {total}, count {counted}")
    return {"export_rows": rows, "export_wall_s": timer.wall, "export_rows_s": rows / timer.wall,
            "export_cpu_s": cpu, "export_jvm_cpu_s": jvm}


def run_engine(engine: str, corpus: Path, size: int, work: Path, args: argparse.Namespace,
               ) -> dict[str, Any]:
    if engine == "whoosh":
        location = str(work / "whoosh-index")
        if args.keep and held(location) == size:
            built = {"reused": True}
        else:
            shutil.rmtree(location, ignore_errors=True)
            built = index_with_cli(corpus, location, {})
        built["bytes_per_article"] = folder_size(Path(location)) / size
        if not args.indexing_only:
            built.update(query_and_export(location, args.repeat, [], args.only))
        return built
    nodes = int(engine.removeprefix("os"))
    ours = args.cluster_dir is None
    cluster = start_cluster(nodes, args.heap, args.port) if ours else running_cluster(
        args.cluster_dir)
    if cluster.nodes != nodes:
        raise SystemExit(f"{args.cluster_dir} runs {cluster.nodes} node(s), not {nodes}")
    try:
        pids = [pid for pid in (cluster.pid(i) for i in range(nodes)) if pid is not None]
        name = f"bench-{size}" if args.keep else "bench"
        location = f"{cluster.url}/{name}"
        env = {"SEARCHLIB_OPENSEARCH_SHARDS": str(args.shards or nodes),
               "SEARCHLIB_OPENSEARCH_REPLICAS": "0" if nodes == 1 else "1"}
        if args.keep and held(location) == size:
            built = {"reused": True}
        else:
            jvm = jvm_cpu(pids)
            time.sleep(IDLE_S)
            idle = (jvm_cpu(pids) - jvm) / IDLE_S
            jvm = jvm_cpu(pids)
            built = index_with_cli(corpus, location, env)
            built["jvm_idle_cpu_per_s"] = idle
            built["jvm_cpu_s"] = jvm_cpu(pids) - jvm
        primaries, copies = opensearch_size(cluster, name)
        built["bytes_per_article"] = primaries / size
        built["bytes_per_article_all_copies"] = copies / size
        if not args.indexing_only:
            built.update(query_and_export(location, args.repeat, pids, args.only))
        built["shards"], built["replicas"] = int(env["SEARCHLIB_OPENSEARCH_SHARDS"]), int(
            env["SEARCHLIB_OPENSEARCH_REPLICAS"])
        return built
    finally:
        if ours:
            cluster.stop()
            shutil.rmtree(cluster.folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000, help="articles (default 2,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per query (3)")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated, in run order: whoosh, os1 (one node), os3")
    parser.add_argument("--heap", default="512m", help="JVM heap per node (512m)")
    parser.add_argument("--shards", type=int, help="primary shards (default: one per node)")
    parser.add_argument("--indexing-only", action="store_true", help="no queries, no export")
    parser.add_argument("--only", choices=("queries", "export"),
                        help="measure only the queries or only the export")
    parser.add_argument("--port", type=int, default=9600,
                        help="first HTTP port tried for the clusters started (9600)")
    parser.add_argument("--cluster-dir", type=Path,
                        help="use the running cluster of this scripts/opensearch --dir")
    parser.add_argument("--keep", type=Path,
                        help="keep the corpus and indexes here and re-use them (with "
                        "--cluster-dir for OpenSearch)")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engine(s) {', '.join(sorted(unknown))}; choose from {ENGINES}")
    if not corpus_available():
        print("benchmarks.engines: the shared corpus is missing (../shared/corpus)",
              file=sys.stderr)
        return 1
    if any(e != "whoosh" for e in engines) and (reason := cannot_start()):
        print(f"benchmarks.engines: {reason}", file=sys.stderr)
        return 1
    if args.keep and any(e != "whoosh" for e in engines) and args.cluster_dir is None:
        parser.error("--keep re-uses OpenSearch indexes only on a --cluster-dir cluster")
    load_before = os.getloadavg()
    work = args.keep or Path(tempfile.mkdtemp(prefix="searchlib-bench-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        corpus = work / "corpus.jsonl"
        summary_file = work / "corpus.json"
        if args.keep and summary_file.is_file() and json.loads(
                summary_file.read_text())["articles"] == args.size:
            summary = json.loads(summary_file.read_text())
        else:
            summary = write_corpus(load_corpus(), args.size, corpus)
            summary_file.write_text(json.dumps(summary))
        results = {}
        for engine in engines:
            print(f"  {engine}: {args.size:,} articles", file=sys.stderr, flush=True)
            results[engine] = run_engine(engine, corpus, args.size, work, args)
            if "wall_s" in results[engine]:
                print(f"  {engine}: {args.size / results[engine]['wall_s']:.1f} docs/s",
                      file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return report(results, summary, args, load_before)


def sizing(measured: dict[str, Any], size: int) -> list[dict[str, Any]]:
    """The sizing sheet for 10M and 100M articles from a 3-node (1 replica) run's numbers:
    bytes per article, our CPU (analysis, encoding, bulk requests) and the JVMs' CPU (all
    copies) per article. Disk counts 1 replica, a rebuild aside (a second full copy while it
    runs) and 25% free for merges and the 85% disk watermark."""
    per_article = measured["bytes_per_article"]
    our_ms = measured["cpu_s"] / size * 1000
    jvm_ms = measured["jvm_cpu_s"] / size * 1000
    sheet = []
    for articles in (10_000_000, 100_000_000):
        primaries_gb = per_article * articles / 1e9
        copies_gb = primaries_gb * (1 + measured["replicas"])
        shards = max(1, -(-primaries_gb // SHARD_GB))
        jvm_core_h = jvm_ms * articles / 1000 / 3600
        sheet.append({
            "articles": articles, "primaries_gb": round(primaries_gb),
            "with_replica_gb": round(copies_gb), "disk_gb": round(copies_gb * 2 * 1.25),
            "primary_shards": int(shards),
            "analysis_core_hours": round(our_ms * articles / 1000 / 3600),
            "jvm_core_hours": round(jvm_core_h),
            "hours_one_node": round(jvm_core_h / NODE_CORES, 1),
        })
    return sheet


def report(results: dict[str, dict[str, Any]], summary: dict[str, Any],
           args: argparse.Namespace, load_before: tuple[float, ...]) -> int:
    problems = []
    for engine, result in results.items():
        if "report" not in result:  # re-used (--keep): `held` counted its articles
            continue
        stored = result["report"]["indexed"] + result["report"]["updated"]
        result["docs_s"] = args.size / result["wall_s"]
        if stored + result["report"]["skipped"] != args.size or result["report"]["failed"]:
            problems.append(f"{engine} indexed {result['report']}")
    first = next(iter(results.values()))
    for result in results.values():
        differing = {q: (first["totals"][q], t) for q, t in result.get("totals", {}).items()
                     if t != first["totals"][q]}
        result["totals_differing"] = differing
    columns = {"docs/s": "docs_s", "wall s": "wall_s", "our CPU s": "cpu_s",
               "JVM CPU s": "jvm_cpu_s", "p50 ms": "p50_ms", "p95 ms": "p95_ms",
               "query CPU ms": "cpu_ms_per_query", "query JVM ms": "jvm_cpu_ms_per_query",
               "export rows/s": "export_rows_s", "export CPU s": "export_cpu_s",
               "export JVM s": "export_jvm_cpu_s"}
    rows = [[engine, *(round(r[key], 2 if key.startswith("export_") and key != "export_rows_s"
                             else 1) if key in r else "-" for key in columns.values()),
             round(r["bytes_per_article"] / 1000, 1), len(r["totals_differing"])]
            for engine, r in results.items()]
    print_table(f"Engines at {args.size:,} articles ({summary['by_lang']}), load "
                f"{load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}",
                ["engine", *columns, "KB/article", "totals != first"], rows)
    if "whoosh" in results and "docs_s" in results["whoosh"]:
        for engine in (e for e in results if "docs_s" in results[e]):
            results[engine]["indexing_vs_whoosh"] = (results[engine]["docs_s"]
                                                     / results["whoosh"]["docs_s"])
    sheet = sizing(results["os3"], args.size) if "cpu_s" in results.get("os3", {}) else []
    if sheet:
        print_table(f"Sizing sheet from os3 ({NODE_CORES}-core nodes, {SHARD_GB} GB shards)",
                    list(sheet[0]), [list(row.values()) for row in sheet])
    record = {"benchmark": "engines", "sizing": sheet, "size": args.size, "corpus": summary,
              "heap": args.heap, "repeat": args.repeat, "results": results,
              "targets": TARGETS, "load_before": load_before, "load_after": os.getloadavg(),
              "machine": machine(), "problems": problems}
    write_result("engines", record)
    for problem in problems:
        print(f"benchmarks.engines: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
