"""Retrieval quality of the searchlib analyzers against plain Whoosh, on the shared corpus.

Run: ``python -m benchmarks.retrieval [--quick] [--only retrieval,lemma,lang] [--variants]``.

Three measurements, each with its baseline in the same run:

1. **MRR@10, known-item**: the title of an article is the query, the article body (without the
   title) is the one relevant document, every other body of the collection is a distractor;
   and a *passage* variant where bodies are cut into passages of about 500 characters and any
   passage of the source article counts as relevant (closer to passage retrieval). Collections:
   uk = babel-ua + Brown-UK press (A) + SlavicNER uk; ru = ru_kw_eval (RT/NG) + NEREL
   Wikinews; en = BBC 2225. Analyzers: plain Whoosh (``RegexTokenizer | LowercaseFilter``, no
   morphology) against `build_analyzer(lang)`, both scored with Whoosh's BM25F and with the
   Lucene idf (`LuceneBM25`). Indexes are plain Whoosh indexes in a temporary directory, so the
   benchmark does not depend on the store stage.
2. **Lemma accuracy** of `searchlib.analysis.lemmatise` on the hand-checked lemmas of the
   Brown Corpus of Ukrainian (``disambig_A``: every token of 366 press texts), over word tokens
   (punctuation and numbers left out), case-insensitive, apostrophes and ё folded.
3. **Language detection accuracy** of `detect_language` on whole documents and on titles alone.

Prints one table per measurement and a final JSON line. Asserts floors (MRR, lemma accuracy,
detection accuracy) so that a broken pipeline cannot look good.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import json
import math
import os
import platform
import random
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh import scoring
from whoosh.analysis import Analyzer, LowercaseFilter, RegexTokenizer
from whoosh.fields import ID, TEXT, Schema

from searchlib.analysis import build_analyzer, cache_stats, clear_caches
from searchlib.analysis.morph import lemmatise
from searchlib.model import Lang
from searchlib.text import detect_language
from searchlib.text.normalise import normalise_word

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SEARCHLIB_CORPUS") or ROOT.parent / "shared" / "corpus")
TEXTS = CORPUS / "text"
SEED = 20251128


@dataclass(frozen=True, slots=True)
class Item:
    """One article: its title is a query, its body is the relevant document."""

    id: str
    title: str
    body: str


# --------------------------------------------------------------------------------- loading


def _split_title(path: Path) -> tuple[str, str] | None:
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    title, _, body = text.partition("\n")
    title, body = title.strip(), body.strip()
    if len(title) < 10 or len(body) < 200:
        return None
    return title, body


def load_babel_ua() -> Iterator[Item]:
    with open(TEXTS / "babel-ua" / "parsed_articles.csv", encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f)):
            if len(row["title"]) > 10 and len(row["text"]) > 200:
                yield Item(f"babel-{n}", row["title"], row["text"])


def load_brown_uk_press() -> Iterator[Item]:
    with open(TEXTS / "brown-uk" / "meta.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["cat"] != "A":
                continue
            path = TEXTS / "brown-uk" / row["group"] / row["file"]
            if not path.exists() or len(row["title"]) < 10:
                continue
            body = path.read_text(encoding="utf-8", errors="replace").strip()
            if len(body) > 200:
                yield Item(f"brown-{row['file']}", row["title"], body)


def load_plain_dir(root: Path, prefix: str, pattern: str = "*.txt") -> Iterator[Item]:
    for path in sorted(root.rglob(pattern)):
        parts = _split_title(path)
        if parts:
            yield Item(f"{prefix}-{path.relative_to(root)}", *parts)


def load_ru_kw_eval(limit: int) -> Iterator[Item]:
    count = 0
    for archive in sorted((TEXTS / "ru_kw_eval").glob("*.zip")):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                with z.open(name) as f:
                    for n, line in enumerate(f):
                        record = json.loads(line)
                        title, body = record.get("title") or "", record.get("content") or ""
                        if len(title) > 10 and len(body) > 200:
                            yield Item(f"{archive.stem}-{n}", title, body)
                            count += 1
                            if count >= limit:
                                return
                        if n > limit // 8:
                            break


def collections(quick: bool, size: int | None = None) -> dict[Lang, list[Item]]:
    """Known-item collections per language, sampled reproducibly."""
    size = size or (300 if quick else 1500)
    rng = random.Random(SEED)

    def sample(items: Iterable[Item], k: int) -> list[Item]:
        pool = list(items)
        # Titles must identify one article: drop duplicates.
        seen: set[str] = set()
        unique = [i for i in pool if not (i.title in seen or seen.add(i.title))]
        return rng.sample(unique, min(k, len(unique)))

    uk = (
        sample(load_babel_ua(), size // 3)
        + sample(load_brown_uk_press(), size // 3)
        + sample(load_plain_dir(TEXTS / "slavicner" / "raw", "sner-uk", "uk/*.txt"), size // 3)
    )
    ru = sample(load_ru_kw_eval(size * 3), size // 2) + sample(
        load_plain_dir(TEXTS / "nerel-ru-wikinews", "nerel"), size // 2
    )
    en = sample(load_plain_dir(TEXTS / "bbc-2225", "bbc"), size)
    return {Lang.UK: uk, Lang.RU: ru, Lang.EN: en}


def passages(item: Item, size: int = 500) -> list[str]:
    """The body cut at paragraph (else sentence) boundaries into pieces of about `size` chars."""
    pieces = [p.strip() for p in re.split(r"\n+|(?<=[.!?])\s+", item.body) if p.strip()]
    out: list[str] = []
    current = ""
    for piece in pieces:
        current = f"{current} {piece}".strip()
        if len(current) >= size:
            out.append(current)
            current = ""
    if current:
        if out and len(current) < size // 3:
            out[-1] += " " + current
        else:
            out.append(current)
    return out


# --------------------------------------------------------------------------------- scoring


class LuceneBM25(scoring.BM25F):
    """BM25F with Lucene's idf, ``ln(1 + (N - df + 0.5) / (df + 0.5))``.

    Whoosh's own idf, ``ln(N / (df + 1)) + 1``, flattens the gap between rare and common terms;
    with identical tokens Lucene's idf measured about +0.01 MRR (issue 4).
    """

    def idf(self, searcher, fieldname, text):  # noqa: ANN001 - Whoosh's signature
        n = searcher.doc_count_all()
        df = searcher.doc_frequency(fieldname, text)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


def plain_analyzer() -> Analyzer:
    """Whoosh with no morphology: the floor of issue 4."""
    return RegexTokenizer() | LowercaseFilter()


def variant_analyzer(name: str, lang: Lang) -> Analyzer:
    """Analyzer variants compared by ``--variants`` (what each design choice is worth)."""
    from searchlib.analysis.filters import (
        CompoundFilter,
        LemmaFilter,
        NormaliseFilter,
        SnowballStemFilter,
        StopWordFilter,
    )
    from searchlib.analysis.tokenizers import WordTokenizer

    if name == "plain":
        return plain_analyzer()
    if name == "searchlib":
        return build_analyzer(lang)
    base = WordTokenizer() | CompoundFilter() | NormaliseFilter() | LowercaseFilter()
    stop = base | StopWordFilter(lang)
    if name == "surface+stop":
        return stop
    if name == "no-stop":
        return base | (SnowballStemFilter() if lang is Lang.EN else LemmaFilter(lang))
    if name == "porter" and lang is Lang.EN:
        return stop | SnowballStemFilter("porter")
    if name == "snowball" and lang is Lang.RU:
        return stop | SnowballStemFilter("russian")
    if name.startswith("surface=") and lang is not Lang.EN:
        return stop | LemmaFilter(lang, surface=name.split("=", 1)[1])
    raise KeyError(name)


VARIANTS = {
    Lang.UK: ["plain", "surface+stop", "searchlib", "surface=none", "surface=all", "no-stop"],
    Lang.RU: [
        "plain",
        "surface+stop",
        "searchlib",
        "surface=none",
        "surface=all",
        "no-stop",
        "snowball",
    ],
    Lang.EN: ["plain", "surface+stop", "searchlib", "no-stop", "porter"],
}


def build_query(analyzer: Analyzer, text: str, field: str = "text") -> Q.Query:
    """OR of the query's words; tokens at one position (lemma and surface) are ORed together."""
    by_pos: dict[int, list[str]] = {}
    for t in analyzer(text, positions=True, mode="query"):
        terms = by_pos.setdefault(t.pos, [])
        if t.text not in terms:
            terms.append(t.text)
    clauses: list[Q.Query] = []
    for terms in by_pos.values():
        if len(terms) == 1:
            clauses.append(Q.Term(field, terms[0]))
        else:
            clauses.append(Q.Or([Q.Term(field, term) for term in terms]))
    return Q.Or(clauses) if clauses else Q.NullQuery


def word_queries(
    analyzer: Analyzer, exact: Analyzer, text: str, *, boost: float, names_only: bool
) -> Q.Query:
    """Per word: its lemma term, OR-ed with its surface form in the exact field (boosted by
    `boost`; for capitalised words only if `names_only`). Stop words are left out."""
    from searchlib.analysis.tokenizers import WORD_PATTERN

    clauses: list[Q.Query] = []
    for match in WORD_PATTERN.finditer(text):
        word = match.group(0)
        lemmas = list(dict.fromkeys(t.text for t in analyzer(word, mode="query")))
        if not lemmas:
            continue
        alternatives: list[Q.Query] = [Q.Term("text", lemma) for lemma in lemmas]
        if boost and (word[:1].isupper() or not names_only):
            alternatives += [
                Q.Term("exact", t.text, boost=boost) for t in exact(word, mode="query")
            ]
        clauses.append(alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives))
    return Q.Or(clauses) if clauses else Q.NullQuery


@dataclass(frozen=True, slots=True)
class RunResult:
    mrr: float
    recall10: float
    queries: int
    docs: int
    index_s: float
    query_s: float


def run_known_item(
    items: list[Item],
    analyzer: Analyzer,
    weightings: dict[str, scoring.WeightingModel],
    *,
    passage_mode: bool,
    exact_bonus: bool = False,
) -> dict[str, RunResult]:
    """Index the bodies (or their passages) and score every title as a query.

    With `exact_bonus`, bodies also go to an ``exact`` field (`build_exact_analyzer`) and each
    weighting is also run with the word queries of `word_queries`.
    """
    from searchlib.analysis import build_exact_analyzer

    exact = build_exact_analyzer()
    fields = {"id": ID(stored=True), "text": TEXT(analyzer=analyzer, phrase=False)}
    if exact_bonus:
        fields["exact"] = TEXT(analyzer=exact, phrase=False)
    schema = Schema(**fields)
    builders: dict[str, Callable[[str], Q.Query]] = {"": lambda t: build_query(analyzer, t)}
    if exact_bonus:
        for boost in (0.3, 1.0):
            for names_only in (True, False):
                key = f"+exact{'-names' if names_only else '-all'}@{boost}"
                builders[key] = lambda t, b=boost, n=names_only: word_queries(
                    analyzer, exact, t, boost=b, names_only=n
                )
    with tempfile.TemporaryDirectory(prefix="searchlib-bench-") as tmp:
        ix = whoosh_index.create_in(tmp, schema)
        started = time.perf_counter()
        writer = ix.writer(limitmb=256)
        ndocs = 0
        for item in items:
            bodies = passages(item) if passage_mode else [item.body]
            for n, body in enumerate(bodies):
                if exact_bonus:
                    writer.add_document(id=f"{item.id}#{n}", text=body, exact=body)
                else:
                    writer.add_document(id=f"{item.id}#{n}", text=body)
                ndocs += 1
        writer.commit()
        index_s = time.perf_counter() - started
        results: dict[str, RunResult] = {}
        for (name, weighting), (bname, builder) in itertools.product(
            weightings.items(), builders.items()
        ):
            reciprocal = 0.0
            found = 0
            started = time.perf_counter()
            with ix.searcher(weighting=weighting) as searcher:
                for item in items:
                    hits = searcher.search(builder(item.title), limit=10)
                    for rank, hit in enumerate(hits, 1):
                        if hit["id"].split("#", 1)[0] == item.id:
                            reciprocal += 1 / rank
                            found += 1
                            break
            query_s = time.perf_counter() - started
            results[name + bname] = RunResult(
                reciprocal / len(items), found / len(items), len(items), ndocs, index_s, query_s
            )
        ix.close()
    return results


# --------------------------------------------------------------------------------- names


def names_across_scripts() -> list[dict[str, object]]:
    """Names across scripts on SlavicNER: person entities that occur in uk and ru documents.

    All uk and ru SlavicNER documents go into one index (``text_uk`` / ``text_ru`` with the
    language analyzers, ``names`` with `build_translit_analyzer`). Queries per entity: its
    English name from the entity id (``PER-Theresa-May`` -> ``Theresa May``, Latin script) and
    its Ukrainian name (``Мей``) against the Russian documents. Relevant: the documents the
    qrels list for the entity (in the target language). Systems: the language fields alone
    (what a same-script search finds) and the language fields OR ``names`` (boost 0.3).
    Reports MRR@10 and recall@100.
    """
    from searchlib.analysis import build_translit_analyzer

    qrels = TEXTS.parent / "qa" / "slavicner-entity-qrels" / "entity_docs.tsv"
    entities: dict[str, dict[str, tuple[str, set[str]]]] = {}
    with open(qrels, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["entity_id"].startswith("PER-"):
                docs = set(row["docs"].split())
                entities.setdefault(row["entity_id"], {})[row["lang"]] = (row["lemma_top"], docs)
    entities = {k: v for k, v in entities.items() if {"uk", "ru"} <= set(v)}
    translit = build_translit_analyzer()
    schema = Schema(
        id=ID(stored=True),
        text_uk=TEXT(analyzer=build_analyzer(Lang.UK), phrase=False),
        text_ru=TEXT(analyzer=build_analyzer(Lang.RU), phrase=False),
        text_en=TEXT(analyzer=build_analyzer(Lang.EN), phrase=False),
        names=TEXT(analyzer=translit, phrase=False),
    )
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="searchlib-bench-") as tmp:
        ix = whoosh_index.create_in(tmp, schema)
        writer = ix.writer(limitmb=256)
        for lang in ("uk", "ru"):
            for path in sorted((TEXTS / "slavicner" / "raw").glob(f"*/{lang}/*.txt")):
                text = path.read_text(encoding="utf-8", errors="replace")
                doc_id = str(path.relative_to(TEXTS.parent))
                writer.add_document(id=doc_id, names=text, **{f"text_{lang}": text})
        writer.commit()

        def lang_query(text: str, lang: Lang) -> Q.Query:
            return build_query(build_analyzer(lang), text, field=f"text_{lang}")

        def names_query(text: str) -> Q.Query:
            keys = [t.text for t in translit(text, mode="query")]
            return Q.Or([Q.Term("names", k, boost=0.3) for k in keys]) if keys else Q.NullQuery

        tasks = {
            "english name -> uk+ru docs": [
                (eid.split("-", 1)[1].replace("-", " "), v["uk"][1] | v["ru"][1], Lang.EN)
                for eid, v in entities.items()
            ],
            "uk name -> ru docs": [(v["uk"][0], v["ru"][1], Lang.RU) for v in entities.values()],
        }
        with ix.searcher(weighting=LuceneBM25()) as searcher:
            for task, queries in tasks.items():
                for system in ("language fields", "language fields + names"):
                    reciprocal = recall = 0.0
                    for text, relevant, lang in queries:
                        q = lang_query(text, lang)
                        if system.endswith("names"):
                            q = Q.Or([q, names_query(text)])
                        hits = [h["id"] for h in searcher.search(q, limit=100)]
                        first = next((r for r, d in enumerate(hits[:10], 1) if d in relevant), 0)
                        reciprocal += 1 / first if first else 0.0
                        recall += len(relevant & set(hits)) / min(len(relevant), 100)
                    row = {
                        "task": task,
                        "system": system,
                        "queries": len(queries),
                        "mrr10": round(reciprocal / len(queries), 4),
                        "recall100": round(recall / len(queries), 4),
                    }
                    rows.append(row)
                    print(
                        f"names: {task:28} {system:24} MRR@10 {row['mrr10']:.4f} "
                        f"R@100 {row['recall100']:.4f} q={len(queries)}",
                        flush=True,
                    )
        ix.close()
    return rows


# --------------------------------------------------------------------------------- lemmas

_WORD = re.compile(r"[^\W\d_]")


def brown_uk_files() -> list[Path]:
    """The disambiguated Brown-UK press texts, sorted: the even-numbered ones (0, 2, ...) teach
    the word table (`build_word_lemmas`), the odd-numbered ones are held out to measure it."""
    return sorted((TEXTS / "brown-uk" / "disambig_A").glob("*.xml.gz"))


def brown_uk_gold(files: list[Path]) -> Iterator[tuple[str, str]]:
    """(word as written, gold lemma) for every word token of `files` (Brown-UK XML)."""
    token = re.compile(r'<token value="([^"]*)" lemma="([^"]*)" tags="([^"]*)"')
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for match in token.finditer(f.read()):
                value, lemma, tags = match.groups()
                if tags.startswith(("punct", "number", "symb", "unclass")):
                    continue
                if not _WORD.search(value):
                    continue
                yield _unescape(value), _unescape(lemma)


def _unescape(text: str) -> str:
    return text.replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _fold(word: str) -> str:
    return normalise_word(word).lower()


def lemma_accuracy(quick: bool) -> dict[str, float]:
    """`lemmatise` against Brown-UK's gold lemmas, the word told whether it was capitalised (as
    the analyzer tells it). ``held_out_accuracy``: the half the word table was not learnt from."""
    from searchlib.analysis.stopwords import STOP_WORDS

    stops = STOP_WORDS[Lang.UK]
    files = brown_uk_files()[:60 if quick else None]
    held_out = set(files[1::2])
    total = correct = content_total = content_correct = surface_correct = 0
    held_total = held_correct = 0
    started = time.perf_counter()
    for path in files:
        for value, gold in brown_uk_gold([path]):
            word = _fold(value)
            ok = lemmatise(word, Lang.UK, capitalised=value[:1].isupper()) == _fold(gold)
            total += 1
            correct += ok
            surface_correct += word == _fold(gold)
            if word not in stops:
                content_total += 1
                content_correct += ok
            if path in held_out:
                held_total += 1
                held_correct += ok
    elapsed = time.perf_counter() - started
    return {
        "tokens": total,
        "accuracy": correct / total,
        "held_out_tokens": held_total,
        "held_out_accuracy": held_correct / held_total,
        "content_accuracy": content_correct / content_total,
        "surface_baseline": surface_correct / total,
        "tokens_per_s": total / elapsed,
    }


def build_uk_word_lemmas() -> None:
    """Learn the Ukrainian word table from the even-numbered Brown-UK files; write it."""
    from searchlib.analysis.morph import candidate_lemmas, choose_lemma, word_lemma_key
    from searchlib.analysis.prior import WORD_LEMMAS_PATH, build_word_lemmas, write_word_lemmas

    # A word spelt with ґ is analysed as its г spelling (`choose_lemma`): never looked up.
    pairs = [(word_lemma_key(_fold(value), value[:1].isupper()), _fold(gold))
             for value, gold in brown_uk_gold(brown_uk_files()[0::2]) if "ґ" not in value.lower()]
    table = build_word_lemmas(
        pairs,
        lambda key: choose_lemma(key.lower(), Lang.UK, key[:1].isupper(), learnt=False),
        lambda key: candidate_lemmas(key.lower(), Lang.UK))
    rows = write_word_lemmas(table)
    print(f"word lemmas: {len(pairs)} tokens, {rows} words -> {WORD_LEMMAS_PATH}")


def unlabelled_uk_texts() -> Iterator[str]:
    """Ukrainian news text for the lemma prior, without the Brown-UK texts used as gold."""
    gold = {p.name.removesuffix(".xml.gz") for p in brown_uk_files()}
    for group in ("good", "so-so"):
        for path in sorted((TEXTS / "brown-uk" / group).glob("*.txt")):
            if path.stem not in gold:
                yield path.read_text(encoding="utf-8", errors="replace")
    for item in load_babel_ua():
        yield item.title + "\n" + item.body
    for path in sorted((TEXTS / "ner-uk-nashigroshi").rglob("*.txt")):
        yield path.read_text(encoding="utf-8", errors="replace")
    for path in sorted((TEXTS / "slavicner" / "raw").glob("*/uk/*.txt")):
        yield path.read_text(encoding="utf-8", errors="replace")
    for path in sorted((TEXTS / "wmt-general-test").glob("*.uk-en.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                yield json.loads(line).get("src") or ""
    ntrex = TEXTS / "ntrex" / "newstest2019-ref.ukr.txt"
    if ntrex.exists():
        yield ntrex.read_text(encoding="utf-8")


def build_uk_prior() -> None:
    """Learn the Ukrainian lemma prior from unlabelled text and write the shipped table."""
    from searchlib.analysis.morph import candidate_lemmas
    from searchlib.analysis.prior import PRIOR_PATH, build_prior, write_prior
    from searchlib.analysis.tokenizers import WORD_PATTERN

    cyrillic = re.compile("[\u0400-\u04ff]")
    started = time.perf_counter()
    words = [
        _fold(match.group(0))
        for text in unlabelled_uk_texts()
        for match in WORD_PATTERN.finditer(text)
        if cyrillic.search(match.group(0))
    ]
    prior = build_prior(words, lambda word: candidate_lemmas(word, Lang.UK))
    rows = write_prior(prior)
    print(
        f"lemma prior: {len(words)} tokens, {rows} lemmas -> {PRIOR_PATH} "
        f"({PRIOR_PATH.stat().st_size} bytes, {time.perf_counter() - started:.0f}s)"
    )


# --------------------------------------------------------------------------------- language


def language_accuracy(cols: dict[Lang, list[Item]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for what in ("document", "title"):
        right = total = 0
        for lang, items in cols.items():
            for item in items:
                text = item.body if what == "document" else item.title
                right += detect_language(text) is lang
                total += 1
            out[f"{what}_{lang}"] = sum(
                detect_language(i.body if what == "document" else i.title) is lang for i in items
            ) / len(items)
        out[what] = right / total
    return out


# --------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small samples (about a minute)")
    parser.add_argument("--only", default="retrieval,names,lemma,lang")
    parser.add_argument("--passages", action="store_true", help="also run the passage variant")
    parser.add_argument("--variants", action="store_true", help="compare analyzer variants")
    parser.add_argument(
        "--exact-bonus", action="store_true", help="also try lemma OR exact-form queries"
    )
    parser.add_argument("--size", type=int, help="articles per language (default 1500)")
    parser.add_argument("--langs", default="uk,ru,en")
    parser.add_argument(
        "--build-prior", action="store_true", help="rebuild searchlib's Ukrainian lemma prior"
    )
    parser.add_argument("--build-word-lemmas", action="store_true",
                        help="rebuild searchlib's Ukrainian word table from half of Brown-UK")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"shared corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    if args.build_prior:
        build_uk_prior()
        return 0
    if args.build_word_lemmas:
        build_uk_word_lemmas()
        return 0
    only = set(args.only.split(","))
    report: dict[str, object] = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "quick": args.quick,
    }
    cols = collections(args.quick, args.size)
    if "retrieval" in only:
        weightings = {"bm25f": scoring.BM25F(), "lucene-idf": LuceneBM25()}
        rows = []
        modes = [False, True] if args.passages else [False]
        for lang in [Lang(code) for code in args.langs.split(",")]:
            for passage_mode in modes:
                names = VARIANTS[lang] if args.variants else ["plain", "searchlib"]
                for name in names:
                    analyzer = variant_analyzer(name, lang)
                    clear_caches()
                    res = run_known_item(
                        cols[lang],
                        analyzer,
                        weightings,
                        passage_mode=passage_mode,
                        exact_bonus=args.exact_bonus and name == "searchlib",
                    )
                    for wname, r in res.items():
                        rows.append(
                            {
                                "lang": str(lang),
                                "task": "passage" if passage_mode else "article",
                                "analyzer": name,
                                "weighting": wname,
                                "mrr10": round(r.mrr, 4),
                                "recall10": round(r.recall10, 4),
                                "queries": r.queries,
                                "docs": r.docs,
                                "index_s": round(r.index_s, 2),
                                "query_ms": round(1000 * r.query_s / r.queries, 2),
                                "cache_hit_rate": round(cache_stats()["hit_rate"], 3),
                            }
                        )
                        row = rows[-1]
                        print(
                            f"{row['lang']:3} {row['task']:8} {name:13} {wname:28} "
                            f"MRR@10 {row['mrr10']:.4f}  R@10 {row['recall10']:.3f}  "
                            f"q={row['queries']} d={row['docs']} index {row['index_s']}s "
                            f"query {row['query_ms']}ms hit {row['cache_hit_rate']}",
                            flush=True,
                        )
        report["retrieval"] = rows
        for row in rows:
            if row["analyzer"] == "searchlib":
                assert row["mrr10"] > 0.3, f"MRR@10 collapsed: {row}"
    if "names" in only:
        report["names"] = names_across_scripts()
    if "lemma" in only:
        clear_caches()
        lem = lemma_accuracy(args.quick)
        print(
            f"Brown-UK lemma accuracy {lem['accuracy']:.4f} over {lem['tokens']} tokens, "
            f"{lem['held_out_accuracy']:.4f} over the {lem['held_out_tokens']} held out from the "
            f"word table (content words {lem['content_accuracy']:.4f}; surface=lemma baseline "
            f"{lem['surface_baseline']:.4f}; {lem['tokens_per_s']:.0f} tokens/s)"
        )
        report["lemma"] = lem
        assert lem["accuracy"] > 0.85, "lemma accuracy collapsed"
    if "lang" in only:
        acc = language_accuracy(cols)
        print("language detection: " + ", ".join(f"{k} {v:.4f}" for k, v in acc.items()))
        report["language"] = acc
        assert acc["document"] > 0.95, "language detection collapsed"
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
