"""Match sets and scores read from posting lists equal what Whoosh's matchers give."""

from __future__ import annotations

import heapq
import pickle
import random
import zlib

import pytest
from whoosh import collectors, scoring
from whoosh.searching import Searcher

from searchlib.api import Index
from searchlib.model import Article, Lang
from searchlib.query import matches, proximity
from searchlib.query.matches import (
    _PRUNE_FROM,
    _cut_before_values,
    _ids_and_weights,
    read_matches,
)
from searchlib.query.search import prepare

QUERIES = (
    "Україна", "уряд України", "ціни на нафту", "oil prices", "market OR shares", "компанія*",
    "title:Україна", "Росія", "президент~", "economy growth", "bank -shares",
    "Україна NOT Росія", "market NOT shares",
)


def _exhaustive(searcher, parsed, limit: int) -> list[tuple[int, float, set]]:
    """Whoosh's ranking scoring every match (no block skipping, no matcher replacement)."""
    top = collectors.TopCollector(limit=limit, usequality=False, replace=0)
    terms = collectors.TermsCollector(top)
    searcher.search_with_collector(parsed, terms)
    return [(hit.docnum, hit.score, set(hit.matched_terms())) for hit in terms.results()]


def _ours(found, docnums, limit: int) -> list[tuple[int, float, set]]:
    scores = found.scores(docnums)
    ranked = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
    return [(docnum, score, set(found.matched_terms(docnum))) for docnum, score in ranked]


@pytest.mark.parametrize("text", QUERIES)
def test_matches_scores_and_terms_equal_whoosh(corpus_index: Index, text: str) -> None:
    with corpus_index.searcher() as searcher:
        parsed, _ = prepare(searcher, text, None)
        found = read_matches(searcher, parsed)
        assert found is not None, parsed
        docnums = found.docnums()
        assert docnums == set(searcher.docs_for_query(parsed))
        assert docnums, text
        assert _ours(found, docnums, 20) == _exhaustive(searcher, parsed, 20)


def test_top_scores_hold_the_exhaustive_best_and_skip_most_matches(corpus_index: Index) -> None:
    scored = matched = 0
    with corpus_index.searcher() as searcher:
        for text in QUERIES:
            parsed, _ = prepare(searcher, text, None)
            found = read_matches(searcher, parsed)
            assert found is not None
            docnums = found.docnums()
            every = found.scores(docnums)
            for count in (1, 3, 10, 25):
                top = found.top_scores(docnums, count)
                assert top.items() <= every.items(), text  # exact scores, of matches only
                best = heapq.nsmallest(count, every.items(), key=lambda i: (-i[1], i[0]))
                assert heapq.nsmallest(count, top.items(), key=lambda i: (-i[1], i[0])) == best
            if len(docnums) > 10 * _PRUNE_FROM:  # else every match is scored
                scored += len(found.top_scores(docnums, 10))
                matched += len(docnums)
    assert 0 < scored < matched / 2, (scored, matched)


def test_top_scores_keep_the_best_of_random_queries(corpus_index: Index, monkeypatch) -> None:
    # Queries made of the corpus's own words: boosts, OR, NOT, field prefixes and nesting;
    # bounds are used whatever the number of matches.
    monkeypatch.setattr(matches, "_PRUNE_FROM", 0)
    rng = random.Random(7)
    shapes = ("{} {}", "{} OR {}", "{} -{}", "{}^3 {}", "title:{} OR {}", "({} OR {}) {}",
              "{} {} {}", "{}^0.5 OR {}^2")
    with corpus_index.searcher() as searcher:
        words = sorted({word for field in ("text_uk", "text_ru", "text_en")
                        for word, _ in _frequent(searcher, field)})
        checked = 0
        for _ in range(100):
            shape = rng.choice(shapes)
            text = shape.format(*rng.sample(words, shape.count("{}")))
            parsed, _ = prepare(searcher, text, None)
            found = read_matches(searcher, parsed)
            if found is None:
                continue
            docnums = found.docnums()
            every = sorted(found.scores(docnums).items(), key=lambda i: (-i[1], i[0]))
            for count in (1, 5, 10, 30):
                top = sorted(found.top_scores(docnums, count).items(),
                             key=lambda i: (-i[1], i[0]))
                assert top[:count] == every[:count], (text, count)
            checked += len(docnums) > 30
    assert checked >= 20  # enough queries with more matches than the largest page


def _frequent(searcher: Searcher, field: str) -> list[tuple[str, int]]:
    reader = searcher.reader()
    terms = [(term.decode("utf-8"), reader.doc_frequency(field, term))
             for term in reader.lexicon(field)]
    terms = [(word, df) for word, df in terms if len(word) > 3 and word.isalpha()]
    return sorted(terms, key=lambda term: -term[1])[:30]


def test_deleted_articles_are_not_matched_and_scores_still_equal(fresh_index: Index) -> None:
    # Three commits make three segments; deleting marks a document of the first one.
    for batch in range(3):
        fresh_index.add([
            Article(id=f"{batch}-{n}", title=f"Oil report {n}",
                    text="Oil prices rose. " * (n + 1) + "Markets reacted.", lang=Lang.EN)
            for n in range(5)
        ])
    fresh_index.delete(["0-2"])
    with fresh_index.searcher() as searcher:
        parsed, _ = prepare(searcher, "oil prices", None)
        found = read_matches(searcher, parsed)
        assert found is not None
        docnums = found.docnums()
        assert len(docnums) == 14
        assert docnums == set(searcher.docs_for_query(parsed))
        assert _ours(found, docnums, 20) == _exhaustive(searcher, parsed, 20)


def test_phrase_query_is_left_to_whoosh(sample_index: Index) -> None:
    with sample_index.searcher() as searcher:
        parsed, _ = prepare(searcher, '"action plan"', None)
        assert read_matches(searcher, parsed) is None
    results = sample_index.search('"action plan"', collapse=False)
    assert results.total == len(results.hits) > 0


def test_search_page_is_the_exhaustive_ranking(corpus_index: Index,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # BM25F alone: proximity (`searchlib.query.proximity`) re-orders this page afterwards.
    monkeypatch.setattr(proximity, "WEIGHT", 0.0)
    for text in ("уряд України", "oil prices", "market OR shares"):
        results = corpus_index.search(text, limit=10, collapse=False, relax=False)
        with corpus_index.searcher() as searcher:
            parsed, _ = prepare(searcher, text, None)
            expected = _exhaustive(searcher, parsed, 10)
            ids = [searcher.stored_fields(docnum)["id"] for docnum, _, _ in expected]
        assert [hit.id for hit in results.hits] == ids
        assert [hit.score for hit in results.hits] == [score for _, score, _ in expected]


def test_other_weighting_scores_equal_whoosh(corpus_index: Index) -> None:
    # A weighting without `posting_scores` is scored through its own scorer objects.
    with corpus_index.searcher() as ours:
        searcher = Searcher(ours.reader(), weighting=scoring.BM25F(), closereader=False)
        parsed, _ = prepare(searcher, "уряд України", None)
        found = read_matches(searcher, parsed)
        assert found is not None
        assert _ours(found, found.docnums(), 20) == _exhaustive(searcher, parsed, 20)


def test_empty_index_matches_nothing(fresh_index: Index) -> None:
    with fresh_index.searcher() as searcher:
        parsed, _ = prepare(searcher, "oil", None)
        found = read_matches(searcher, parsed)
        assert found is not None and found.docnums() == set()
    assert fresh_index.search("oil").total == 0


@pytest.mark.parametrize("values", [(b"\x01\x02", b"\x03", b"\x04\x05"), b"\x00\x01\x02\x03"])
def test_a_block_is_read_up_to_its_values(values) -> None:
    # Blocks pickle their values as a tuple of bytes (positions) or as one bytes (fixed size).
    block = pickle.dumps(((1, 300, 70000), (1.0, 2.5, 3.0), values), 2)
    assert _cut_before_values(block, 3) == ((1, 300, 70000), (1.0, 2.5, 3.0))
    assert _ids_and_weights(zlib.compress(block), 3, True) == ((1, 300, 70000), (1.0, 2.5, 3.0))
    assert _cut_before_values(block, 2) is None  # not the block's count: read it whole
