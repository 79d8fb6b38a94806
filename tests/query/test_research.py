"""Research features through the library, asserted on concrete results: sort, pages, facets,
collapse, timeline, export, top terms, did-you-mean, similar. Samples and a real corpus index."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from research_corpus import outlet

from searchlib.api import Index
from searchlib.errors import ArticleNotFound, ConfigError
from searchlib.model import Lang
from searchlib.query import Filters, SearchOptions

EVERYTHING = "Україна OR Ukraine OR Украина OR Харьков OR зерно"


# -- search options ----------------------------------------------------------------------------


def test_sort_by_date_both_ways(sample_index: Index) -> None:
    oldest = sample_index.search("*", limit=50, sort="date").hits
    newest = sample_index.search("*", limit=50, sort="-date").hits
    dates = [hit.published for hit in oldest]
    assert dates == sorted(dates) and len(dates) > 10
    assert [hit.published for hit in newest] == sorted(dates, reverse=True)


def test_pages_are_offsets_of_the_same_order(sample_index: Index) -> None:
    whole = sample_index.search(EVERYTHING, limit=6, sort="-date")
    second = sample_index.search(EVERYTHING, SearchOptions(limit=3, offset=3, sort="-date"))
    assert [h.id for h in second.hits] == [h.id for h in whole.hits[3:6]]
    assert second.total == whole.total
    with pytest.raises(ConfigError):
        SearchOptions(limit=-1)
    counted = sample_index.search(EVERYTHING, limit=0)  # the total only, as Elasticsearch's size 0
    assert counted.hits == () and counted.total == whole.total


def test_facet_counts_equal_filtered_totals(corpus_index: Index) -> None:
    query = "Україна OR уряд OR government OR правительство"
    results = corpus_index.search(query, facets=True)
    assert results.total > 20
    assert sum(results.facets["lang"].values()) == results.total
    for source, count in results.facets["source"].items():
        assert corpus_index.search(query, source=source).total == count
    for lang, count in results.facets["lang"].items():
        assert corpus_index.search(query, lang=lang).total == count


def test_author_and_tag_facets_on_samples(sample_index: Index) -> None:
    results = sample_index.search("Харьков", facets=True, collapse=False)
    authors = results.facets["author"]
    assert authors and all(count <= results.total for count in authors.values())
    name, count = next(iter(authors.items()))
    assert sample_index.search("Харьков", author=name, collapse=False).total == count
    tag, count = next(iter(results.facets["tag"].items()))
    assert sample_index.search("Харьков", tag=tag, collapse=False).total == count


def test_near_duplicates_collapse_to_the_earliest(corpus_index: Index, reprint_pair) -> None:
    original_id, reprint_id = reprint_pair
    original = corpus_index.get(original_id)
    words = " ".join(original.title.split()[:4])
    collapsed = corpus_index.search(f'"{words}"')
    everything = corpus_index.search(f'"{words}"', collapse=False)
    assert {h.id for h in everything.hits} >= {original_id, reprint_id}
    assert reprint_id not in {h.id for h in collapsed.hits}
    assert collapsed.total == everything.total - 1
    hit = next(h for h in collapsed.hits if h.id == original_id)
    assert hit.group == original_id and hit.duplicates == 1


def test_search_json_has_facets_suggestion_and_groups(sample_index: Index) -> None:
    record = sample_index.search("троллейбус", facets=True).to_json()
    assert set(record) >= {"facets", "suggestion", "sort", "collapsed", "total", "hits"}
    assert record["hits"][0]["duplicates"] == 1
    assert set(record["facets"]) == {"source", "lang", "author", "tag"}


# -- timeline ----------------------------------------------------------------------------------


def test_timeline_day_buckets_equal_matching_articles(corpus_index: Index) -> None:
    query = "Україна OR уряд"
    result = corpus_index.timeline(query, by="day", collapse=False)
    assert result.buckets and result.matches == corpus_index.search(query, collapse=False).total
    for bucket in result.buckets:
        start = datetime.combine(bucket.start, datetime.min.time(), tzinfo=UTC)
        until = start.replace(hour=23, minute=59, second=59)
        # babel-ua dates are +02:00 local times: bucket on the UTC day, as the index does.
        assert bucket.count == corpus_index.search(
            query, collapse=False, since=start, until=until).total
    assert result.undated == 0  # the undated bbc/wikinews articles do not match "Україна"


def test_timeline_month_and_normalize_on_samples(sample_index: Index) -> None:
    result = sample_index.timeline("*", by="month", normalize=True, collapse=False)
    assert [b.start for b in result.buckets] == [date(2025, m, 1) for m in range(6, 12)]
    assert sum(b.count for b in result.buckets) == len(sample_index)
    assert all(b.share == 1.0 for b in result.buckets)
    harkiv = sample_index.timeline("Харьков", by="month", normalize=True, collapse=False)
    july = next(b for b in harkiv.buckets if b.start == date(2025, 7, 1))
    assert july.count == 2 and july.total == 4 and july.share == pytest.approx(0.5)
    collapsed = sample_index.timeline("Харьков", by="month")
    assert sum(b.count for b in collapsed.buckets) == sum(b.count for b in harkiv.buckets) - 1


def test_timeline_weeks_start_on_monday_and_fill_gaps(sample_index: Index) -> None:
    result = sample_index.timeline("*", by="week", collapse=False)
    assert all(b.start.weekday() == 0 for b in result.buckets)
    gaps = [b for b in result.buckets if b.count == 0]
    assert gaps and sum(b.count for b in result.buckets) == len(sample_index)
    with pytest.raises(ConfigError):
        sample_index.timeline("*", by="year")


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_timeline_plot(sample_index: Index, tmp_path, suffix: str) -> None:
    pytest.importorskip("matplotlib")
    result = sample_index.timeline("*", by="month")
    path = sample_index.plot_timeline(result, tmp_path / f"chart{suffix}")
    head = path.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in path.read_bytes()
    with pytest.raises(ConfigError, match="png"):
        sample_index.plot_timeline(result, tmp_path / "chart.gif")


# -- export ------------------------------------------------------------------------------------


def test_export_streams_every_match_with_provenance(corpus_index: Index) -> None:
    query = "Україна OR уряд"
    total = corpus_index.search(query).total
    assert total > 50
    exported = corpus_index.export(query, fields=["id", "published", "title", "group"])
    rows = list(exported.rows())
    assert len(rows) == exported.total == total
    assert len({r["id"] for r in rows}) == total
    assert all(set(r) == {"id", "published", "title", "group"} for r in rows)
    dates = [r["published"] for r in rows]
    assert dates == sorted(dates)
    provenance = exported.provenance.to_json()
    assert provenance["build_id"] == corpus_index.meta["build_id"]
    assert provenance["analyzer"] == corpus_index.meta["analyzer"]
    assert "text_uk:україна" in provenance["parsed"] and provenance["query"] == query
    everything = corpus_index.export(query, collapse=False)
    assert everything.total == corpus_index.search(query, collapse=False).total
    everything.close()


def test_export_marks_duplicates_and_rejects_unknown_fields(corpus_index: Index,
                                                           reprint_pair) -> None:
    original_id, reprint_id = reprint_pair
    with corpus_index.export("*", collapse=False, fields=["id", "duplicate_of"]) as exported:
        marked = {r["id"]: r["duplicate_of"] for r in exported.rows()}
    assert marked[reprint_id] == original_id and marked[original_id] is None
    assert len(marked) == len(corpus_index)
    with pytest.raises(ConfigError, match="body"):
        corpus_index.export("*", fields=["id", "body"])


# -- top terms, did-you-mean, similar ----------------------------------------------------------


def test_top_terms_are_readable_and_distinctive(corpus_index: Index) -> None:
    result = corpus_index.top_terms("Трамп", limit=15, filters=Filters(lang=Lang.UK))
    words = [t.word.lower() for t in result.terms["uk"]]
    assert words and "трампа" in words or "трамп" in words
    assert all(t.share > t.background for t in result.terms["uk"])
    english = corpus_index.top_terms("shares OR profits", limit=30)
    assert any(t.word != t.term for t in english.terms["en"])  # stems shown as words
    with corpus_index.searcher() as searcher:
        for term in english.terms["en"] + result.terms["uk"]:
            as_written = term.word.lower().replace("\u2019", "'")
            assert searcher.doc_frequency("text_exact", as_written) + searcher.doc_frequency(
                "title_exact", as_written) > 0, term


@pytest.mark.parametrize(("typo", "fixed"), [
    ("парламнту", "парламенту"),
    ("президнт", "президент"),
    ("goverment", "government"),
])
def test_did_you_mean_in_three_languages(corpus_index: Index, typo: str, fixed: str) -> None:
    assert corpus_index.suggest(typo).suggestion == fixed
    results = corpus_index.search(typo)
    assert results.total < 3 and results.suggestion == fixed


def test_no_suggestion_for_known_inflected_words(sample_index: Index) -> None:
    assert sample_index.suggest("Канада оборона Canada").suggestion is None


def test_similar_finds_translations_duplicates_and_related(sample_index: Index,
                                                          corpus_index: Index,
                                                          reprint_pair) -> None:
    original_id, reprint_id = reprint_pair
    uk = sample_index.search("Канада", lang="uk").hits[0]
    found = sample_index.similar(uk.id)
    translations = {a.lang for a in found.articles if a.reason == "translation"}
    assert translations == {Lang.RU, Lang.EN}
    reprint = corpus_index.similar(original_id)
    assert reprint.articles[0].id == reprint_id and reprint.articles[0].reason == "duplicate"
    related = [a for a in reprint.articles if a.reason == "related"]
    assert related and all(a.lang is Lang.UK for a in related)
    with pytest.raises(ArticleNotFound, match="no article"):
        corpus_index.similar("no-such-id")


def test_every_source_in_facets_is_counted_once(corpus_index: Index) -> None:
    counts = corpus_index.search("*", facets=True, collapse=False).facets["source"]
    truth = Counter(outlet(a) for a in corpus_index.articles())
    for source, count in counts.items():
        assert truth[source] == count


def test_until_a_date_includes_that_day(sample_index: Index) -> None:
    day = datetime(2025, 8, 24, tzinfo=UTC)
    canada = sample_index.search("Канада OR Canada", since=day, until=day, collapse=False)
    assert canada.total == 3  # published during the 24th (10:30 local), not at midnight


def test_export_reads_one_snapshot_while_the_index_changes(fresh_index: Index) -> None:
    from searchlib.model import Article

    fresh_index.add([Article(id=f"a{n}", title=f"Grain report {n}", lang=Lang.EN,
                             text=f"Grain exports rose in month {n} of the season.")
                     for n in range(5)])
    with fresh_index.export("grain") as exported:
        fresh_index.add([Article(id="late", title="Grain late", lang=Lang.EN,
                                 text="More grain news arrived late in the season.")])
        fresh_index.delete(["a0"])
        rows = [row["id"] for row in exported.rows()]
    assert exported.total == 5 and sorted(rows) == [f"a{n}" for n in range(5)]
    assert fresh_index.search("grain").total == 5  # a0 gone, late added


def test_segments_without_dates_do_not_shift_column_values(fresh_index: Index) -> None:
    from searchlib.model import Article

    def grain(n: int, published: datetime | None) -> Article:
        return Article(id=f"g{n}", title=f"Grain {n}", lang=Lang.EN, published=published,
                       text=f"Grain exports, report number {n} of the series.")

    fresh_index.add([grain(0, None), grain(1, None)])  # this segment has no date column
    fresh_index.add([grain(2, datetime(2025, 3, 5, tzinfo=UTC)),
                     grain(3, datetime(2025, 4, 5, tzinfo=UTC))])
    result = fresh_index.timeline("grain", by="month")
    assert [(b.start, b.count) for b in result.buckets] == [(date(2025, 3, 1), 1),
                                                             (date(2025, 4, 1), 1)]
    assert result.undated == 2
    newest = fresh_index.search("grain", sort="-date", limit=2).hits
    assert [h.id for h in newest] == ["g3", "g2"]
    with fresh_index.export("grain", fields=["id", "published"]) as exported:
        assert [r["id"] for r in exported.rows()][:2] == ["g2", "g3"]
