"""The read side's view of one OpenSearch index: a client, the alias, and the request helpers
every read operation shares (errors mapped to ours, rows streamed through a point-in-time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Cluster", "PAGE", "FIRST_ROWS", "columns", "stored_fields", "value"]

PAGE = 2000
"""Rows fetched per request when streaming (export, duplicate groups)."""
FIRST_ROWS = 1000
"""Rows a plain search asks for, beyond those expected, before streaming the rest (`rows`): a
search keeps a queue of `size` slots, so asking for 10,000 cost 3 ms more JVM CPU than 1,000
(a 20k index)."""
MAX_ROWS = 10_000
"""Rows a plain search may return (OpenSearch's default `max_result_window`)."""
RANKED = "dfs_query_then_fetch"
KEEP_ALIVE = "2m"
"""How long a point-in-time stays open between two pages of a stream."""


@dataclass(slots=True)
class Cluster:
    """One OpenSearch index (`index`: the alias) as the read side uses it.

    `guard` wraps every call to the cluster (a context manager factory mapping opensearch-py's
    errors to searchlib's, `searchlib.store.opensearch.client.cluster_errors`); `decode` turns
    a ``_source`` into the stored fields Whoosh keeps (naive UTC datetimes). `shards`: how many
    shards the last search reached (None before the first), so that a one-shard index is
    searched without the statistics round trip (`ranked`).
    """

    client: Any
    index: str
    url: str
    guard: Callable[[], Any]
    decode: Callable[[dict[str, Any]], dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    shards: int | None = None

    def search(self, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        with self.guard():
            answer: dict[str, Any] = self.client.search(index=self.index, body=body, **params)
        self.shards = answer.get("_shards", {}).get("total", self.shards)
        return answer

    def rewritten(self, query: dict[str, Any]) -> list[str]:
        """How each shard rewrites `query` (``_validate/query?rewrite``: expanded prefixes,
        wildcards and fuzzy terms as lists of ``field:term``); an empty list when a shard
        refused it (too many expansions)."""
        with self.guard():
            answer = self.client.indices.validate_query(
                index=self.index, body={"query": query},
                params={"rewrite": "true", "all_shards": "true"})
        if answer.get("_shards", {}).get("failed"):
            return []
        return [found.get("explanation", "") for found in answer.get("explanations", ())]

    def ranked(self, body: dict[str, Any]) -> dict[str, Any]:
        """A search whose scores use the statistics of the whole index (term and field counts
        of every shard, ``dfs_query_then_fetch``), as Whoosh's do: each shard's own would rank
        the same article differently on each shard. On an index of one shard (as the last
        search found it) the shard's statistics are the index's: no extra round trip."""
        return self.search(body, **self._ranking())

    def _ranking(self) -> dict[str, str]:
        return {} if self.shards == 1 else {"search_type": RANKED}

    def msearch(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The responses of several searches of this index, in one request per 200."""
        answers: list[dict[str, Any]] = []
        for start in range(0, len(bodies), 200):
            lines: list[dict[str, Any]] = []
            for body in bodies[start:start + 200]:
                lines += [{"index": self.index}, body]
            with self.guard():
                answers += self.client.msearch(body=lines)["responses"]
        for answer in answers:
            if "error" in answer:
                with self.guard():
                    raise _refused(answer)
            self.shards = answer.get("_shards", {}).get("total", self.shards)
        return answers

    def count(self, query: dict[str, Any]) -> int:
        with self.guard():
            return int(self.client.count(index=self.index, body={"query": query})["count"])

    def rows(self, query: dict[str, Any], *, fields: list[str] | None = None,
             source: list[str] | bool = False, sort: list[Any] | None = None,
             expected: int = 0) -> Iterator[dict]:
        """Every hit of `query` (no scoring unless `sort` asks for ``_score``), in `sort`
        order (default: index order), with `fields` as doc values and `source`. `expected`:
        the hits there are at least, when known (the first request then asks for them)."""
        size = min(MAX_ROWS, FIRST_ROWS + expected)
        body: dict[str, Any] = {"query": query, "size": size, "track_total_hits": size + 1,
                                "sort": sort or ["_doc"], **columns(fields, source)}
        first = self.search(body)
        hits = first["hits"]["hits"]
        if first["hits"]["total"]["value"] <= len(hits):
            yield from hits
            return
        yield from self.stream(query, fields=fields, source=source, sort=sort)

    @contextmanager
    def snapshot(self) -> Iterator[str]:
        """A point-in-time of the index (its id), closed at the end."""
        with self.guard():
            pit = self.client.create_pit(index=self.index, params={"keep_alive": KEEP_ALIVE})
        try:
            yield pit["pit_id"]
        finally:
            with self.guard():
                self.client.delete_pit(body={"pit_id": [pit["pit_id"]]})

    def stream(self, query: dict[str, Any], *, fields: list[str] | None = None,
               source: list[str] | bool = False, sort: list[Any] | None = None,
               ) -> Iterator[dict]:
        """Every hit of `query` through a point-in-time and `search_after`: one consistent
        snapshot, no cap, a page (`PAGE`) of hits in memory at a time."""
        with self.snapshot() as pit:
            yield from self.pages(pit, [(query, sort or [])], fields=fields, source=source)

    def pages(self, pit: str, parts: Sequence[tuple[dict[str, Any], list[Any]]], *,
              fields: list[str] | None = None,
              source: list[str] | bool = False) -> Iterator[dict]:
        """Every hit of each (query, sort) of `parts` in turn, from the point-in-time `pit`
        with `search_after`, `PAGE` hits per request. The next page is asked for while the
        caller reads this one (one request in flight: the cluster works while we decode)."""
        page = PAGE
        with ThreadPoolExecutor(max_workers=1) as pool:
            for query, sort in parts:
                order = [*sort]
                if not any(isinstance(key, dict) and "id" in key for key in order):
                    order.append({"id": "asc"})  # search_after needs a unique last key
                body: dict[str, Any] = {
                    "query": query, "size": page, "sort": order, "track_total_hits": False,
                    "pit": {"id": pit, "keep_alive": KEEP_ALIVE}, **columns(fields, source)}
                ranked = self._ranking() if any(
                    isinstance(key, dict) and "_score" in key for key in order) else {}
                pending = pool.submit(self._page, body, None, ranked)
                while True:
                    hits = pending.result()
                    if len(hits) < page:
                        yield from hits
                        break
                    pending = pool.submit(self._page, body, hits[-1]["sort"], ranked)
                    yield from hits

    def _page(self, body: dict[str, Any], after: list[Any] | None,
              params: dict[str, str]) -> list[dict[str, Any]]:
        if after is not None:
            body = {**body, "search_after": after}
        with self.guard():
            return self.client.search(body=body, **params)["hits"]["hits"]  # type: ignore[no-any-return]


def columns(fields: list[str] | None, source: list[str] | bool) -> dict[str, Any]:
    """The parts of a search body that say what each hit returns: `fields` as doc values,
    `source`. Without ``_source`` no stored field is read either (``_id`` included: reading
    it decompresses the article's block of stored fields, which costs as much as its text)."""
    columns: dict[str, Any] = {"_source": source}
    if fields:
        columns["docvalue_fields"] = [_docvalue(name) for name in fields]
    if source is False:
        columns["stored_fields"] = "_none_"
    return columns


def _docvalue(name: str) -> Any:
    return {"field": name, "format": "epoch_millis"} if name == "published" else name


def _refused(answer: dict[str, Any]) -> Exception:
    from opensearchpy.exceptions import TransportError

    return TransportError(answer.get("status", 400), "search refused", answer)


def value(hit: dict[str, Any], name: str) -> Any:
    """A hit's first doc value of `name` (None when it has none); ``published`` as a naive UTC
    datetime."""
    values = hit.get("fields", {}).get(name)
    if not values:
        return None
    if name == "published":
        return datetime.fromtimestamp(int(float(values[0])) / 1000, UTC).replace(tzinfo=None)
    return values[0]


def stored_fields(cluster: Cluster, hit: dict[str, Any]) -> dict[str, Any]:
    """The stored fields of a hit, as Whoosh keeps them."""
    return cluster.decode(hit["_source"])
