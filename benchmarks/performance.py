"""Performance benchmark: indexing throughput, query latency, cold start and memory (issue 7).

Run from the repository root::

    python -m benchmarks.performance            # 100k articles, 3 indexing runs (hours here)
    python -m benchmarks.performance --quick    # 2k articles, 2 runs (a few minutes)
    python -m benchmarks.performance --size 20000 --runs 3 --only indexing,querying

One command builds indexes from the real article texts of ``../shared/corpus/text`` (scaled to
``--size`` by re-using texts, see `benchmarks._common`) with searchlib and with plain Whoosh
(`StandardAnalyzer`, same documents, stored title + body) **in the same run**, alternating the
two so machine noise hits both. It prints a table per part and one JSON line (also written to
``benchmarks/out/``), with medians, ratios to the baseline, machine, versions and corpus size.

Parts:

- indexing: the scaled corpus is written once to ``corpus.jsonl`` in the work folder; each build
  runs in a fresh process that streams it (as ``searchlib index FILE.jsonl`` would), so memory
  is the indexer's own: docs/s (wall), CPU seconds, peak PSS of the build's process tree
  (workers included) and peak RSS of its main process, index bytes per article; searchlib with
  ``--workers`` worker processes (default: CPUs, <= 4) and, with ``--serial``, also in one
  process.
- querying: p50/p95 latency of top-10 results *with highlighted snippets* over a fixed set of uk,
  ru and en queries on the indexes of the last indexing run (each query: median of its runs; the
  baseline highlights with Whoosh's own highlighter).
- coldstart: ``searchlib search QUERY --index DIR`` as a fresh process, start to exit, against
  the same for a minimal plain-Whoosh script; plus what ``import searchlib`` loads.

Correctness (exits 1 when broken, so a broken pipeline cannot look fast): both indexes hold
``--size`` documents; the baseline's hit count for one exact word equals the count of articles
whose analysed text contains it; searchlib finds at least as many (it also matches inflections).
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks._common import (
    OUT_DIR,
    ROOT,
    PeakRSS,
    Timer,
    build_baseline,
    corpus_available,
    folder_size,
    iter_scaled_articles,
    load_corpus,
    machine,
    median,
    percentile,
    print_table,
    write_result,
)

QUERIES: tuple[str, ...] = (
    # ru (RT / NG / Wikinews topics)
    "нефть", "санкции против России", "Владимир Путин", "выборы президента", "чемпионат мира",
    "Сирия", "курс рубля", "Брексит",
    # uk (Brown-UK, babel-ua, Nashi Groshi)
    "Порошенко", "Верховна Рада", "ціни на газ", "освіта", "Київ", "тендер", "війна",
    "Зеленський",
    # en (BBC)
    "election", "oil prices", "Tony Blair", "music awards", "mobile phones", "economy",
    "football", "London",
)
"""Fixed query set: short news queries of one to three words in each language."""

CHECK_WORD = "нефть"
"""The correctness query: an exact word frequent in the Russian sub-corpora."""

TARGETS = {"indexing_ratio": 1.0, "query_ratio": 1.2, "query_p95_ms": 150.0,
           "coldstart_s": 0.5, "peak_rss_gb": 1.5}


# --------------------------------------------------------------------------------- indexing


def write_corpus(base: list[Any], size: int, path: Path) -> dict[str, Any]:
    """Write the scaled corpus as JSON Lines (streamed: never all in memory); its summary."""
    by_lang: dict[str, int] = {}
    chars = 0
    with open(path, "w", encoding="utf-8") as out:
        for article in iter_scaled_articles(base, size):
            out.write(json.dumps(article.to_json(), ensure_ascii=False) + "\n")
            by_lang[str(article.lang)] = by_lang.get(str(article.lang), 0) + 1
            chars += len(article.title) + len(article.text)
    return {"articles": size, "by_lang": by_lang, "mean_chars": round(chars / max(size, 1))}


def read_corpus(path: Path) -> Iterator[Any]:
    """The articles of a `write_corpus` file, one at a time."""
    from searchlib.model import Article

    with open(path, encoding="utf-8") as lines:
        for line in lines:
            yield Article.from_json(json.loads(line))


def build_one(variant: str, corpus: Path, into: Path, workers: int) -> dict[str, Any]:
    """Index `corpus` into `into` in this process (run as a child by `_build`); its numbers.

    Articles stream from the JSON Lines file, as `searchlib index FILE.jsonl` reads them, so the
    peak memory is the indexer's own, not the benchmark's.
    """
    if variant == "whoosh":
        with Timer() as timer:
            build_baseline(into, read_corpus(corpus))
            timer.stop()
        indexed = sum(1 for _ in open(corpus, encoding="utf-8"))
    else:
        from searchlib.api import Index
        from searchlib.store.parallel import close_pools

        os.environ["SEARCHLIB_WORKERS"] = str(workers)
        index = Index.create(into)
        with Timer() as timer:
            report = index.add(read_corpus(corpus))
            timer.stop()
        close_pools(index)
        indexed = report.indexed + report.updated
    return {"wall": timer.wall, "cpu": timer.cpu, "indexed": indexed, "max_rss": _peak_rss()}


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (``VmHWM``; unlike ``ru_maxrss``, it does
    not carry over the parent's peak through fork and exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _build(variant: str, corpus: Path, into: Path, workers: int) -> dict[str, Any]:
    """`build_one` in a fresh process, sampling the memory of its process tree (workers too)."""
    command = [sys.executable, "-m", "benchmarks.performance", "--build-one", variant,
               "--corpus", str(corpus), "--into", str(into), "--workers", str(workers)]
    load_before = os.getloadavg()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    with PeakRSS(root=child.pid) as memory:
        output, _ = child.communicate()
    if child.returncode:
        raise SystemExit(f"{variant} build failed (exit {child.returncode})")
    outcome = json.loads(output.strip().splitlines()[-1])
    outcome["peak_pss"] = memory.peak
    outcome["size"] = folder_size(into)
    # The machine is shared: the load average (1 min) before and after says how busy it was.
    outcome["load"] = [round(load_before[0], 1), round(os.getloadavg()[0], 1)]
    return outcome


def run_indexing(corpus: Path, size: int, work: Path, runs: int, variants: list[str],
                 workers: int) -> tuple[dict[str, Any], Path, Path]:
    """Alternate the `variants`' builds `runs` times; keep the last run's indexes.

    Each outcome is also saved beside its index (``<variant>-<run>.json``). A variant not built
    now (``--build``) is read from those files of an earlier ``--keep`` run of the same size:
    its ratios are then not from the same run, and the record says so.
    """
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for run in range(runs):
        for variant in variants:
            path = work / f"{variant}-{run}"
            shutil.rmtree(path, ignore_errors=True)
            outcome = _build(variant.removesuffix("-serial"), corpus, path,
                             1 if variant == "searchlib-serial" else workers)
            outcome["docs_s"] = size / outcome["wall"]
            (work / f"{variant}-{run}.json").write_text(json.dumps(outcome), encoding="utf-8")
            results[variant].append(outcome)
            print(f"  run {run + 1}/{runs} {variant}: {outcome['docs_s']:.1f} docs/s, "
                  f"{outcome['cpu']:.0f} CPU s, {outcome['wall']:.0f} s wall, peak "
                  f"{outcome['peak_pss'] / 1e6:.0f} MB PSS, load {outcome['load'][0]} -> "
                  f"{outcome['load'][1]}", file=sys.stderr, flush=True)
            if run < runs - 1:
                shutil.rmtree(path)
    if "whoosh" not in results:
        saved = [work / f"whoosh-{run}.json" for run in range(runs)]
        if all(path.exists() for path in saved):
            results["whoosh"] = [json.loads(path.read_text(encoding="utf-8")) for path in saved]
    summary: dict[str, Any] = {}
    for variant, outcomes in results.items():
        summary[variant] = {
            "docs_s": median([o["docs_s"] for o in outcomes]),
            "wall_s": median([o["wall"] for o in outcomes]),
            "cpu_s": median([o["cpu"] for o in outcomes]),
            "peak_pss_mb": max(o["peak_pss"] for o in outcomes) / 1e6,
            "max_rss_mb": max(o["max_rss"] for o in outcomes) / 1e6,
            "bytes_per_article": median([o["size"] for o in outcomes]) / size,
            "indexed": outcomes[-1]["indexed"],
            "runs_docs_s": [round(o["docs_s"], 2) for o in outcomes],
            "runs_cpu_s": [round(o["cpu"], 1) for o in outcomes],
            "runs_load": [o.get("load") for o in outcomes],
        }
    if "whoosh" not in summary:  # its earlier build is not finished: no ratios
        return summary, work / f"searchlib-{runs - 1}", work / f"whoosh-{runs - 1}"
    summary["whoosh"]["same_run"] = "whoosh" in variants
    # Ratio per run (neighbouring builds share the machine's load), then the median.
    for variant in (v for v in variants if v != "whoosh"):
        summary[variant]["ratio"] = median([
            ours["docs_s"] / base["docs_s"]
            for ours, base in zip(results[variant], results["whoosh"], strict=True)
        ])
        summary[variant]["cpu_ratio"] = median([  # CPU seconds per run over plain Whoosh's
            ours["cpu"] / base["cpu"]
            for ours, base in zip(results[variant], results["whoosh"], strict=True)
        ])
    last = runs - 1
    return summary, work / f"searchlib-{last}", work / f"whoosh-{last}"


# --------------------------------------------------------------------------------- querying


def _baseline_search(ix: Any, parser: Any, text: str) -> tuple[int, list[str]]:
    with ix.searcher() as searcher:
        results = searcher.search(parser.parse(text), limit=10)
        snippets = [hit.highlights("body") for hit in results]
        return len(results), snippets


def run_querying(ours_dir: Path, base_dir: Path, rounds: int) -> dict[str, Any]:
    from whoosh import index as whoosh_index
    from whoosh.qparser import MultifieldParser

    from searchlib.api import Index

    ours = Index.open(ours_dir)
    base = whoosh_index.open_dir(str(base_dir))
    parser = MultifieldParser(["title", "body"], base.schema)
    timings: dict[str, dict[str, list[float]]] = {"searchlib": {}, "whoosh": {}}
    totals: dict[str, dict[str, int]] = {"searchlib": {}, "whoosh": {}}
    for round_number in range(rounds + 1):  # round 0 warms caches and dictionaries
        for text in QUERIES:
            started = time.perf_counter()
            result = ours.search(text, limit=10)
            ours_s = time.perf_counter() - started
            started = time.perf_counter()
            base_total, _ = _baseline_search(base, parser, text)
            base_s = time.perf_counter() - started
            totals["searchlib"][text] = result.total
            totals["whoosh"][text] = base_total
            if round_number:
                timings["searchlib"].setdefault(text, []).append(ours_s)
                timings["whoosh"].setdefault(text, []).append(base_s)
    summary: dict[str, Any] = {}
    for variant, per_query in timings.items():
        per_query_ms = [median(v) * 1000 for v in per_query.values()]
        summary[variant] = {"p50_ms": percentile(per_query_ms, 50),
                            "p95_ms": percentile(per_query_ms, 95),
                            "max_ms": max(per_query_ms)}
    summary["ratio_p50"] = summary["searchlib"]["p50_ms"] / summary["whoosh"]["p50_ms"]
    summary["ratio_p95"] = summary["searchlib"]["p95_ms"] / summary["whoosh"]["p95_ms"]
    summary["slowest"] = sorted(
        ((round(median(v) * 1000, 1), q) for q, v in timings["searchlib"].items()), reverse=True,
    )[:3]
    summary["totals"] = totals
    return summary


# --------------------------------------------------------------------------------- cold start

_BASELINE_CLI = """
import sys
from whoosh import index
from whoosh.qparser import MultifieldParser
ix = index.open_dir(sys.argv[1])
with ix.searcher() as s:
    for hit in s.search(MultifieldParser(["title", "body"], ix.schema).parse(sys.argv[2]),
                        limit=10):
        print(hit["title"]); print(hit.highlights("body"))
"""


def _wall(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return median(times)


def _import_breakdown(command: list[str]) -> dict[str, float]:
    """Cumulative import ms of the heaviest top-level packages (``python -X importtime``)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *command], check=True,
                          capture_output=True, text=True)
    packages: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if not cumulative.isdigit() or name.startswith(" "):
            continue
        top = name.strip()
        if "." not in top:  # a top-level import: its cumulative time includes its children
            packages[top] = packages.get(top, 0.0) + int(cumulative) / 1000
    return dict(sorted(packages.items(), key=lambda kv: -kv[1])[:8])


def run_coldstart(ours_dir: Path, base_dir: Path, runs: int) -> dict[str, Any]:
    query = "Київ"
    # An installed package has its bytecode compiled (pip does it; a first run writes it): do
    # not time recompiling our sources when the environment sets PYTHONDONTWRITEBYTECODE.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "searchlib")],
                   check=True)
    script = Path(sys.executable).with_name("searchlib")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "searchlib"]
    cli = [*entry, "search", query, "--index", str(ours_dir)]
    probe = ("import sys, searchlib; "
             "print(','.join(m for m in ('whoosh', 'lxml', 'pymorphy3', 'trafilatura') "
             "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                            text=True).stdout.strip()
    return {
        "python_s": _wall([sys.executable, "-c", "pass"], runs),
        "searchlib_help_s": _wall([*entry, "--help"], runs),
        "searchlib_search_s": _wall(cli, runs),
        "whoosh_script_s": _wall([sys.executable, "-c", _BASELINE_CLI, str(base_dir), query],
                                 runs),
        "import_searchlib_loads": loaded or "nothing heavy",
        "search_imports_ms": _import_breakdown(
            ["-m", "searchlib", "search", query, "--index", str(ours_dir)]),
    }


# --------------------------------------------------------------------------------- checks


def check_correctness(ours_dir: Path, base_dir: Path, corpus: Path, size: int) -> dict[str, Any]:
    from whoosh import index as whoosh_index
    from whoosh.analysis import StandardAnalyzer
    from whoosh.query import Or, Term

    from searchlib.api import Index

    analyzer = StandardAnalyzer()
    expected = sum(
        1 for a in read_corpus(corpus)
        # The substring test only skips articles that cannot hold the word (fast at 100k).
        if CHECK_WORD in (text := (a.title + "\n" + a.text)).lower()
        and any(t.text == CHECK_WORD for t in analyzer(text))
    )
    base = whoosh_index.open_dir(str(base_dir))
    with base.searcher() as searcher:
        base_hits = len(searcher.search(Or([Term("title", CHECK_WORD), Term("body", CHECK_WORD)]),
                                        limit=None))
        base_docs = searcher.doc_count()
    ours = Index.open(ours_dir)
    ours_hits = ours.search(CHECK_WORD, limit=1).total
    checks = {"articles": size, "searchlib_docs": len(ours), "whoosh_docs": base_docs,
              "word": CHECK_WORD, "expected_exact": expected, "whoosh_hits": base_hits,
              "searchlib_hits": ours_hits}
    problems = []
    if not (len(ours) == base_docs == size):
        problems.append("document counts differ")
    if base_hits != expected or expected == 0:
        problems.append(f"whoosh found {base_hits} articles with {CHECK_WORD!r}, expected "
                        f"{expected}")
    if ours_hits < expected:
        problems.append(f"searchlib found {ours_hits} < {expected} articles with {CHECK_WORD!r}")
    checks["ok"] = not problems
    checks["problems"] = problems
    return checks


# --------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k articles, 2 runs")
    parser.add_argument("--size", type=int, help="articles to index (default 100000)")
    parser.add_argument("--runs", type=int, help="indexing runs per variant (default 3)")
    parser.add_argument("--query-rounds", type=int, default=5)
    parser.add_argument("--serial", action="store_true", help="also index with one process")
    parser.add_argument("--build", default="whoosh,searchlib",
                        help="variants to build (whoosh, searchlib, searchlib-serial); with "
                             "--keep, a variant left out is read from an earlier --keep run")
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 4),
                        help="SEARCHLIB_WORKERS for the searchlib build (default: CPUs, <= 4)")
    parser.add_argument("--only", default="indexing,querying,coldstart",
                        help="comma-separated parts; without indexing, the others use the "
                             "indexes a --keep run left in benchmarks/out/indexes-<size>")
    parser.add_argument("--keep", action="store_true",
                        help="keep the indexes in benchmarks/out/indexes-<size>")
    parser.add_argument("--build-one", choices=("whoosh", "searchlib"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_one:
        print(json.dumps(build_one(args.build_one, args.corpus, args.into, args.workers)))
        return 0
    size = args.size or (2000 if args.quick else 100_000)
    runs = args.runs or (2 if args.quick else 3)
    parts = {p.strip() for p in args.only.split(",")}
    if not corpus_available():
        print("the shared corpus (../shared/corpus/text) is absent: nothing to measure",
              file=sys.stderr)
        return 2

    kept = OUT_DIR / f"indexes-{size}"
    reuse = "indexing" not in parts
    keep = args.keep or reuse
    work = kept if keep else Path(tempfile.mkdtemp(prefix="perf-"))
    if reuse and not work.is_dir():
        print(f"no indexes to reuse in {work}: run with --keep first", file=sys.stderr)
        return 2
    variants = [v.strip() for v in args.build.split(",")]
    variants += ["searchlib-serial"] if args.serial else []
    corpus = work / "corpus.jsonl"
    partial = "whoosh" not in variants and corpus.exists()
    if not reuse and not partial:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
    if not reuse and not partial:
        base_articles = load_corpus()
        summary = write_corpus(base_articles, size, corpus)
        (work / "corpus.json").write_text(json.dumps(
            {"real_articles": len(base_articles), **summary}), encoding="utf-8")
        del base_articles
    summary = json.loads((work / "corpus.json").read_text(encoding="utf-8"))
    info = {"machine": machine(), "corpus": summary, "size": size, "runs": runs,
            "workers": args.workers}
    print(f"corpus: {summary['real_articles']} real articles scaled to {size} "
          f"({summary['by_lang']}, mean {summary['mean_chars']} chars); "
          f"{runs} run(s); {info['machine']['cpus']} CPUs; workers {info['workers']}",
          flush=True)
    record: dict[str, Any] = {"benchmark": "performance", **info, "targets": TARGETS}
    try:
        if reuse:
            ours_dir = max(p for p in work.glob("searchlib-[0-9]*") if p.is_dir())
            base_dir = max(p for p in work.glob("whoosh-[0-9]*") if p.is_dir())
        else:
            indexing, ours_dir, base_dir = run_indexing(corpus, size, work, runs, variants,
                                                        args.workers)
            record["indexing"] = indexing
            rows = [[name, v["docs_s"], v.get("ratio", 1.0 if name == "whoosh" else "n/a"),
                     v["cpu_s"], v.get("cpu_ratio", 1.0 if name == "whoosh" else "n/a"),
                     v["peak_pss_mb"], v["max_rss_mb"], v["bytes_per_article"]]
                    for name, v in indexing.items()]
            print_table(f"Indexing {size} articles (median of {runs})",
                        ["variant", "docs/s", "x whoosh", "CPU s", "CPU x whoosh",
                         "peak PSS MB (tree)", "peak RSS MB (main)", "bytes/article"], rows)
        if not ours_dir.exists() or not (work / f"{base_dir.name}.json").exists():
            print(f"the indexes in {work} are not both built yet: build the missing one with "
                  "--build whoosh|searchlib --keep, then run --only querying,coldstart")
            write_result("performance", record)
            return 0
        record["correctness"] = check_correctness(ours_dir, base_dir, corpus, size)
        if "querying" in parts:
            querying = run_querying(ours_dir, base_dir, args.query_rounds)
            record["querying"] = {k: v for k, v in querying.items() if k != "totals"}
            print_table(f"Top-10 with snippets, {len(QUERIES)} queries x {args.query_rounds}",
                        ["variant", "p50 ms", "p95 ms", "max ms"],
                        [[v, querying[v]["p50_ms"], querying[v]["p95_ms"], querying[v]["max_ms"]]
                         for v in ("searchlib", "whoosh")])
            print(f"ratio p50 {querying['ratio_p50']:.2f}x, p95 {querying['ratio_p95']:.2f}x; "
                  f"slowest: {querying['slowest']}")
        if "coldstart" in parts:
            cold = run_coldstart(ours_dir, base_dir, max(runs * 2, 5))
            record["coldstart"] = cold
            print_table("Cold start (median wall s)", ["command", "s"], [
                ["python -c pass", cold["python_s"]],
                ["searchlib --help", cold["searchlib_help_s"]],
                ["searchlib search QUERY", cold["searchlib_search_s"]],
                ["plain Whoosh search script", cold["whoosh_script_s"]],
            ])
            print(f"import searchlib loads: {cold['import_searchlib_loads']}; "
                  f"search imports (ms): {cold['search_imports_ms']}")
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    checks = record["correctness"]
    print(f"\ncorrectness: {checks}")
    write_result("performance", record)
    return 0 if checks["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
