"""Search and count on an OpenSearch index, with the Whoosh engine's answers.

The query is parsed exactly as the Whoosh engine parses it (`parse_query`, our analysers) and
compiled (`compile`). Near-duplicates follow the one rule of `searchlib.query.search`: a group
counts once, as its earliest matching article, and the filters select among those
representatives. Copies are marked at indexing (``dup_copy``: the article joined an earlier
article's group), so the groups with several matches are found from the few matching copies;
their members are read, and the matches that do not represent their group are excluded by id.
Every count, facet, page, timeline and export is then one exact OpenSearch query.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from whoosh import query as wq
from whoosh.query import Query

from searchlib.errors import ArticleNotFound, ConfigError, QueryError
from searchlib.query.counting import BREAKDOWNS, UNKNOWN, Count
from searchlib.query.marking import ArticleHighlights, marked
from searchlib.query.names import author_query
from searchlib.query.opensearch.cluster import FIRST_ROWS, Cluster, columns, value
from searchlib.query.opensearch.compile import (
    Compiled,
    compile_query,
    frequency_key,
    layer_boosts,
    layer_fields,
    stacked_terms,
)
from searchlib.query.parse import MAX_EXPANSIONS, UNKNOWN_LANG, parse_query, relaxed_query
from searchlib.query.search import (
    FACET_VALUES,
    FACETS,
    MAX_RESULTS_WINDOW,
    SUGGEST_BELOW,
    Filters,
    Hit,
    SearchOptions,
    SearchResults,
    collapse_key,
    make_hit,
    split_filters,
)
from searchlib.store.schema import build_schema

__all__ = ["prepare", "Selection", "select", "search", "count", "highlight", "facet_counts",
           "group_members", "group_heads", "schema", "ordered_rows", "date_sort"]

SOURCE_FIELDS = ["id", "title", "lead", "text", "url", "canonical_url", "published", "lang",
                 "source", "domain", "authors", "tags", "dup_group"]
"""The ``_source`` fields a hit needs."""
_MAX_IDS = 60_000
"""Ids per ``terms`` query (OpenSearch's `index.max_terms_count` is 65,536)."""


@cache
def schema() -> Any:
    """The Whoosh schema: its analysers parse queries and mark snippets for both engines."""
    return build_schema()


def prepare(cluster: Cluster, text: str, filters: Filters | None) -> tuple[Query, Query | None]:
    """`searchlib.query.search.prepare` for OpenSearch: the parsed query and the filter query,
    ``source:`` values and the source filter resolved to outlets the same way."""
    parsed = _resolve_outlets(cluster, parse_query(text, schema()))
    _check_expansions(cluster, parsed, text)
    filter_query = filters.to_query() if filters else None
    if filter_query is not None:
        filter_query = _resolve_outlets(cluster, filter_query)
    return parsed, filter_query


def _check_expansions(cluster: Cluster, query: Query, text: str) -> None:
    """`check_expansions`' bounds on wildcards, prefixes and fuzzy terms: none may start with a
    wildcard, and together they may expand to at most `MAX_EXPANSIONS` words of the index
    (each field counted, as Whoosh counts them; OpenSearch lists them per shard)."""
    budget = MAX_EXPANSIONS
    for leaf in query.leaves():
        if not isinstance(leaf, wq.MultiTerm) or not hasattr(leaf, "text"):
            continue
        pattern = str(leaf.text)
        if isinstance(leaf, wq.Wildcard) and pattern[:1] in ("*", "?"):
            raise QueryError(text, f"{pattern!r} starts with a wildcard, which would read every "
                             "word of the index; put at least one letter before the * or ?")
        rewritten = cluster.rewritten(compile_query(leaf, named=False).query)
        words = {match.group(1) for shard in rewritten for match in _EXPANDED.finditer(shard)}
        budget -= len(words)
        if budget < 0 or not rewritten:
            shown = pattern + ("*" if isinstance(leaf, wq.Prefix) else "")
            raise QueryError(text, f"{shown!r} matches more than {MAX_EXPANSIONS} different "
                             "words in the index; add letters before the * or narrow the range")


_EXPANDED = re.compile(r"(?<![^\s(+])[a-z_]+(?:__s\d+)?:([^\s()^]+)")
"""A ``field:word`` of a rewritten query (``text_exact:брекзиту``, ``(title_exact__s1:x)^0.8``)."""


def _resolve_outlets(cluster: Cluster, query: Query) -> Query:
    if isinstance(query, wq.Term) and query.fieldname in ("source", "outlet"):
        return outlet_query(cluster, str(query.text))
    if query.is_leaf():
        return query
    return query.apply(lambda child: _resolve_outlets(cluster, child))


def outlet_query(cluster: Cluster, name: str) -> Query:
    """`searchlib.query.search.outlet_query`: an outlet, else the outlets of the articles
    giving `name` as their source name."""
    key = name.strip().lower()
    if not cluster.count({"term": {"outlet": key}}) and cluster.count({"term": {"source": key}}):
        keys = sorted(_values(cluster, {"term": {"source": key}}, "outlet"))
        if keys:
            return wq.Or([wq.Term("outlet", k) for k in keys]) if len(keys) > 1 \
                else wq.Term("outlet", keys[0])
    return wq.Term("outlet", key)


@dataclass(frozen=True, slots=True)
class Selection:
    """The articles a query operation counts, as one OpenSearch query.

    `query` scores by the words and holds the filters and the duplicate exclusion; `parsed` is
    the query with its top-level field conditions lifted (`split_filters`), `compiled` its DSL
    with the word leaves named, `words` the same without names, `filters` the filters' DSL,
    `hidden` the clauses excluding the matches that do not represent their group.
    """

    parsed: Query
    compiled: Compiled
    words: dict[str, Any]
    filters: tuple[dict[str, Any], ...]
    hidden: tuple[dict[str, Any], ...]
    boosts: dict[tuple[str, str], float]
    counted: frozenset[tuple[str, str]]

    @property
    def query(self) -> dict[str, Any]:
        if not self.filters and not self.hidden:
            return self.compiled.query
        return {"bool": {"must": [self.compiled.query],
                         "filter": [*self.filters, *self.hidden]}}

    @property
    def scored(self) -> dict[str, Any]:
        """`query` without the leaves' names: scores, and no hit lists what it matched (the
        fetch phase would run every named leaf again on every hit)."""
        return {"bool": {"must": [self.words], "filter": [*self.filters, *self.hidden]}}

    @property
    def matching(self) -> dict[str, Any]:
        """The same articles, unscored (counts, exports in date order)."""
        return {"bool": {"filter": [self.words, *self.filters, *self.hidden]}}


def select(cluster: Cluster, parsed: Query, filter_query: Query | None, *,
           collapse: bool, scored: bool = False) -> Selection:
    """The selection of `parsed` within `filter_query`, one article per near-duplicate group
    with `collapse` (the earliest matching one; filters then select among those). `scored`:
    its order by score matters (stacked layers are then weighed, `layer_boosts`).

    One round trip (``msearch``) finds both the copies among the matches and, when `scored`,
    the frequencies of the query's terms in each layer (a ``filters`` aggregation over every
    article, a search of its own: as a ``global`` aggregation beside the copies' query it
    tested every article one by one, 3x the CPU): layers holding a term in no article are
    then left out of the query. Unscored, every layer is searched: a layer without the term
    matches nothing, so the articles are the same."""
    if collapse:
        parsed, filter_query = split_filters(parsed, filter_query)
    pairs: set[tuple[str, str]] = set()
    if scored:
        relaxed = relaxed_query(parsed, schema())
        pairs = stacked_terms(parsed) | (stacked_terms(relaxed) if relaxed is not None
                                         else set())
    matching = compile_query(parsed, named=False).query
    bodies: list[dict[str, Any]] = []
    if collapse:
        bodies.append({"query": _copies_query(matching), "size": FIRST_ROWS, "sort": ["_doc"],
                       "track_total_hits": FIRST_ROWS + 1, **columns(["dup_group"], False)})
    if pairs:
        bodies.append({"size": 0, "track_total_hits": False, "aggs": {"frequencies": {
            "filters": {"filters": _frequency_filters(pairs)}}}})
    answers = cluster.msearch(bodies) if bodies else []
    boosts: dict[tuple[str, str], float] = {}
    if pairs:
        buckets = answers[-1]["aggregations"]["frequencies"]["buckets"]
        boosts = layer_boosts(pairs, {key: b["doc_count"] for key, b in buckets.items()})
    clauses: list[dict[str, Any]] = []
    if collapse:
        copies = answers[0]["hits"]["hits"]
        if answers[0]["hits"]["total"]["value"] > len(copies):
            copies = cluster.stream(_copies_query(matching), fields=["dup_group"])
        hidden = sorted(_non_representatives(cluster, matching, copies))
        clauses = [{"bool": {"must_not": [{"terms": {"id": hidden[start:start + _MAX_IDS]}}]}}
                   for start in range(0, len(hidden), _MAX_IDS)]
    filters = () if filter_query is None else (compile_query(filter_query, named=False).query,)
    words = compile_query(parsed, named=False, boosts=boosts, counted=pairs).query \
        if scored else matching
    return Selection(parsed, compile_query(parsed, boosts=boosts, counted=pairs), words,
                     filters, tuple(clauses), boosts, frozenset(pairs))


def _frequency_filters(pairs: set[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Filters counting, for `layer_boosts`, the articles having each layer of the pairs'
    fields and those holding each term in each layer."""
    filters: dict[str, dict[str, Any]] = {}
    for name, term in pairs:
        for layer in layer_fields(name):
            filters[layer] = {"exists": {"field": layer}}
            filters[frequency_key(layer, term)] = {"term": {layer: term}}
    return filters


def _copies_query(words: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"filter": [words, {"term": {"dup_copy": True}}]}}


def _non_representatives(cluster: Cluster, words: dict[str, Any],
                          found_copies: Iterable[dict[str, Any]]) -> set[str]:
    """The matches of `words` that share a group with an earlier match (published, then id),
    given the hits of the matching copies (`_copies_query`)."""
    copies = {value(hit, "dup_group") for hit in found_copies} - {None}
    if not copies:
        return set()
    members: dict[str, list[tuple[datetime, str]]] = {}
    keys = sorted(copies)
    for start in range(0, len(keys), _MAX_IDS):
        chunk = keys[start:start + _MAX_IDS]
        query = {"bool": {"filter": [words, {"terms": {"dup_group": chunk}}]}}
        for hit in cluster.rows(query, fields=["id", "dup_group", "published"],
                                expected=2 * len(chunk)):
            members.setdefault(value(hit, "dup_group"), []).append(
                (value(hit, "published") or datetime.max, value(hit, "id")))
    hidden: set[str] = set()
    for found in members.values():
        found.sort()
        hidden.update(member for _, member in found[1:])
    return hidden


def search(cluster: Cluster, text: str, options: SearchOptions) -> SearchResults:
    """`searchlib.query.search.search` on OpenSearch: the same hits, total, facets and
    snippets (the page's order may differ among equal scores)."""
    parsed, filter_query = prepare(cluster, text, options.filters)
    if parsed is wq.NullQuery:
        return SearchResults(query=text, parsed=str(parsed), total=0, offset=options.offset,
                             hits=(), sort=options.sort, collapsed=options.collapse,
                             suggestion=_suggest(cluster, text, options))
    shown = str(parsed)
    selection = select(cluster, parsed, filter_query, collapse=options.collapse,
                       scored=options.sort == "relevance")
    start, stop = options.offset, options.offset + options.limit
    if stop > MAX_RESULTS_WINDOW:
        total = cluster.count(selection.matching)
        options.check_window(total)
        page: list[dict[str, Any]] = []
    elif options.sort == "relevance":
        answer = cluster.ranked({"query": selection.query, "from": start,
                                 "size": options.limit, "track_total_hits": True,
                                 "_source": SOURCE_FIELDS})
        total, page = answer["hits"]["total"]["value"], answer["hits"]["hits"]
    else:
        total = cluster.count(selection.matching)
        page = _date_page(cluster, selection, newest_first=options.sort == "-date",
                          start=start, stop=stop) if options.limit and start < total else []
    hits = _hits(cluster, selection.compiled, page)
    relaxed = relaxed_query(selection.parsed, schema()) if (
        options.limit and options.relax and options.sort == "relevance"
        and total < stop <= MAX_RESULTS_WINDOW) else None
    if relaxed is not None:
        hits += _partial_hits(cluster, selection, relaxed, start=max(0, start - total),
                              stop=stop - total)
    facets: dict[str, dict[str, int]] = {}
    if options.facets:
        facets = {name: facet_counts(cluster, selection.matching, name, limit=FACET_VALUES)
                  for name in FACETS}
    suggestion = _suggest(cluster, text, options) \
        if options.limit and total < SUGGEST_BELOW else None
    return SearchResults(query=text, parsed=shown, total=total, offset=options.offset,
                         hits=hits, sort=options.sort, collapsed=options.collapse,
                         facets=facets, suggestion=suggestion)


def date_sort(newest_first: bool) -> tuple[list[Any], list[Any]]:
    """(sort of the dated articles, sort of the undated ones): `date_order`'s order, dated by
    date then id (both reversed when newest first), then the undated by id."""
    order = "desc" if newest_first else "asc"
    return [{"published": order}, {"id": order}], [{"id": "asc"}]


def _date_parts(query: dict[str, Any], newest_first: bool) -> list[tuple[dict, list[Any]]]:
    dated_sort, undated_sort = date_sort(newest_first)
    exists = {"exists": {"field": "published"}}
    return [({"bool": {"filter": [query, exists]}}, dated_sort),
            ({"bool": {"filter": [query], "must_not": [exists]}}, undated_sort)]


def _date_page(cluster: Cluster, selection: Selection, *, newest_first: bool, start: int,
               stop: int) -> list[dict[str, Any]]:
    """Hits [start:stop) by date (undated last); scored, so each has its score."""
    page: list[dict[str, Any]] = []
    for part, sort in _date_parts(selection.query, newest_first):
        answer = cluster.ranked({"query": {"bool": {"must": [selection.query],
                                                    "filter": [part]}},
                                 "from": start, "size": stop - start, "sort": sort,
                                 "track_scores": True, "track_total_hits": True,
                                 "_source": SOURCE_FIELDS})
        page += answer["hits"]["hits"]
        size = answer["hits"]["total"]["value"]
        start, stop = max(0, start - size), stop - size
        if stop <= 0 or len(page) >= stop:
            break
    return page


def ordered_rows(cluster: Cluster, query: dict[str, Any], sort: str, *,
                 source: list[str] | bool) -> Iterator[dict[str, Any]]:
    """Every hit of `query` streamed in `sort` order ("relevance", "date", "-date"), from one
    point-in-time. Oldest first is one sort (undated articles have no date: last, by id);
    newest first reads the dated, then the undated ones by id."""
    parts: list[tuple[dict[str, Any], list[Any]]]
    if sort == "relevance":
        parts = [(query, [{"_score": "desc"}])]
    elif sort == "date":
        parts = [(query, [{"published": {"order": "asc", "missing": "_last"}}, {"id": "asc"}])]
    else:
        parts = _date_parts(query, True)
    with cluster.snapshot() as pit:
        yield from cluster.pages(pit, parts, source=source)


def _hits(cluster: Cluster, compiled: Compiled, page: list[dict[str, Any]],
          partial: bool = False) -> tuple[Hit, ...]:
    stored = [cluster.decode(hit["_source"]) for hit in page]
    heads = group_heads(cluster, {collapse_key(s) for s in stored})
    hits = []
    for hit, fields in zip(page, stored, strict=True):
        group, size = heads.get(collapse_key(fields), (fields["id"], 1))
        hits.append(replace(make_hit(schema(), fields, hit.get("_score"), matched_terms(
            compiled, hit.get("matched_queries", ()), fields), group=group, size=size),
            partial=partial))
    return tuple(hits)


def matched_terms(compiled: Compiled, names: Iterable[str],
                  stored: dict[str, Any]) -> list[tuple[str, str]]:
    """The (field, term) pairs through which an article matched, from the names of the query
    leaves it matched (expanding leaves: the article's own words they match)."""
    found: list[tuple[str, str]] = []
    for leaf in compiled.matched(names):
        tokens: Iterable[str] = ()
        if leaf.kind in ("prefix", "wildcard", "fuzzy"):
            tokens = _tokens(leaf.field, stored)
        found += [(leaf.field, term) for term in leaf.matched_terms(tokens)]
    return found


def _tokens(field: str, stored: dict[str, Any]) -> set[str]:
    text = stored.get("title") or "" if field.startswith("title") else "\n\n".join(
        part for part in (stored.get("lead"), stored.get("text")) if part)
    return {token.text for token in schema()[field].analyzer(text, mode="index")}


def group_heads(cluster: Cluster, keys: Iterable[str]) -> dict[str, tuple[str, int]]:
    """group key -> (id of its earliest article, its articles), for the keys of groups with
    two or more articles (the others are their own group): their members' doc values, in one
    request (reading a few more rows than keys costs less than aggregating them)."""
    return {key: (members[0][1], len(members))
            for key, members in group_members(cluster, keys).items() if len(members) > 1}


def group_members(cluster: Cluster,
                  keys: Iterable[str]) -> dict[str, list[tuple[datetime | None, str]]]:
    """group key -> (published, id) of its articles, earliest first (`group_members`)."""
    wanted = sorted(set(keys))
    found: dict[str, list[tuple[datetime | None, str]]] = {}
    for start in range(0, len(wanted), _MAX_IDS):
        chunk = wanted[start:start + _MAX_IDS]
        for hit in cluster.rows({"terms": {"dup_group": chunk}}, expected=len(chunk),
                                fields=["id", "dup_group", "published"]):
            found.setdefault(value(hit, "dup_group"), []).append(
                (value(hit, "published"), value(hit, "id")))
    for members in found.values():
        members.sort(key=lambda m: (m[0] or datetime.max, m[1]))
    return found


def _partial_hits(cluster: Cluster, selection: Selection, relaxed: Query, *, start: int,
                  stop: int) -> tuple[Hit, ...]:
    """Hits [start:stop) of the articles with some of the words but not all (`relax`): not
    collapsed, within the filters, ranked after every full match."""
    compiled = compile_query(relaxed, boosts=selection.boosts, counted=selection.counted)
    full = compile_query(selection.parsed, named=False).query
    query = {"bool": {"must": [compiled.query], "filter": list(selection.filters),
                      "must_not": [full]}}
    answer = cluster.ranked({"query": query, "from": start, "size": stop - start,
                             "track_total_hits": False, "_source": SOURCE_FIELDS})
    return _hits(cluster, compiled, answer["hits"]["hits"], partial=True)


def _suggest(cluster: Cluster, text: str, options: SearchOptions) -> str | None:
    if not options.suggest:
        return None
    from searchlib.query.opensearch.related import suggest

    return suggest(cluster, text).suggestion


_FACET_FIELDS = {"source": "outlet", "lang": "lang", "author": "author", "tag": "tag"}
_STORED_LISTS = {"author": "authors", "tag": "tags"}


def facet_counts(cluster: Cluster, query: dict[str, Any], name: str, *,
                 missing: str | None = None, limit: int | None = None) -> dict[str, int]:
    """`searchlib.query.search.facet_counts` of the articles of `query`: exact counts from a
    composite aggregation (every value, paged), authors recounted by their filter."""
    if name == "lang":
        missing = missing or UNKNOWN_LANG
    counter: Counter[str] = Counter()
    for key, found in _buckets(cluster, query, _FACET_FIELDS[name]):
        if key is None:
            if missing and name in ("source", "lang"):
                counter[missing] += found
        else:
            counter[key] = found
    if name in _STORED_LISTS and counter:
        written = [v for v, _ in sorted(counter.items(), key=lambda p: (-p[1], p[0]))]
        if limit and name == "author":  # `facet_counts`: the 2 * limit names most written
            written = written[:2 * limit]
        elif limit and len(written) > limit:  # the values that can be shown, ties included
            written = [v for v in written if counter[v] >= counter[written[limit - 1]]]
        shown = _display_values(cluster, name, written)
        counter = Counter({shown[v]: counter[v] for v in written})
        if name == "author":
            counter = _recount_authors(cluster, query, list(counter))
    ranked = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
    return dict(ranked[:limit] if limit else ranked)


def _buckets(cluster: Cluster, query: dict[str, Any],
             field: str) -> Iterator[tuple[str | None, int]]:
    """(value, articles) of every value of `field` among `query`'s articles (None: without)."""
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {
            "size": 1000, "sources": [{"v": {"terms": {"field": field, "missing_bucket": True}}}]}
        if after:
            composite["after"] = after
        answer = cluster.search({"query": query, "size": 0, "track_total_hits": False,
                                 "aggs": {"values": {"composite": composite}}})
        result = answer["aggregations"]["values"]
        for bucket in result["buckets"]:
            yield bucket["key"]["v"], bucket["doc_count"]
        after = result.get("after_key")
        if not after or not result["buckets"]:
            return


def _values(cluster: Cluster, query: dict[str, Any], field: str) -> set[str]:
    return {key for key, _ in _buckets(cluster, query, field) if key is not None}


def _display_values(cluster: Cluster, facet: str, values: list[str]) -> dict[str, str]:
    """Lowercased author/tag -> as an article writes it (`display_value`)."""
    stored_name = _STORED_LISTS[facet]
    answers = cluster.msearch([{"query": {"term": {facet: v}}, "size": 1, "sort": ["_doc"],
                                "_source": [stored_name]} for v in values])
    shown: dict[str, str] = {}
    for written, answer in zip(values, answers, strict=True):
        hits = answer["hits"]["hits"]
        listed = hits[0]["_source"].get(stored_name) or () if hits else ()
        shown[written] = next((w for w in listed if w.replace(",", " ").lower() == written),
                              written)
    return shown


def _recount_authors(cluster: Cluster, query: dict[str, Any],
                     names: list[str]) -> Counter[str]:
    """Each author's count as its filter gives it (names across scripts included)."""
    filters = {str(i): compile_query(author_query(name), named=False).query
               for i, name in enumerate(names)}
    answer = cluster.search({"query": query, "size": 0, "track_total_hits": False,
                             "aggs": {"authors": {"filters": {"filters": filters}}}})
    buckets = answer["aggregations"]["authors"]["buckets"]
    return Counter({name: buckets[str(i)]["doc_count"] for i, name in enumerate(names)})


def highlight(cluster: Cluster, article_id: str, text: str) -> ArticleHighlights:
    """`searchlib.query.marking.highlight_article` on OpenSearch: the words of the query (else
    of its partial-match form) in one article, as its hit's snippet marks them."""
    answer = cluster.search({"query": {"term": {"id": article_id}}, "size": 1,
                             "_source": SOURCE_FIELDS})
    if not answer["hits"]["hits"]:
        raise ArticleNotFound(cluster.url, article_id)
    stored = cluster.decode(answer["hits"]["hits"][0]["_source"])
    parsed, _ = prepare(cluster, text, None)
    terms: list[tuple[str, str]] = []
    for candidate in (parsed, relaxed_query(parsed)):
        if candidate is None or candidate is wq.NullQuery:
            continue
        compiled = compile_query(candidate)
        found = cluster.search({"query": {"bool": {"must": [compiled.query], "filter": [
            {"term": {"id": article_id}}]}}, "size": 1, "_source": False})["hits"]["hits"]
        if found:
            terms = matched_terms(compiled, found[0].get("matched_queries", ()), stored)
            break
    return marked(schema(), article_id, text, stored, terms)


def count(cluster: Cluster, text: str, *, filters: Filters | None = None,
          by: str | None = None, collapse: bool = True) -> Count:
    """`searchlib.query.counting.count` on OpenSearch."""
    if by is not None and by not in BREAKDOWNS:
        raise ConfigError(f"cannot count by {by!r}; use one of {', '.join(BREAKDOWNS)}")
    parsed, filter_query = prepare(cluster, text, filters)
    total, counts = 0, {}
    if parsed is not wq.NullQuery:
        query = select(cluster, parsed, filter_query, collapse=collapse).matching
        total = cluster.count(query)
        if by:
            counts = facet_counts(cluster, query, by,
                                  missing=UNKNOWN if by in ("lang", "source") else None)
    return Count(query=text, parsed=str(parsed), total=total, collapsed=collapse, by=by,
                 counts=counts)
