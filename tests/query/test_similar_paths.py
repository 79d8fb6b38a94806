"""`similar` ranks its candidates from the posting lists (`best_documents`); Whoosh's collectors
ranked them before. On real articles, both must give the same documents, in the same order, with
the same scores: the translation candidates (name prefixes, another language, a date window) and
the related articles (key terms, the article itself masked).

The expected ranking is Whoosh's exhaustive one (every match scored, `limit=None`, then the
best first, ties by lowest document). Whoosh's top-N collector can miss documents: its matcher
replacement bounds `NOT q` by q's scores, so it drops a branch that still has better
candidates (seen on this corpus; see `searchlib.query.matches`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from whoosh import query as wq

from searchlib.api import Index
from searchlib.model import Lang
from searchlib.query.matches import read_matches
from searchlib.query.similarity import (
    TRANSLATION_CANDIDATES,
    best_documents,
    key_terms,
    related_query,
    translation_query,
)

STEP = 6
"""Every STEP-th article of the research index is checked (~400 articles)."""


def _whoosh(searcher, query: wq.Query, limit: int, mask: wq.Query | None = None):
    """The `limit` best (document, score) by Whoosh's matchers, every match scored."""
    hits = searcher.search(query, limit=None, mask=mask)
    return [(hit.docnum, hit.score) for hit in hits][:limit]


def test_candidates_equal_whooshs_on_real_articles(research_index: Index) -> None:
    translations = related = with_window = 0
    with research_index.searcher() as searcher:
        for docnum in range(0, searcher.doc_count_all(), STEP):
            stored = searcher.stored_fields(docnum)
            found = translation_query(searcher, stored)
            if found is not None:
                query = found[0]
                # The posting-list path is taken (the fallback would compare Whoosh to itself).
                assert read_matches(searcher, query, terms=False) is not None
                expected = _whoosh(searcher, query, TRANSLATION_CANDIDATES)
                assert best_documents(searcher, query, TRANSLATION_CANDIDATES) == expected, \
                    stored["id"]
                translations += 1
                with_window += any(isinstance(part, wq.DateRange)
                                   for part in query.subqueries)
            lang = Lang(stored["lang"]) if stored.get("lang") else Lang.EN
            terms = key_terms(searcher, stored, lang)
            if terms:
                query, mask = related_query(terms, lang), wq.Term("id", stored["id"])
                expected = _whoosh(searcher, query, 30, mask)
                assert best_documents(searcher, query, 30, mask=mask) == expected, stored["id"]
                related += 1
    # The sample exercises both queries, the date window included.
    assert translations > 50 and with_window > 20 and related > 300


@pytest.mark.parametrize("since_days", [1, 400])
def test_a_date_range_is_read_as_whoosh_scores_it(research_index: Index,
                                                   since_days: int) -> None:
    """A date range without matched terms is a constant-score part of the query: read from its
    trie terms' postings, it selects and scores what Whoosh's collectors do."""
    with research_index.searcher() as searcher:
        some = next(stored for stored in searcher.all_stored_fields()
                    if stored.get("published") and stored.get("lang") == "uk")
        published = some["published"]
        window = wq.DateRange("published", published - timedelta(days=since_days),
                              published + timedelta(days=since_days))
        query = wq.And([wq.Or([wq.Term("text_uk", "україна"), wq.Term("text_uk", "війна"),
                               wq.Term("title_uk", "україна")]), window])
        expected = _whoosh(searcher, query, 50)
        assert expected
        assert best_documents(searcher, query, 50) == expected
