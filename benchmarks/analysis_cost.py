"""CPU cost of the uk/ru lemma chains on a fixed sample of real articles (issue 20 item 7).

Run: ``python -m benchmarks.analysis_cost [--articles 1000] [--repeat 2]``.

The sample is the first ``--articles`` Ukrainian and Russian articles of
`benchmarks._common.load_corpus` (its fixed order), title and body. Each round starts cold (the
lemma, word and normalisation caches emptied, dictionaries already loaded) and runs every
article through its language's ``text_<lang>`` chain in index mode with positions, as indexing
does; a second pass over the same texts measures the warm (memoised) cost. Prints CPU seconds
(``time.process_time``), wall seconds, tokens and the load average, and a JSON line; compare two
checkouts by running it with each on ``PYTHONPATH``, alternately.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from benchmarks._common import corpus_available, load_corpus
from searchlib.analysis import build_analyzer
from searchlib.analysis.memo import clear_word_caches
from searchlib.analysis.morph import clear_caches, lemmatise
from searchlib.model import Lang


def _clear() -> None:
    from searchlib.analysis import filters

    clear_caches()
    clear_word_caches()
    for cache in filters._NORMALISED.values():
        cache.clear()


def _pass(texts: list[tuple[Lang, str]]) -> tuple[float, float, int]:
    chains = {lang: build_analyzer(lang) for lang in (Lang.UK, Lang.RU)}
    tokens = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for lang, text in texts:
        for _ in chains[lang](text, positions=True, mode="index"):
            tokens += 1
    return time.process_time() - cpu, time.perf_counter() - wall, tokens


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    if not corpus_available():
        print("shared corpus not found (set SEARCHLIB_CORPUS)")
        return 2
    texts = [(a.lang, f"{a.title}\n{a.text}") for a in load_corpus()
             if a.lang in (Lang.UK, Lang.RU)][:args.articles]
    lemmatise("київ", Lang.UK), lemmatise("москва", Lang.RU)  # dictionaries loaded
    rows = []
    for round_ in range(args.repeat):
        _clear()
        cold = _pass(texts)
        warm = _pass(texts)
        rows.append({"round": round_, "cold_cpu_s": round(cold[0], 2),
                     "cold_wall_s": round(cold[1], 2), "warm_cpu_s": round(warm[0], 2),
                     "warm_wall_s": round(warm[1], 2), "tokens": cold[2]})
        print(f"round {round_}: cold {cold[0]:.2f} s CPU ({cold[1]:.2f} s wall), "
              f"warm {warm[0]:.2f} s CPU ({warm[1]:.2f} s wall), {cold[2]} tokens, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    print(json.dumps({"articles": len(texts), "rounds": rows,
                      "best_cold_cpu_s": min(r["cold_cpu_s"] for r in rows),
                      "best_warm_cpu_s": min(r["warm_cpu_s"] for r in rows)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
