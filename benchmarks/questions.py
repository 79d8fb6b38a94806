"""Question-style retrieval (issue 20): questions and pasted sentences against passages.

Run: ``python -m benchmarks.questions [--quick] [--langs uk,ru,en] [--articles N] [--questions N]``.

**Collection** (fixed seed `SEED`, nothing tuned on it): per language, `--articles` articles are
sampled from the shared corpus (uk: babel-ua + SlavicNER uk; ru: ru_kw_eval RT/NG + NEREL
Wikinews; en: BBC 2225, the known-item collections of `benchmarks.retrieval`) and cut into
passages of about 600 characters (`benchmarks.retrieval.passages`); every passage is one
document (no title), as in question-to-passage collections. `--questions` questions are written
from sentences of random passages (8-30 words) the way reading-comprehension questions are:

1. the *answer* is removed: a number if the sentence has one, else a run of capitalised words
   (a name) not at the start, else one word of 4+ letters;
2. a question word of the answer's kind goes in front (`_QUESTION_WORDS`: e.g. number ->
   ``Сколько`` / ``Скільки`` / ``How many``; name -> ``Кто`` / ``Хто`` / ``Who``);
3. each other word is dropped with probability 0.2 (at least 5 kept) and re-inflected with
   probability 0.3 (uk/ru: another form of its pymorphy3 lexeme; en: singular <-> plural -s);
4. the sentence's own punctuation (quotes, brackets, colons, ``4:51``, hyphens) is kept, so
   the questions carry what pasted text carries; ``?`` ends each one.

The relevant document is the passage the sentence came from. MRR@10 (and R@10) per language.

Three collections (`--collections`, all by default), each drawn with its own seeded generator:

- ``standard`` (`STANDARD`): as above;
- ``hard`` (`HARD`): twice the articles (more distractors); each word dropped with probability
  0.5 (at least 3 kept), kept words re-inflected with probability 0.5, one word of 4+ letters of
  another random passage put in at a random place (the vocabulary a paraphrase brings, so that
  most questions have no passage holding all their words, as real questions), and the question
  words of `_HARD_QUESTION_WORDS`: more of them, with inflected forms and auxiliaries (``Кого``,
  ``Якою``, ``Чий``, ``Скольких``, ``Did``, ``Does``) that no stop-word list holds. Those words
  overlap `searchlib.query.parse.QUESTION_WORDS` by construction (both were written from the
  same idea of a question): that item's gain here is an upper bound, the standard collection's
  question words were chosen before it;
- ``titles`` (`TITLES`): keyword queries, known item: the title of each of `--questions` sampled
  articles is the query, its whole body (no title) the one relevant document among the bodies of
  all sampled articles (as `benchmarks.retrieval`, but through `Index.search`).

Each collection reports the share of its queries with no full match (no document holding all
their words, `relax=False`).

**Systems**, in the same run, alternated query by query:

- ``searchlib``: `Index.create` + `Index.add` (one index per language, articles with their
  language), `Index.search(question, limit=10, collapse=False)` as shipped; and variants with one
  change switched off (`VARIANTS`), to show what each change is worth;
- ``whoosh``: plain Whoosh, ``RegexTokenizer | LowercaseFilter``, BM25F, the question's words
  OR-ed (Whoosh's default AND finds nothing for most questions);
- ``lucene``: a Lucene-style BM25 baseline: Lucene's analyser chains rebuilt in Whoosh
  (en: EnglishAnalyzer = word tokens, possessive 's removed, lowercase, Lucene's 33 English stop
  words, Porter stemmer; ru: RussianAnalyzer = lowercase, Russian stop words (searchlib's list),
  Snowball Russian stemmer; uk: UkrainianMorfologikAnalyzer = lowercase, Ukrainian stop words
  (searchlib's list), every dictionary lemma of the word (pymorphy3 instead of Morfologik)),
  BM25 with Lucene's idf (k1 1.2, b 0.75), every term OR-ed as Lucene's classic query parser does.

Prints a table and a JSON line (also written to benchmarks/out/), with wall and CPU time,
documents and questions per language. Exit status 1 when searchlib's MRR@10 collapses (< 0.3).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from unittest.mock import patch

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh import scoring
from whoosh.analysis import Analyzer, Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.fields import ID, TEXT, Schema

from benchmarks._common import CORPUS, Timer, machine, print_table, write_result
from benchmarks.retrieval import (
    TEXTS,
    Item,
    LuceneBM25,
    load_babel_ua,
    load_plain_dir,
    load_ru_kw_eval,
    passages,
    plain_analyzer,
)
from searchlib.api import Index
from searchlib.errors import QueryError
from searchlib.model import Article, Lang
from searchlib.query import parse, proximity
from searchlib.query.search import SearchOptions

SEED = 20261207
FLOOR = 0.3
"""searchlib's MRR@10 below this in any language means a broken pipeline (exit 1)."""

_QUESTION_WORDS: dict[Lang, dict[str, tuple[str, ...]]] = {
    Lang.EN: {"number": ("How many", "How much", "When", "What year"),
              "name": ("Who", "Which", "What", "Where did"),
              "thing": ("What", "What did", "How does", "Why do")},
    Lang.RU: {"number": ("Сколько", "Когда", "В каком году"),
              "name": ("Кто", "Какой", "Что", "Где"),
              "thing": ("Что", "Как", "Какой", "Почему")},
    Lang.UK: {"number": ("Скільки", "Коли", "У якому році"),
              "name": ("Хто", "Який", "Що", "Де"),
              "thing": ("Що", "Як", "Який", "Чому")},
}
"""Question words put in front of a question, by the kind of answer removed."""

_HARD_QUESTION_WORDS: dict[Lang, dict[str, tuple[str, ...]]] = {
    Lang.EN: {"number": ("How many", "How much", "When did", "What year did", "How long did"),
              "name": ("Who did", "Which", "Whom does", "Where did", "Who was"),
              "thing": ("What does", "What did", "How does", "Why do", "Did", "Does", "Do")},
    Lang.RU: {"number": ("Сколько", "Скольких", "Когда", "В каком году", "Какова"),
              "name": ("Кто", "Кого", "Кому", "Чей", "Каков", "Какую"),
              "thing": ("Что", "Как", "Каким образом", "Почему", "Чем", "Разве")},
    Lang.UK: {"number": ("Скільки", "Скількох", "Коли", "У якому році", "Якою була"),
              "name": ("Хто", "Кого", "Кому", "Чий", "Якою", "Яку"),
              "thing": ("Що", "Як", "Чому", "Чи", "Чим", "Навіщо")},
}
"""The hard collection's question words: more of them, and inflected forms (кого, якою, чий,
скольких, did) that the stop-word lists do not hold."""


@dataclass(frozen=True, slots=True)
class Recipe:
    """How questions are written from sentences (module docstring)."""

    name: str
    drop: float
    """Probability that a word of the sentence is left out."""
    keep_at_least: int
    reinflect: float
    """Probability that a kept word is put in another form."""
    foreign: int
    """Words of another passage put into the question (the words a paraphrase brings)."""
    question_words: dict[Lang, dict[str, tuple[str, ...]]]
    titles: bool = False
    """Keyword queries instead: each sampled article's title against its whole body."""


STANDARD = Recipe("standard", 0.2, 5, 0.3, 0, _QUESTION_WORDS)
HARD = Recipe("hard", 0.5, 3, 0.5, 1, _HARD_QUESTION_WORDS)
TITLES = Recipe("titles", 0, 0, 0, 0, {}, titles=True)
RECIPES = {recipe.name: recipe for recipe in (STANDARD, HARD, TITLES)}

_LUCENE_EN_STOP = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split())
"""Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`."""
_LETTERS = re.compile(r"[^\W\d_]{4,}")
_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


# ------------------------------------------------------------------------- collection


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    relevant: str
    """Id of the passage the question was written from."""
    kind: str


def _articles(lang: Lang, count: int, rng: random.Random) -> list[Item]:
    if lang is Lang.UK:
        pool = list(load_babel_ua()) + list(
            load_plain_dir(TEXTS / "slavicner" / "raw", "sner-uk", "uk/*.txt"))
    elif lang is Lang.RU:
        pool = list(load_ru_kw_eval(count * 4)) + list(
            load_plain_dir(TEXTS / "nerel-ru-wikinews", "nerel"))
    else:
        pool = list(load_plain_dir(TEXTS / "bbc-2225", "bbc"))
    seen: set[str] = set()
    unique = [i for i in pool if not (i.body[:200] in seen or seen.add(i.body[:200]))]
    return rng.sample(unique, min(count, len(unique)))


def collection(lang: Lang, articles: int, questions: int, seed: int = SEED,
               recipe: Recipe = STANDARD) -> tuple[dict[str, str], list[Question]]:
    """(passage id -> text, questions) for one language."""
    rng = random.Random(f"{seed}-{lang}" if recipe is STANDARD else f"{seed}-{lang}-{recipe.name}")
    docs: dict[str, str] = {}
    if recipe.titles:
        items = _articles(lang, articles, rng)
        asked = rng.sample(items, min(questions, len(items)))
        return ({item.id: item.body for item in items},
                [Question(item.title, item.id, "title") for item in asked])
    for item in _articles(lang, articles, rng):
        for n, passage in enumerate(passages(item, 600)):
            docs[f"{item.id}#{n}"] = passage
    ids = sorted(docs)
    made: list[Question] = []
    reinflect = _reinflector(lang)
    attempts = 0
    while len(made) < questions and attempts < questions * 50:
        attempts += 1
        doc_id = rng.choice(ids)
        sentences = [s for s in re.split(r"(?<=[.!?…])\s+", docs[doc_id])
                     if 8 <= len(s.split()) <= 30]
        if not sentences:
            continue
        question = _question(rng.choice(sentences), lang, rng, reinflect, recipe)
        if question and recipe.foreign:
            question = _with_foreign_words(question, docs[rng.choice(ids)], recipe.foreign, rng)
        if question:
            made.append(Question(question[0], doc_id, question[1]))
    return docs, made


def _question(sentence: str, lang: Lang, rng: random.Random,
              reinflect: Callable[[str, random.Random], str],
              recipe: Recipe = STANDARD) -> tuple[str, str] | None:
    chunks = sentence.split()
    chunks[-1] = chunks[-1].rstrip(".!?…")
    numbers = [i for i, c in enumerate(chunks) if any(ch.isdigit() for ch in c)]
    names = [i for i, c in enumerate(chunks) if i and _EDGE.match(c).group(2)[:1].isupper()]
    words = [i for i, c in enumerate(chunks) if _LETTERS.search(c)]
    if numbers:
        kind, answer = "number", [rng.choice(numbers)]
    elif names:
        kind, start = "name", rng.choice(names)
        answer = [start]
        while answer[-1] + 1 < len(chunks) and chunks[answer[-1] + 1][:1].isupper():
            answer.append(answer[-1] + 1)
    elif words:
        kind, answer = "thing", [rng.choice(words)]
    else:
        return None
    rest = [c for i, c in enumerate(chunks) if i not in answer]
    kept = [c for c in rest if rng.random() >= recipe.drop] if len(rest) > 6 else rest
    if len(kept) < recipe.keep_at_least:
        kept = rest
    kept = [reinflect(c, rng) if rng.random() < recipe.reinflect else c for c in kept]
    if not kept:
        return None
    return f"{rng.choice(recipe.question_words[lang][kind])} {' '.join(kept)}?", kind


def _with_foreign_words(question: tuple[str, str], other: str, count: int,
                        rng: random.Random) -> tuple[str, str]:
    """The question with `count` words (4+ letters) of the passage `other` put in at random
    places before its ``?``."""
    words = _LETTERS.findall(other)
    chunks = question[0].removesuffix("?").split()
    for _ in range(count if words else 0):
        chunks.insert(rng.randint(1, len(chunks)), rng.choice(words).lower())
    return " ".join(chunks) + "?", question[1]


def _reinflector(lang: Lang) -> Callable[[str, random.Random], str]:
    """chunk -> the chunk with its word in another form (punctuation around it kept)."""
    if lang is Lang.EN:
        def english(word: str) -> str:
            if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
                return word[:-1]
            return word + "s" if word.isalpha() and len(word) > 3 else word

        return lambda chunk, rng: _inflect_chunk(chunk, lambda w: english(w))
    import pymorphy3

    morph = pymorphy3.MorphAnalyzer(lang=str(lang))

    def other_form(word: str, rng: random.Random) -> str:
        parses = morph.parse(word)
        if not parses:
            return word
        forms = sorted({f.word for f in parses[0].lexeme} - {word.lower()})
        if not forms:
            return word
        form = rng.choice(forms)
        return form.capitalize() if word[:1].isupper() else form

    return lambda chunk, rng: _inflect_chunk(chunk, lambda w: other_form(w, rng))


def _inflect_chunk(chunk: str, change: Callable[[str], str]) -> str:
    lead, word, tail = _EDGE.match(chunk).groups()
    if not word.isalpha():
        return chunk
    return lead + change(word) + tail


# ------------------------------------------------------------------------- systems


class _PossessiveFilter(Filter):
    """Lucene's EnglishPossessiveFilter: ``Canada's`` -> ``Canada``."""

    def __call__(self, tokens):
        for t in tokens:
            if t.text.endswith(("'s", "’s")):
                t.text = t.text[:-2]
            yield t


class _AllLemmasFilter(Filter):
    """Every dictionary lemma of a word at its position (as Lucene's MorfologikFilter)."""

    def __init__(self, lang: Lang) -> None:
        import pymorphy3

        self.morph = pymorphy3.MorphAnalyzer(lang=str(lang))

    def __call__(self, tokens):
        for t in tokens:
            lemmas = dict.fromkeys(p.normal_form for p in self.morph.parse(t.text)) or {t.text: 0}
            for lemma in lemmas:
                copied = t.copy()
                copied.text = lemma
                yield copied


def lucene_analyzer(lang: Lang) -> Analyzer:
    """Lucene's analyser chain for the language, rebuilt from Whoosh parts (module docstring)."""
    from whoosh.analysis import StemFilter
    from whoosh.lang import stemmer_for_language

    from searchlib.analysis.stopwords import STOP_WORDS

    words = RegexTokenizer(r"\w+(?:['’]\w+)*")
    if lang is Lang.EN:
        return (words | _PossessiveFilter() | LowercaseFilter()
                | StopFilter(stoplist=_LUCENE_EN_STOP, minsize=1) | StemFilter())
    stops = StopFilter(stoplist=frozenset(STOP_WORDS[lang]), minsize=1)
    if lang is Lang.RU:
        return words | LowercaseFilter() | stops | StemFilter(stemfn=stemmer_for_language("ru"))
    return words | LowercaseFilter() | stops | _AllLemmasFilter(lang)


def _or_query(analyzer: Analyzer, text: str) -> Q.Query:
    terms = list(dict.fromkeys(t.text for t in analyzer(text, mode="query")))
    return Q.Or([Q.Term("text", term) for term in terms]) if terms else Q.NullQuery


class _WhooshSystem:
    def __init__(self, folder: Path, docs: dict[str, str], analyzer: Analyzer,
                 weighting: scoring.WeightingModel) -> None:
        self.analyzer = analyzer
        ix = whoosh_index.create_in(str(folder), Schema(id=ID(stored=True),
                                                        text=TEXT(analyzer=analyzer)))
        writer = ix.writer(limitmb=128)
        for doc_id, text in docs.items():
            writer.add_document(id=doc_id, text=text)
        writer.commit()
        self.searcher = ix.searcher(weighting=weighting)

    def __call__(self, text: str) -> list[str]:
        return [hit["id"] for hit in self.searcher.search(_or_query(self.analyzer, text),
                                                          limit=10)]


class _SearchlibSystem:
    def __init__(self, folder: Path, docs: dict[str, str], lang: Lang) -> None:
        self.index = Index.create(folder)
        self.index.add(Article(id=doc_id, title="", text=text, lang=lang)
                       for doc_id, text in docs.items())
        self.options = SearchOptions(limit=10, collapse=False, suggest=False)

    def full_matches(self, text: str) -> int:
        """How many passages hold every word of `text` (0 on a refused query)."""
        try:
            return self.index.search(text, self.options.updated(limit=0, relax=False)).total
        except QueryError:
            return 0

    def run(self, text: str, variant: Variant) -> list[str]:
        with variant.setup():
            options = variant.options(self.options, text)
            try:
                return [hit.id for hit in self.index.search(text, options).hits]
            except QueryError:
                return []


@dataclass(frozen=True, slots=True)
class Variant:
    """searchlib with one change switched off (or as shipped)."""

    name: str
    setup: Callable[[], AbstractContextManager[Any]] = nullcontext
    options: Callable[[SearchOptions, str], SearchOptions] = lambda options, text: options


def _plain_fallback_only(options: SearchOptions, text: str) -> SearchOptions:
    """Before issue 20 item 1: the partial-match fallback only for queries of bare words."""
    from searchlib.query.parse import is_plain

    return options if is_plain(text) else options.updated(relax=False)


def _switched_off(*changes: tuple[Any, str, Any]) -> Callable[[], AbstractContextManager[Any]]:
    """A setup that sets each (module, name, value) for the query's duration."""
    def setup() -> AbstractContextManager[Any]:
        stack = ExitStack()
        for module, name, value in changes:
            stack.enter_context(patch.object(module, name, value))
        return stack

    return setup


_NO_QUESTION_WORDS = (parse, "QUESTION_WORDS", {lang: frozenset() for lang in Lang})
_NO_PARTS = (parse, "PART_BOOST", 0.0)
_NO_PROXIMITY = (proximity, "WEIGHT", 0.0)

VARIANTS: tuple[Variant, ...] = (
    Variant("searchlib"),
    Variant("-question words (4)", setup=_switched_off(_NO_QUESTION_WORDS)),
    Variant("-hyphen parts (5)", setup=_switched_off(_NO_PARTS)),
    Variant("-proximity (6)", setup=_switched_off(_NO_PROXIMITY)),
    Variant("before items 4-6", setup=_switched_off(_NO_QUESTION_WORDS, _NO_PARTS,
                                                     _NO_PROXIMITY)),
    Variant("-fallback for all", options=_plain_fallback_only),
)
"""searchlib as shipped and with each issue-20 change switched off (the module constants that
turn it off; "before items 4-6" is searchlib before them)."""

PROXIMITY_GRID: tuple[Variant, ...] = tuple(
    Variant(f"proximity w{weight} n{window}", setup=_switched_off(
        (proximity, "WEIGHT", weight), (proximity, "WINDOW", window)))
    for weight in (0.1, 0.4) for window in (5, 10, 20))
"""`--proximity-grid`: other weights and windows of `searchlib.query.proximity` (shipped: 0.2
and 10)."""


# ------------------------------------------------------------------------- main


def _rank(found: list[str], relevant: str) -> int:
    return next((r for r, doc_id in enumerate(found, 1) if doc_id == relevant), 0)


def run(langs: list[Lang], articles: int, questions: int, recipe: Recipe = STANDARD,
        variants: tuple[Variant, ...] = VARIANTS) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    sizes: dict[str, Any] = {}
    timings: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="searchlib-questions-") as tmp:
        for lang in langs:
            with Timer() as built:
                docs, asked = collection(lang, articles, questions, recipe=recipe)
            base = Path(tmp) / str(lang)
            systems: dict[str, Callable[[str], list[str]]] = {}
            for name, analyzer, weighting in (
                ("whoosh", plain_analyzer(), scoring.BM25F()),
                ("lucene", lucene_analyzer(lang), LuceneBM25()),
            ):
                with Timer() as t:
                    (base / name).mkdir(parents=True)
                    systems[name] = _WhooshSystem(base / name, docs, analyzer, weighting)
                timings.setdefault(name, {"index_wall": 0.0, "index_cpu": 0.0})
                timings[name]["index_wall"] += t.wall
                timings[name]["index_cpu"] += t.cpu
            with Timer() as t:
                ours = _SearchlibSystem(base / "searchlib", docs, lang)
            timings.setdefault("searchlib", {"index_wall": 0.0, "index_cpu": 0.0})
            timings["searchlib"]["index_wall"] += t.wall
            timings["searchlib"]["index_cpu"] += t.cpu
            for variant in variants:
                systems[variant.name] = partial(ours.run, variant=variant)
            ranks: dict[str, list[int]] = {name: [] for name in systems}
            spent: dict[str, list[float]] = {name: [0.0, 0.0] for name in systems}
            order = list(systems)
            for n, question in enumerate(asked):
                # Alternate which system goes first, so machine load falls on all alike.
                for name in order[n % len(order):] + order[:n % len(order)]:
                    with Timer() as t:
                        found = systems[name](question.text)
                    spent[name][0] += t.wall
                    spent[name][1] += t.cpu
                    ranks[name].append(_rank(found, question.relevant))
            sizes[str(lang)] = {"documents": len(docs), "questions": len(asked),
                                "no_full_match": round(sum(
                                    ours.full_matches(q.text) == 0 for q in asked) / len(asked), 3),
                                "characters": sum(map(len, docs.values())),
                                "collection_s": round(built.wall, 1)}
            for name, found in ranks.items():
                rows.append({
                    "collection": recipe.name, "lang": str(lang), "system": name,
                    "mrr10": round(sum(1 / r for r in found if r) / len(found), 4),
                    "recall10": round(sum(1 for r in found if r) / len(found), 4),
                    "questions": len(found),
                    "query_ms": round(1000 * spent[name][0] / len(found), 1),
                    "query_cpu_ms": round(1000 * spent[name][1] / len(found), 1),
                })
    return {"rows": rows, "sizes": sizes, "indexing": timings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="150 articles and 100 questions per language (a few minutes)")
    parser.add_argument("--articles", type=int, help="articles per language (default 500; the "
                        "hard collection takes twice as many)")
    parser.add_argument("--questions", type=int, help="questions per language (default 300)")
    parser.add_argument("--langs", default="uk,ru,en")
    parser.add_argument("--collections", default="standard,hard,titles",
                        help="comma-separated: standard, hard, titles (default: all three)")
    parser.add_argument("--proximity-grid", action="store_true",
                        help="also run searchlib with other proximity weights and windows")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"shared corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    articles = args.articles or (150 if args.quick else 500)
    questions = args.questions or (100 if args.quick else 300)
    langs = [Lang(code) for code in args.langs.split(",")]
    recipes = [RECIPES[name] for name in args.collections.split(",")]
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    with Timer() as total:
        for recipe in recipes:
            results.append(run(langs, articles * (2 if recipe is HARD else 1), questions,
                               recipe, VARIANTS + (PROXIMITY_GRID if args.proximity_grid
                                                   else ())))
    for recipe, result in zip(recipes, results, strict=True):
        _print(recipe, result, articles * (2 if recipe is HARD else 1), questions)
    print(f"wall {total.wall:.1f} s, CPU {total.cpu:.1f} s")
    record = {"benchmark": "questions", "seed": SEED, "articles": articles,
              "questions": questions, "machine": machine(), "wall_s": round(total.wall, 1),
              "cpu_s": round(total.cpu, 1), "elapsed_s": round(time.perf_counter() - started, 1),
              "collections": {recipe.name: result
                              for recipe, result in zip(recipes, results, strict=True)}}
    write_result("questions", record)
    low = [r for result in results for r in result["rows"]
           if r["system"] == "searchlib" and r["mrr10"] < FLOOR]
    return 1 if low else 0


def _print(recipe: Recipe, result: dict[str, Any], articles: int, questions: int) -> None:
    print_table(
        f"MRR@10, {recipe.name} collection: "
        + ("article titles against whole bodies" if recipe.titles
           else "questions written from passages")
        + f" (seed {SEED}; {articles} articles and {questions} queries per language)",
        ["lang", "system", "MRR@10", "R@10", "questions", "ms/query", "CPU ms/query"],
        [[r["lang"], r["system"], r["mrr10"], r["recall10"], r["questions"], r["query_ms"],
          r["query_cpu_ms"]] for r in result["rows"]])
    for lang, size in result["sizes"].items():
        print(f"{recipe.name} {lang}: {size['documents']} documents, {size['characters']:,} "
              f"characters, {size['questions']} queries, "
              f"{size['no_full_match']:.0%} with no passage holding all their words")


if __name__ == "__main__":
    sys.exit(main())
