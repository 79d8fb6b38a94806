"""Issue 18 items 6 and 13: outlets (domain beside the source name) and the one rule every count
follows for near-duplicate groups that span outlets (ng.ru / amp.ng.ru / nvo.ng.ru reprints).

The rule: a group is counted once, as its earliest matching article, and filters select among
those representatives. So each facet value's count equals the total of the same search filtered
by it, for every facet value, and `count --by`, timelines split by source and exports agree.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from research_corpus import outlet as _outlet

from searchlib.api import Index
from searchlib.model import Article
from searchlib.query import Filters

QUERIES = ("России", "Путин OR Трамп", "выборы", "Brexit OR Брексит", "*")


def test_domains_are_stored_beside_source_names(research_index: Index,
                                                research_articles: list[Article]) -> None:
    with_url = [a for a in research_articles if a.url]
    assert len(with_url) > 1000
    amp = [a for a in with_url if "amp.ng.ru" in a.url]
    assert amp and all(a.source != "amp.ng.ru" for a in amp)  # named after the inner site
    glued = [a for a in with_url if "comhttps://" in a.url]  # real RT records
    assert len(glued) == 25 and {_outlet(a) for a in glued} == {"russian.rt.com"}
    with research_index.export("*", fields=["id", "source", "domain"],
                               collapse=False) as exported:
        stored = {row["id"]: (row["source"], row["domain"]) for row in exported.rows()}
    assert len(stored) == len(research_articles)
    for article in research_articles:
        domain = _outlet(article) if article.url else None
        assert stored[article.id] == (article.source, domain), article.url
    hit = research_index.search("*", source="russian.rt.com", limit=1).hits[0]
    assert (hit.source, hit.domain) == ("russian.rt.com", "russian.rt.com")


@pytest.mark.parametrize("collapse", [True, False])
def test_every_facet_value_equals_the_filtered_total(research_index: Index,
                                                     collapse: bool) -> None:
    checked = 0
    for query in QUERIES:
        results = research_index.search(query, facets=True, collapse=collapse, limit=1)
        assert results.total > 10, query
        for name in ("source", "lang"):
            facet = results.facets[name]
            # One value per article: the counts add up to the total (nothing counted twice).
            assert sum(facet.values()) == results.total, (query, name)
            for value, count in facet.items():
                filtered = research_index.search(query, collapse=collapse, limit=0,
                                                 **{name: value})
                assert filtered.total == count, (query, name, value)
                checked += 1
    assert checked > 30


def test_a_group_spanning_outlets_counts_once_under_its_representative(
        research_index: Index, research_articles: list[Article]) -> None:
    # Independent expectation for collapse=False: the articles whose text has the word.
    word = re.compile(r"(?<!\w)России(?!\w)")
    having = [a for a in research_articles if word.search(f"{a.title}\n{a.text}")]
    expected = Counter(_outlet(a) for a in having)
    assert {"ng.ru", "amp.ng.ru"} <= set(expected)
    plain = research_index.search("=России", facets=True, collapse=False, limit=1)
    assert plain.total == len(having)
    assert plain.facets["source"] == dict(expected.most_common(20))
    # Collapsed: the amp.ng.ru copies of ng.ru stories fold into their earlier originals, and
    # the source facet still partitions the (smaller) total.
    grouped = research_index.search("=России", facets=True, limit=1)
    assert grouped.total < plain.total
    assert sum(grouped.facets["source"].values()) == grouped.total
    assert grouped.facets["source"]["amp.ng.ru"] < expected["amp.ng.ru"]
    for value, count in grouped.facets["source"].items():
        assert research_index.search("=России", source=value, limit=0).total == count
        assert research_index.count("=России", by=None, filters=Filters.of(source=value)) \
            .total == count
        with research_index.export("=России", fields=["id", "domain"],
                                   filters=Filters.of(source=value)) as exported:
            rows = list(exported.rows())
        assert len(rows) == count and {row["domain"] for row in rows} <= {value, None}
    counted = research_index.count("=России", by="source")
    assert counted.counts == grouped.facets["source"]
    line = research_index.timeline("=России", by="month", split="source")
    assert sum(b.count for b in line.buckets) + line.undated == grouped.total
    for value, count in grouped.facets["source"].items():
        alone = research_index.timeline("=России", by="month",
                                        filters=Filters.of(source=value))
        assert alone.matches == count
        assert sum(b.split.get(value, 0) for b in line.buckets) == \
            sum(b.count for b in alone.buckets)


def test_source_filters_take_a_domain_or_a_name_in_any_case(
        sample_index: Index, samples_dir: Path) -> None:
    from searchlib.ingest import read_articles

    articles = [a for a in read_articles([samples_dir / "articles.jsonl"])
                if isinstance(a, Article)]
    named = Counter(a.source for a in articles)
    name, count = named.most_common(1)[0]
    domains = {_outlet(a) for a in articles if a.source == name}
    assert len(domains) == 1
    domain = domains.pop()
    by_domain = sum(1 for a in sample_index.articles() if _outlet(a) == domain)
    assert by_domain >= count
    for value in (name, name.upper(), name.lower(), domain, domain.upper()):
        assert sample_index.search("*", source=value, collapse=False).total == by_domain, value
        assert sample_index.search(f'source:"{value}"', collapse=False).total == by_domain, \
            value
    assert sample_index.search("*", source="no-such-outlet.example").total == 0
    facets = sample_index.search("*", facets=True, collapse=False).facets["source"]
    assert facets[domain] == by_domain


def test_same_outlet_under_two_names_is_one_outlet(fresh_index: Index,
                                                   research_articles: list[Article]) -> None:
    # Real articles of one site, given the two spellings the issue saw (`Lenta.ru`, `lenta.ru`).
    ng = [a for a in research_articles if a.url and _outlet(a) == "ng.ru"][:6]
    spelled = [replace(a, source=("Независимая газета" if n % 2 else "NG.ru"))
               for n, a in enumerate(ng)]
    fresh_index.add(spelled)
    facets = fresh_index.search("*", facets=True, collapse=False).facets["source"]
    assert facets == {"ng.ru": 6}
    for value in ("Независимая газета", "независимая ГАЗЕТА", "ng.ru", "NG.RU"):
        assert fresh_index.search("*", source=value, collapse=False).total == 6, value


@pytest.mark.parametrize("query", ["*", "Харьков", "Канада OR Україна"])
def test_author_and_tag_facet_values_equal_filtered_totals(sample_index: Index,
                                                           query: str) -> None:
    # An author filter also finds the name in another script ("Oksana Hrebeniuk" is
    # "Оксана Гребенюк"), so the facet counts what that filter selects.
    for collapse in (True, False):
        results = sample_index.search(query, facets=True, collapse=collapse, limit=1)
        assert results.facets["author"] and results.facets["tag"]
        for name in ("author", "tag"):
            for value, count in results.facets[name].items():
                filtered = sample_index.search(query, collapse=collapse, limit=0,
                                               **{name: value})
                assert filtered.total == count, (query, name, value)
