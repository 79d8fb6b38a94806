"""Export on OpenSearch: every match streamed through a point-in-time with ``search_after``
(one snapshot, no cap, three pages of rows in memory at most: the one read ahead, the one whose
groups are asked for, the one written), rows as the Whoosh engine makes them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from whoosh import query as wq

from searchlib.errors import ConfigError
from searchlib.query.exporting import (
    DEFAULT_FIELDS,
    GROUP_FIELDS,
    Provenance,
    check_export,
    row_of,
    version,
)
from searchlib.query.opensearch.cluster import PAGE, Cluster
from searchlib.query.opensearch.searching import (
    group_heads,
    ordered_rows,
    prepare,
    select,
)
from searchlib.query.search import Filters, collapse_key

__all__ = ["OpenSearchExport", "export"]

_Heads = Future[dict[str, tuple[str, int]]]
"""`group_heads` of a batch, on its way."""


class OpenSearchExport:
    """An export in progress (`searchlib.query.exporting.Export`'s interface): `provenance`,
    then `rows()` once."""

    def __init__(self, provenance: Provenance, cluster: Cluster, query: dict[str, Any] | None,
                 sort: str) -> None:
        self.provenance = provenance
        self._cluster: Cluster | None = cluster
        self._query = query
        self._sort = sort

    @property
    def total(self) -> int:
        return self.provenance.total

    def __enter__(self) -> OpenSearchExport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._cluster = None

    def rows(self) -> Iterator[dict[str, Any]]:
        """One dict per matching article with exactly `provenance.fields` as keys."""
        cluster, fields = self._cluster, self.provenance.fields
        if cluster is None:
            raise ConfigError("this export was already read or closed; run export() again")
        self._cluster = None
        if self._query is None:
            return
        grouped = bool(GROUP_FIELDS.intersection(fields))
        # Each batch's groups are asked for while the previous batch's rows are made (and
        # the next page is read, `Cluster.pages`): the cluster and we work at the same time.
        with ThreadPoolExecutor(max_workers=1) as pool:
            before: tuple[list[dict[str, Any]], _Heads | None] | None = None
            for batch in _batches(cluster, self._query, self._sort):
                heads = pool.submit(group_heads, cluster, {collapse_key(s) for s in batch}) \
                    if grouped else None
                if before is not None:
                    yield from _rows(*before, fields)
                before = batch, heads
            if before is not None:
                yield from _rows(*before, fields)


def _batches(cluster: Cluster, query: dict[str, Any],
             sort: str) -> Iterator[list[dict[str, Any]]]:
    """The stored fields of every hit, a page at a time."""
    batch: list[dict[str, Any]] = []
    # The whole ``_source`` (it holds no token layers): picking fields would make the cluster
    # parse and re-write every article, which costs more than reading it.
    for hit in ordered_rows(cluster, query, sort, source=True):
        batch.append(cluster.decode(hit["_source"]))
        if len(batch) >= PAGE:
            yield batch
            batch = []
    if batch:
        yield batch


def _rows(batch: list[dict[str, Any]], heads: _Heads | None,
          fields: Sequence[str]) -> Iterator[dict[str, Any]]:
    groups = heads.result() if heads is not None else {}
    for stored in batch:
        yield row_of(stored, fields, *groups.get(collapse_key(stored), (stored["id"], 1)))


def export(cluster: Cluster, text: str, *, filters: Filters | None = None,
           fields: Sequence[str] | None = None, sort: str = "date",
           collapse: bool = True) -> OpenSearchExport:
    """`searchlib.query.exporting.export` on OpenSearch."""
    chosen = tuple(fields) if fields else DEFAULT_FIELDS
    check_export(chosen, sort)
    parsed, filter_query = prepare(cluster, text, filters)
    query, total = None, 0
    if parsed is not wq.NullQuery:
        selection = select(cluster, parsed, filter_query, collapse=collapse,
                           scored=sort == "relevance")
        query = selection.scored if sort == "relevance" else selection.matching
        total = cluster.count(selection.matching)
    meta = cluster.meta
    provenance = Provenance(
        index=cluster.url, build_id=str(meta.get("build_id", "")),
        schema=str(meta.get("schema", "")), analyzer=str(meta.get("analyzer", "")),
        query=text, parsed=str(parsed), filters=(filters or Filters()).to_json(), sort=sort,
        collapsed=collapse, fields=chosen, total=total,
        exported_at=datetime.now(UTC).isoformat(timespec="seconds"), searchlib=version())
    return OpenSearchExport(provenance, cluster, query, sort)
