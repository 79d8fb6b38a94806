"""The read side's view of one OpenSearch index: a client, the alias, and the request helpers
every read operation shares (errors mapped to ours, rows streamed through a point-in-time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Cluster", "PAGE", "ONE_REQUEST", "stored_fields", "value"]

PAGE = 2000
"""Rows fetched per request when streaming (export, duplicate groups)."""
ONE_REQUEST = 10_000
"""Rows a plain search may return (OpenSearch's default `max_result_window`)."""
RANKED = "dfs_query_then_fetch"
KEEP_ALIVE = "2m"
"""How long a point-in-time stays open between two pages of a stream."""


@dataclass(slots=True)
class Cluster:
    """One OpenSearch index (`index`: the alias) as the read side uses it.

    `guard` wraps every call to the cluster (a context manager factory mapping opensearch-py's
    errors to searchlib's, `searchlib.store.opensearch.client.cluster_errors`); `decode` turns
    a ``_source`` into the stored fields Whoosh keeps (naive UTC datetimes).
    """

    client: Any
    index: str
    url: str
    guard: Callable[[], Any]
    decode: Callable[[dict[str, Any]], dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)

    def search(self, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        with self.guard():
            return self.client.search(index=self.index, body=body, **params)  # type: ignore[no-any-return]

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
        the same article differently on each shard."""
        return self.search(body, search_type=RANKED)

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
        return answers

    def count(self, query: dict[str, Any]) -> int:
        with self.guard():
            return int(self.client.count(index=self.index, body={"query": query})["count"])

    def rows(self, query: dict[str, Any], *, fields: list[str] | None = None,
             source: list[str] | bool = False, sort: list[Any] | None = None) -> Iterator[dict]:
        """Every hit of `query` (no scoring unless `sort` asks for ``_score``), in `sort`
        order (default: index order), with `fields` as doc values and `source`."""
        body: dict[str, Any] = {"query": query, "_source": source, "size": ONE_REQUEST,
                                "track_total_hits": ONE_REQUEST + 1,
                                "sort": sort or ["_doc"]}
        if fields:
            body["docvalue_fields"] = [_docvalue(name) for name in fields]
        first = self.search(body)
        hits = first["hits"]["hits"]
        if first["hits"]["total"]["value"] <= len(hits):
            yield from hits
            return
        yield from self.stream(query, fields=fields, source=source, sort=sort)

    def stream(self, query: dict[str, Any], *, fields: list[str] | None = None,
               source: list[str] | bool = False, sort: list[Any] | None = None,
               page: int = PAGE) -> Iterator[dict]:
        """Every hit of `query` through a point-in-time and `search_after`: one consistent
        snapshot, no cap, `page` hits in memory at a time."""
        with self.guard():
            pit = self.client.create_pit(index=self.index, params={"keep_alive": KEEP_ALIVE})
        pit_id = pit["pit_id"]
        order = [*(sort or [])]
        if not any(isinstance(key, dict) and "id" in key for key in order):
            order.append({"id": "asc"})  # search_after needs a unique last key
        try:
            after: list[Any] | None = None
            while True:
                body: dict[str, Any] = {
                    "query": query, "_source": source, "size": page,
                    "pit": {"id": pit_id, "keep_alive": KEEP_ALIVE},
                    "sort": order, "track_total_hits": False}
                if fields:
                    body["docvalue_fields"] = [_docvalue(name) for name in fields]
                if after is not None:
                    body["search_after"] = after
                ranked = {"search_type": RANKED} if any(
                    isinstance(key, dict) and "_score" in key for key in order) else {}
                with self.guard():
                    hits = self.client.search(body=body, **ranked)["hits"]["hits"]
                yield from hits
                if len(hits) < page:
                    return
                after = hits[-1]["sort"]
        finally:
            with self.guard():
                self.client.delete_pit(body={"pit_id": [pit_id]})


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
