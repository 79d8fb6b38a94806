"""The query builder of the OpenSearch engine: a parsed query (the Whoosh query tree that
`parse_query` makes with our analysers) compiled node by node into OpenSearch query DSL.

The parse is the Whoosh engine's own, so both engines search exactly the same terms. Token
fields (``title_uk``, ``text_exact``, ``names`` ...) are stored in layers (os-design.md): a
field ``F`` holds the first token at each position and ``F__s1``, ``F__s2`` ... the tokens
sharing a position, so

- a term is a ``bool.should`` over the layers;
- a phrase or proximity is a ``span_near`` whose words are each a ``span_or`` over the layers,
  the stacked ones seen through ``span_field_masking`` as ``F``. Whoosh's phrase allows each
  next word within ``slop`` positions of the words before it (`SpanNear2`, ``mindist=1``):
  Lucene's ordered ``span_near`` with slop ``slop - 1``, nested word by word for 3+ words;
- prefixes, wildcards and fuzzy terms expand in OpenSearch and score every expanded word (the
  ``scoring_boolean`` rewrite), as Whoosh's expansion into an OR of terms does.

Keyword fields (lang, outlet, author, tag ...) are constant-score filters; ``published`` is a
``range``. Every word leaf carries a ``_name`` (its index in `Compiled.leaves`): the hit's
``matched_queries`` give the (field, term) pairs it matched, which our highlighter marks.

BM25: scores use the whole index's statistics (``dfs_query_then_fetch`` over several shards;
one shard has them all). The titles' 2.5x weight is in their similarity's k1
(`mapping.TITLE_K1`), which reproduces Whoosh's weighting of title term frequencies, and
`mapping.TITLE_QUERY_BOOST` evens out the (k1 + 1) factor OpenSearch's BM25 keeps. A term found
only in a stacked layer is weighed with the idf of its main field (`layer_boosts`), a term's
layers joined by ``dis_max``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from whoosh import query as wq
from whoosh.query import Query

from searchlib.store.opensearch.encoding import TOKEN_FIELDS, layer_fields
from searchlib.store.opensearch.mapping import TITLE_FIELDS, TITLE_QUERY_BOOST

__all__ = ["Leaf", "Compiled", "compile_query", "token_fields", "stacked_terms", "layer_boosts",
           "frequency_key", "layer_fields", "MAX_EXPANSIONS"]

MAX_EXPANSIONS = 1000
"""Words a fuzzy term may expand to (OpenSearch's default is 50; Whoosh expands all, bounded by
the query's `check_expansions`)."""
MATCH_ALL: dict[str, Any] = {"match_all": {}}
MATCH_NONE: dict[str, Any] = {"match_none": {}}


@dataclass(frozen=True, slots=True)
class Leaf:
    """A word leaf of the query: `kind` is term, phrase, prefix, wildcard or fuzzy; `value` the
    term, the phrase's words or the pattern; `maxdist`/`prefix` for fuzzy terms."""

    kind: str
    field: str
    value: str | tuple[str, ...]
    maxdist: int = 0
    prefix: int = 0

    def matched_terms(self, tokens: Iterable[str]) -> list[str]:
        """The terms of this leaf a document matched, given the document's tokens of the field
        (needed only for expanding leaves)."""
        if self.kind == "term":
            return [str(self.value)]
        if self.kind == "phrase":
            return list(self.value)
        return sorted({token for token in tokens if self.accepts(token)})

    def accepts(self, token: str) -> bool:
        value = str(self.value)
        if self.kind == "prefix":
            return token.startswith(value)
        if self.kind == "wildcard":
            return _wildcard(value).fullmatch(token) is not None
        if self.kind == "fuzzy":
            return token[:self.prefix] == value[:self.prefix] and \
                _within(value, token, self.maxdist)
        return token == value


@dataclass(slots=True)
class Compiled:
    """An OpenSearch query and the word leaves its ``_name``s refer to."""

    query: dict[str, Any]
    leaves: list[Leaf] = field(default_factory=list)

    def matched(self, names: Iterable[str]) -> list[Leaf]:
        return [self.leaves[int(name)] for name in names if name.isdigit()
                and int(name) < len(self.leaves)]


def token_fields() -> frozenset[str]:
    """The analysed fields, stored in layers in OpenSearch (`encoding.TOKEN_FIELDS`)."""
    return _TOKEN_FIELDS


_TOKEN_FIELDS = frozenset(TOKEN_FIELDS)


Frequencies = Mapping[str, int]
"""``"<field>\x00<term>"`` -> articles holding the term in that field (one layer), and
``<field>`` -> articles having the field: what `layer_boosts` needs."""


def stacked_terms(query: Query) -> set[tuple[str, str]]:
    """The (token field, term) pairs a query scores (terms and phrase words): the ones whose
    stacked occurrences `layer_boosts` weighs."""
    found: set[tuple[str, str]] = set()
    for leaf in query.leaves():
        name = getattr(leaf, "fieldname", None)
        if name not in token_fields():
            continue
        if type(leaf) is wq.Term:
            found.add((name, _text(leaf.text)))
        elif isinstance(leaf, wq.Phrase):
            found.update((name, _text(word)) for word in leaf.words)
    return found


def frequency_key(field: str, term: str) -> str:
    return f"{field}\x00{term}"


def layer_boosts(pairs: Iterable[tuple[str, str]],
                 frequencies: Frequencies) -> dict[tuple[str, str], float]:
    """(layer field, term) -> the boost that scores an occurrence in the stacked layer with the
    idf of the term in its main field (the layer's own idf is the idf of, say, a hyphen part
    among hyphen parts: rare, so high). Layers holding the term in no article are left out."""
    boosts: dict[tuple[str, str], float] = {}
    for name, term in pairs:
        first, *stacked = layer_fields(name)
        main = _idf(frequencies.get(first, 0), frequencies.get(frequency_key(first, term), 0))
        for layer in stacked:
            df = frequencies.get(frequency_key(layer, term), 0)
            if df:
                boosts[layer, term] = main / _idf(frequencies.get(layer, 0), df)
    return boosts


def _idf(n: int, df: int) -> float:
    """Lucene's BM25 idf."""
    df = min(df, n)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def compile_query(query: Query, *, named: bool = True,
                  boosts: Mapping[tuple[str, str], float] | None = None,
                  counted: Collection[tuple[str, str]] = ()) -> Compiled:
    """The OpenSearch DSL of a parsed query (`named`: word leaves carry ``_name``s).

    `boosts` (`layer_boosts`) weigh the stacked layers of terms; without them a stacked
    occurrence matches and scores nothing (counts and filters need no more). For the
    (field, term) pairs `counted` (those `layer_boosts` saw), only the layers holding the term
    are searched."""
    compiled = Compiled(MATCH_ALL)
    compiled.query = _Compiler(compiled.leaves if named else None, boosts or {},
                               frozenset(counted)).node(query)
    return compiled


class _Compiler:
    def __init__(self, leaves: list[Leaf] | None, boosts: Mapping[tuple[str, str], float],
                 counted: frozenset[tuple[str, str]]) -> None:
        self._leaves = leaves
        self._boosts = boosts
        self._counted = counted

    def _layers(self, name: str, term: str) -> list[str]:
        """The stacked layers of `name` to search for `term`: those holding it, when known."""
        stacked = layer_fields(name)[1:]
        if (name, term) in self._counted:
            return [layer for layer in stacked if (layer, term) in self._boosts]
        return stacked

    def node(self, query: Query) -> dict[str, Any]:
        if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
            return MATCH_NONE
        if isinstance(query, wq.Every):
            return _boost({"match_all": {}}, query.boost)
        if isinstance(query, wq.And):
            return _boost({"bool": {"must": [self.node(q) for q in query.subqueries]}},
                          query.boost)
        if isinstance(query, wq.Or):
            return _boost({"bool": {"should": [self.node(q) for q in query.subqueries],
                                    "minimum_should_match": 1}}, query.boost)
        if isinstance(query, wq.AndNot):
            return {"bool": {"must": [self.node(query.a)], "must_not": [self.node(query.b)]}}
        if isinstance(query, wq.AndMaybe):
            return {"bool": {"must": [self.node(query.a)], "should": [self.node(query.b)]}}
        if isinstance(query, wq.Require):
            return {"bool": {"must": [self.node(query.a)], "filter": [self.node(query.b)]}}
        if isinstance(query, wq.Not):
            # Whoosh scores a NOT as 1.0 per document, as match_all does.
            return {"bool": {"must": [MATCH_ALL], "must_not": [self.node(query.query)]}}
        if isinstance(query, wq.Phrase):
            return self._phrase(query)
        if isinstance(query, wq.NumericRange):
            return _range(query)
        if isinstance(query, wq.FuzzyTerm):
            return self._expanding("fuzzy", query)
        if isinstance(query, wq.Prefix):
            return self._expanding("prefix", query)
        if isinstance(query, wq.Wildcard):
            return self._expanding("wildcard", query)
        if isinstance(query, wq.Term):
            return self._term(query)
        raise TypeError(f"the OpenSearch engine cannot run a {type(query).__name__} query")

    def _name(self, leaf: Leaf, body: dict[str, Any]) -> dict[str, Any]:
        """`body` (one query kind) named after `leaf`'s index in the leaves."""
        if self._leaves is not None:
            next(iter(body.values()))["_name"] = str(len(self._leaves))
            self._leaves.append(leaf)
        return body

    def _term(self, query: wq.Term) -> dict[str, Any]:
        name, text = query.fieldname, _text(query.text)
        if name not in token_fields():
            return _boost({"constant_score": {"filter": {"term": {name: text}}}}, query.boost)
        layers: list[dict[str, Any]] = [{"term": {name: text}}]
        for layer in self._layers(name, text):
            boost = self._boosts.get((layer, text))
            layers.append({"term": {layer: {"value": text, "boost": boost}}} if boost else
                          {"constant_score": {"filter": {"term": {layer: text}}, "boost": 0.0}})
        body = {"dis_max": {"queries": layers}}  # one query too: it takes a name and a boost
        return _boost(self._name(Leaf("term", name, text), body), query.boost * _weight(name))

    def _expanding(self, kind: str, query: Any) -> dict[str, Any]:
        name, text = query.fieldname, _text(query.text)
        leaf = Leaf(kind, name, text, getattr(query, "maxdist", 0),
                    getattr(query, "prefixlength", 0))
        options: dict[str, Any] = {"value": text, "rewrite": "scoring_boolean"}
        if kind == "fuzzy":
            options.update(fuzziness=leaf.maxdist, prefix_length=leaf.prefix,
                           transpositions=False, max_expansions=MAX_EXPANSIONS)
        layers = [{kind: {layer: dict(options)}} for layer in layer_fields(name)]
        body = {"bool": {"should": layers, "minimum_should_match": 1}}
        return _boost(self._name(leaf, body), query.boost * _weight(name))

    def _phrase(self, query: wq.Phrase) -> dict[str, Any]:
        name = query.fieldname
        words = [_text(word) for word in query.words]
        if not words:
            return MATCH_NONE
        if len(words) == 1:
            return self._term(wq.Term(name, words[0], boost=query.boost))
        spans = [_span_word(name, word, self._layers(name, word)) for word in words]
        slop = max(0, query.slop - 1)
        near = spans[0]
        for span in spans[1:]:
            near = {"span_near": {"clauses": [near, span], "slop": slop, "in_order": True}}
        # Whoosh scores a phrase as the AND of its words (`SpanWrappingMatcher.score`): the
        # span query only selects, the words score.
        scored = [_Compiler(None, self._boosts, self._counted)._term(wq.Term(name, word))
                  for word in words]
        body = {"bool": {"must": scored, "filter": [
            self._name(Leaf("phrase", name, tuple(words)), near)]}}
        return _boost(body, query.boost)


def _weight(name: str) -> float:
    """The query boost of a field: `TITLE_QUERY_BOOST` for titles (their similarity's k1 holds
    the title weight, `mapping.TITLE_K1`), else 1."""
    return TITLE_QUERY_BOOST if name in TITLE_FIELDS else 1.0


def _span_word(name: str, word: str, stacked: list[str]) -> dict[str, Any]:
    """A word in `name` or its `stacked` layers, as a span of `name`."""
    clauses: list[dict[str, Any]] = [{"span_term": {name: word}}]
    clauses += [{"span_field_masking": {"query": {"span_term": {layer: word}}, "field": name}}
                for layer in stacked]
    return clauses[0] if len(clauses) == 1 else {"span_or": {"clauses": clauses}}


def _range(query: Any) -> dict[str, Any]:
    # A DateRange keeps its bounds as Whoosh's longs in start/end, as datetimes beside them.
    dates = isinstance(query, wq.DateRange)
    start = query.startdate if dates else query.start
    end = query.enddate if dates else query.end
    bounds: dict[str, Any] = {}
    if start is not None:
        bounds["gt" if query.startexcl else "gte"] = _date(start)
    if end is not None:
        bounds["lt" if query.endexcl else "lte"] = _date(end)
    return {"range": {query.fieldname: bounds}} if bounds else {"exists": {
        "field": query.fieldname}}


def _date(value: Any) -> Any:
    """A range bound as OpenSearch reads it: dates as UTC ISO 8601 with milliseconds."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    return value


def _boost(body: dict[str, Any], boost: float) -> dict[str, Any]:
    if boost != 1.0:
        next(iter(body.values()))["boost"] = boost
    return body


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@cache
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                              for c in pattern), re.DOTALL)


def _within(a: str, b: str, distance: int) -> bool:
    """Levenshtein distance of `a` and `b` (no transpositions, as Whoosh's automaton) is at most
    `distance`."""
    if abs(len(a) - len(b)) > distance:
        return False
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char != other)))
        if min(current) > distance:
            return False
        previous = current
    return previous[-1] <= distance
