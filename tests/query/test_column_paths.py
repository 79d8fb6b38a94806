"""Column values read in bulk (one read per segment) equal those read one document at a time
(`Column`), on real articles: the source and language facets (`facet_counts`, counted on raw
values) and the publication dates a `since`/`until` filter checks (`within`)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from searchlib.api import Index
from searchlib.query.search import Filters, facet_counts, matching_docnums, prepare, within
from searchlib.store import Column

QUERIES = ("*", "России", "Україна OR Україні", "Brexit OR Брексит", "economy", "газ",
           "no-such-word-anywhere")


def _one_by_one(reader, docnums: set[int], fieldname: str, missing: str | None) -> dict:
    column = Column(reader, fieldname, default="")
    counts: Counter[str] = Counter()
    for docnum in docnums:
        value = column[docnum]
        if value or missing:
            counts[value or missing] += 1
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


@pytest.mark.parametrize("query", QUERIES)
def test_source_and_lang_facets_equal_the_per_document_count(research_index: Index,
                                                             query: str) -> None:
    with research_index.searcher() as searcher:
        parsed, _ = prepare(searcher, query, None)
        for collapse in (False, True):
            docnums = matching_docnums(searcher, parsed, None, collapse=collapse)
            reader = searcher.reader()
            source = facet_counts(searcher, docnums, "source")
            lang = facet_counts(searcher, docnums, "lang")
            assert source == _one_by_one(reader, docnums, "outlet", None), query
            assert lang == _one_by_one(reader, docnums, "lang", "unknown"), query
            assert sum(lang.values()) == len(docnums)
            if query == "*":  # several outlets and all three languages
                assert len(source) > 5 and {"uk", "ru", "en"} <= set(lang)


@pytest.mark.parametrize(("since", "until"), [("2014-01-01", None), (None, "2016-06-30"),
                                              ("2015-03-01", "2018-02-28")])
def test_date_filters_equal_the_stored_dates(research_index: Index, since: str | None,
                                             until: str | None) -> None:
    filters = Filters.of(since=since, until=until)
    low = filters.since.replace(tzinfo=None) if filters.since else datetime.min
    high = filters.until.replace(tzinfo=None, hour=23, minute=59, second=59,
                                 microsecond=999999) if filters.until else datetime.max
    with research_index.searcher() as searcher:
        reader = searcher.reader()
        live = {d for d in range(reader.doc_count_all()) if not reader.is_deleted(d)}
        expected = {d for d in live if (published := searcher.stored_fields(d).get("published"))
                    and low <= published <= high}
        assert 0 < len(expected) < len(live)
        assert within(searcher, live, filters.to_query(reader)) == expected
