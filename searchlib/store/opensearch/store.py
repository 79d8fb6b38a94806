"""A searchlib index kept in OpenSearch: create, open, add, delete, rebuild, check, optimize.

The engine seam's store half for the OpenSearch engine, the counterpart of `store.Store`: the
same operations and reports, the same rules (replace by id or canonical URL, skip unchanged
content, near-duplicate groups, refuse a rebuild that loses articles), on a cluster.

An index is an **alias** (the URL's last path segment, ``news``) on one concrete index
(``news-20261207t193000-1a2b3c``). `rebuild` fills a new concrete index beside the live one,
then moves the alias in one atomic ``_aliases`` request and deletes the old index only after
that; until the swap, searches read the old index and writes to it are blocked
(``index.blocks.write``), so nothing written meanwhile is lost.

Writes go through opensearch-py's bulk helper, one request in flight at a time, retrying
429 (too many requests) with exponential back-off; a record the cluster refuses becomes a
`Failure` in the `IndexReport` and the batch goes on. After each batch the index is refreshed,
so the next batch's lookups (stored content hashes, canonical URLs, duplicate candidates) see
it, as the Whoosh engine's lookups see each commit. Big batches are analysed and encoded by
worker processes (`encoders`), and a batch's bulk requests go out as its documents arrive.

Not here: searching (`searchlib.query.opensearch`, `searchlib.api_opensearch`).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from opensearchpy import OpenSearch, helpers
from opensearchpy import exceptions as os_errors

from searchlib.errors import (
    ClusterError,
    IndexExists,
    IndexIncompatible,
    IndexLocked,
    IndexNotFound,
    OptionError,
)
from searchlib.model import Article, Failure, IndexReport
from searchlib.store.check import CheckReport
from searchlib.store.opensearch.address import OpenSearchAddress, parse_address
from searchlib.store.opensearch.client import cluster_errors, connect, error_reason
from searchlib.store.opensearch.dedup import ClusterDuplicateFinder
from searchlib.store.opensearch.encoders import EncoderPool, Job, choose_encoders, describe
from searchlib.store.opensearch.encoding import article_to_source, source_to_article
from searchlib.store.opensearch.mapping import (
    DEFAULT_REPLICAS,
    DEFAULT_SHARDS,
    REPLICAS_ENV,
    SHARDS_ENV,
    check_versions,
    index_body,
    mapping_problems,
    new_meta,
    versions_of,
)
from searchlib.store.parallel import WorkerChoice
from searchlib.store.store import (
    DEFAULT_BATCH_SIZE,
    DeleteReport,
    IndexStats,
    OptimizeReport,
    RebuildReport,
    _admitted,
    _refuse_losses,
)

__all__ = ["OpenSearchStore", "BulkOptions"]

Location = str | OpenSearchAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkOptions:
    """How `add` sends articles: documents per bulk request, and how long to keep retrying
    requests the cluster refuses as too many (429) before giving up on them.

    Calibration: 200 documents (~1 MB of encoded tokens at news length) per request kept the
    3-node dev cluster (512 MB heap each) busy without a 429.
    """

    chunk_size: int = 200
    max_chunk_bytes: int = 20 * 1024 * 1024
    max_retries: int = 8
    initial_backoff: float = 1.0
    max_backoff: float = 60.0


_PAGE = 1000
"""Documents per page when reading every article (`articles`)."""


def _concrete_name(alias: str) -> str:
    return f"{alias}-{datetime.now(UTC):%Y%m%dt%H%M%S}-{uuid.uuid4().hex[:6]}"


class OpenSearchStore:
    """A searchlib index in OpenSearch. Use `create` / `open`, not the constructor."""

    def __init__(self, address: OpenSearchAddress, client: OpenSearch, concrete: str,
                 meta: dict[str, Any]) -> None:
        self.address = address
        self.path = address.url
        """The URL, where the Whoosh engine has its folder (messages, reports)."""
        self._client = client
        self.concrete = concrete
        """The concrete index the alias points at when this store was opened."""
        self.meta = meta
        self._encoders: EncoderPool | None = None
        """The worker processes encoding documents, while an `add` that started them runs."""

    @property
    def alias(self) -> str:
        return self.address.alias

    def _errors(self, **options: Any):  # type: ignore[no-untyped-def]
        return cluster_errors(self.address, **options)

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def exists(cls, location: Location) -> bool:
        """True when the URL's alias (or an index of that name) exists, of any version."""
        address = parse_address(location)
        client = connect(address)
        with cluster_errors(address):
            return bool(client.indices.exists(index=address.alias))

    @classmethod
    def create(cls, location: Location, *, shards: int | None = None,
               replicas: int | None = None):  # type: ignore[no-untyped-def]
        """Create an empty index: a concrete index and the alias on it.

        `shards` defaults to ``SEARCHLIB_OPENSEARCH_SHARDS``, else 1; `replicas` to
        ``SEARCHLIB_OPENSEARCH_REPLICAS``, else 1 on a cluster of two or more data nodes and 0
        on one node (where a replica never allocates, which would keep the index yellow).
        Raises `IndexExists` when the alias or an index of that name exists.
        """
        address = parse_address(location)
        client = connect(address)
        with cluster_errors(address):
            if client.indices.exists(index=address.alias):
                raise IndexExists(address.url)
            shards, replicas = _new_shards(client, shards, replicas)
            meta = new_meta()
            concrete = _concrete_name(address.alias)
            body = index_body(meta, shards=shards, replicas=replicas)
            body["aliases"] = {address.alias: {}}
            try:
                client.indices.create(index=concrete, body=body,
                                      params={"wait_for_active_shards": "1"})
            except os_errors.RequestError as err:
                if "already_exists" in error_reason(err) or "alias" in error_reason(err):
                    raise IndexExists(address.url) from err  # created meanwhile
                raise
        return cls(address, client, concrete, meta)

    @classmethod
    def open(cls, location: Location):  # type: ignore[no-untyped-def]
        """Open the index behind the URL's alias; refuses one made by another version.

        Raises `IndexNotFound` (no such alias or index), `IndexIncompatible` (another
        searchlib version, or not a searchlib index), `ClusterError` (cluster unusable).
        """
        address = parse_address(location)
        client = connect(address)
        concrete, meta = _resolve(client, address)
        check_versions(address.url, meta)
        return cls(address, client, concrete, meta)

    @classmethod
    def open_or_create(cls, location: Location, **options: Any):  # type: ignore[no-untyped-def]
        try:
            return cls.open(location)
        except IndexNotFound:
            pass
        try:
            return cls.create(location, **options)
        except IndexExists:  # created meanwhile
            return cls.open(location)

    @classmethod
    def add_to(cls, location: Location, items: Iterable[Article | Failure], *,
               shards: int | None = None, replicas: int | None = None,
               **options: Any) -> IndexReport:
        """`open_or_create(location).add(items, **options)`, creating a missing index only when
        the first article arrives (inputs holding none leave no empty index)."""
        try:
            return cls.open(location).add(items, **options)
        except IndexNotFound:
            pass
        stream = iter(items)
        read: list[Article | Failure] = []
        for item in stream:
            read.append(item)
            if isinstance(item, Article):
                store = cls.open_or_create(location, shards=shards, replicas=replicas)
                return store.add(_chain(read, stream), **options)
        return IndexReport(failures=tuple(f for f in read if isinstance(f, Failure)))

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        with self._errors():
            return int(self._client.count(index=self.alias)["count"])

    def commit_stamp(self) -> tuple[str, int]:
        """Changes with every write, delete, optimize and rebuild: (concrete index and build
        id, documents written and deleted so far)."""
        with self._errors():
            stats = self._client.indices.stats(index=self.alias, metric="indexing")
        concrete = next(iter(stats["indices"]), "")
        indexing = stats["_all"]["primaries"]["indexing"]
        return f"{concrete}/{self.meta.get('build_id', '')}", int(
            indexing["index_total"] + indexing["delete_total"])

    def get(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        with self._errors(missing_ok=True):
            try:
                found = self._client.get(index=self.alias, id=article_id)
            except os_errors.NotFoundError:
                return None
        return source_to_article(found["_source"])

    def find_by_url(self, url: str) -> Article | None:
        """The article whose canonical URL (else URL) is `url`, or None."""
        for name in ("canonical_url", "url"):
            hits = self._search({"size": 1, "query": {"term": {name: url}}})
            if hits:
                return source_to_article(hits[0]["_source"])
        return None

    def articles(self) -> Iterator[Article]:
        """Every article, in no particular order (one point-in-time for the whole iteration)."""
        for hit in self._scan({"query": {"match_all": {}}}):
            yield source_to_article(hit["_source"])

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        with self._errors():
            return list(self._client.search(index=self.alias, body=body)["hits"]["hits"])

    def _scan(self, body: dict[str, Any], *, index: str | None = None) -> Iterator[dict]:
        """Every hit of `body`, page by page through a point-in-time with ``search_after``
        (in id order: the ``_shard_doc`` tiebreaker is not in OpenSearch 2.19)."""
        with self._errors():
            pit = self._client.create_pit(index=index or self.alias,
                                          params={"keep_alive": "5m"})["pit_id"]
        try:
            after: list[Any] | None = None
            while True:
                page = {**body, "size": _PAGE, "pit": {"id": pit, "keep_alive": "5m"},
                        "sort": [{"id": "asc"}], "track_total_hits": False}
                if after is not None:
                    page["search_after"] = after
                with self._errors():
                    hits = self._client.search(body=page)["hits"]["hits"]
                yield from hits
                if len(hits) < _PAGE:
                    return
                after = hits[-1]["sort"]
        finally:
            with self._errors(missing_ok=True):
                try:
                    self._client.delete_pit(body={"pit_id": [pit]})
                except os_errors.NotFoundError:
                    pass

    def stats(self, *, text_sizes: bool = False) -> IndexStats:
        """Counts by language, source and year, undated articles, date range, size and
        provenance, from aggregations; `text_sizes` reads every article for its characters."""
        body = {"size": 0, "track_total_hits": True, "aggs": {
            "lang": {"terms": {"field": "lang", "size": 100, "missing": ""}},
            "undated": {"missing": {"field": "published"}},
            "years": {"date_histogram": {"field": "published", "calendar_interval": "year",
                                         "format": "yyyy", "min_doc_count": 1}},
            "first": {"min": {"field": "published"}},
            "last": {"max": {"field": "published"}},
        }}
        with self._errors():
            found = self._client.search(index=self.alias, body=body)
            index_stats = self._client.indices.stats(index=self.alias, metric="store,segments")
        aggs = found["aggregations"]
        by_lang = {(b["key"] or "unknown"): b["doc_count"] for b in aggs["lang"]["buckets"]}
        chars: Counter[str] = Counter()
        if text_sizes:
            for hit in self._scan({"_source": ["lang", "title", "lead", "text"]}):
                source = hit["_source"]
                chars[source.get("lang") or "unknown"] += sum(
                    len(source.get(name) or "") for name in ("title", "lead", "text"))
        primaries = index_stats["_all"]["primaries"]
        return IndexStats(
            path=self.path,
            articles=found["hits"]["total"]["value"],
            by_lang=by_lang,
            by_source=self._sources(),
            undated=aggs["undated"]["doc_count"],
            by_year={b["key_as_string"]: b["doc_count"] for b in aggs["years"]["buckets"]},
            chars_by_lang={lang: chars[lang] for lang in by_lang} if text_sizes else None,
            first_published=_epoch_ms(aggs["first"]["value"]),
            last_published=_epoch_ms(aggs["last"]["value"]),
            size_bytes=int(primaries["store"]["size_in_bytes"]),
            segments=int(primaries["segments"]["count"]),
            analyzer=self.meta.get("analyzer", ""),
            schema=f"{self.meta.get('schema', '')} + {self.meta.get('encoding', '')}",
            build_id=self.meta.get("build_id", ""),
            created=self.meta.get("created", ""),
        )

    def _sources(self) -> dict[str, int]:
        """Articles per source name as given ("unknown" for none), most first: every name,
        page by page (a composite aggregation)."""
        counts: Counter[str] = Counter()
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {"size": 1000, "sources": [{"name": {"terms": {
                "field": "source_name", "missing_bucket": True}}}]}
            if after is not None:
                composite["after"] = after
            with self._errors():
                found = self._client.search(index=self.alias, body={
                    "size": 0, "aggs": {"sources": {"composite": composite}}})
            result = found["aggregations"]["sources"]
            for bucket in result["buckets"]:
                counts[bucket["key"]["name"] or "unknown"] += bucket["doc_count"]
            after = result.get("after_key")
            if not result["buckets"] or after is None:
                return dict(counts.most_common())

    # -- writing -------------------------------------------------------------------------------

    def _wait_writable(self, wait: float) -> None:
        """Raise `ClusterError` for a red index (its writes would wait a minute per request,
        then fail), `IndexLocked` while a rebuild blocks writes (waiting up to `wait` s)."""
        with self._errors():
            health = self._client.cluster.health(index=self.alias)
        if health["status"] == "red":
            raise ClusterError(self.path, f"index {self.concrete} is red "
                               f"({health['unassigned_shards']} shard(s) unassigned): "
                               "articles cannot be written",
                               advice=f"start the missing nodes; `searchlib check --index "
                                      f"{self.path}` tells more")
        deadline = time.monotonic() + wait
        while True:
            with self._errors():
                settings = self._client.indices.get_settings(
                    index=self.alias, name="index.blocks.write")
            blocked = any(str(s.get("settings", {}).get("index", {}).get("blocks", {})
                              .get("write", "false")).lower() == "true"
                          for s in settings.values())
            if not blocked:
                return
            if time.monotonic() >= deadline:
                raise IndexLocked(self.path, "a rebuild (the index is write-blocked until "
                                  "it swaps; a killed rebuild's block is lifted by "
                                  "re-running `searchlib rebuild`)", None)
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    def add(
        self,
        items: Iterable[Article | Failure],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        wait: float = 0.0,
        progress: Callable[[int], None] | None = None,
        on_commit: Callable[[int], None] | None = None,
        bulk: BulkOptions | None = None,
    ) -> IndexReport:
        """Index articles with the Whoosh engine's rules (`Store.add`): replace the article
        with the same id or canonical URL, skip unchanged content, group near-duplicates.

        Sends each batch of `batch_size` articles in bulk requests (`bulk`), then refreshes
        the index; `on_commit(n)` follows each batch with the articles written so far. The
        documents of a big batch are encoded by worker processes (`choose_encoders`; started
        by the first big batch, stopped at the end) while this process decides on the next
        one; the bulk requests of a batch go out, one at a time, as its documents arrive. A
        record the cluster refuses is a `Failure` in the report; the batch goes on. A cluster
        that fails (down, timed out, 429 past every retry) raises `ClusterError`, a worker that
        fails `IndexWriteError`: the batches sent before stay indexed, and re-running the same
        command completes the job.
        """
        self._wait_writable(wait)
        batch_size = max(1, batch_size)
        writer = _BatchWriter(self, bulk or BulkOptions())
        finder = ClusterDuplicateFinder(self._multi_search, batch_size=batch_size)
        counts: Counter[str] = Counter()
        failures: list[Failure] = []

        def landed(outcomes: list[tuple[str, Failure | None]]) -> None:
            for outcome, failure in outcomes:
                if failure is None:
                    counts[outcome] += 1
                else:
                    failures.append(failure)
            if on_commit:
                on_commit(counts["indexed"] + counts["updated"])

        choice: WorkerChoice | None = None

        def encode_here(jobs: list[Job]) -> list[dict[str, Any]]:
            documents = []
            for job in jobs:
                documents.append(article_to_source(*job)[0])
                if progress:
                    progress(1)
            return documents

        def encode(jobs: list[Job]) -> Iterable[dict[str, Any] | str]:
            """The documents of `jobs`, in order: from the workers (started by the first big
            batch), else encoded here, now."""
            nonlocal choice
            if self._encoders is None:
                choice = choose_encoders(len(jobs))
                if choice.workers == 0:
                    return encode_here(jobs)
                self._encoders = EncoderPool(self.path, choice.workers)
            if progress:
                progress(len(jobs))
            return (text for text, _dropped in self._encoders.encode(jobs))

        # One batch in flight: the next batch is decided on (and its documents encoded by the
        # workers) while the cluster indexes this one.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="searchlib-bulk") as sender:
            in_flight: Future | None = None
            changes: _Changes | None = None
            stream = iter(items)
            number = 0
            try:
                while batch := list(islice(stream, batch_size)):
                    admitted = []
                    for item in batch:
                        number += 1
                        admitted.append(_admitted(item, number))
                    articles = [item for item in admitted if isinstance(item, Article)]
                    # The cluster holds every batch but the one in flight: its changes are
                    # laid over what the cluster says.
                    lookups = self._lookups(articles, changes)
                    finder.prefetch(articles)
                    for item in admitted:
                        if isinstance(item, Failure):
                            failures.append(item)
                        elif (outcome := lookups.decide(item)) == "unchanged":
                            counts["unchanged"] += 1
                        else:
                            writer.index(item, (item, item.content_hash(), finder.fields(item)),
                                         outcome, replaces=lookups.replaced)
                            continue  # progress: once encoded (or given to the workers)
                        if progress:
                            progress(1)
                    taken = writer.take(encode)
                    if in_flight is not None:
                        done, in_flight = in_flight, None
                        landed(done.result())
                    in_flight = sender.submit(writer.send, *taken)
                    changes = lookups.changes
                if in_flight is not None:
                    done, in_flight = in_flight, None
                    landed(done.result())
            except Exception:
                # Keep what was read before the failure (as the Whoosh engine commits it).
                try:
                    if in_flight is not None:
                        landed(in_flight.result())
                        in_flight = None
                    landed(writer.send(*writer.take(encode_here)))
                finally:
                    if self._encoders is not None:  # it may hold an abandoned batch's work
                        self._encoders.close(force=True)
                raise
            finally:
                finder.close()
                if self._encoders is not None:
                    self._encoders.close()
                    self._encoders = None
        written = counts["indexed"] + counts["updated"]
        how = describe(choice or WorkerChoice(0, "no article to encode"))
        return IndexReport(indexed=counts["indexed"], updated=counts["updated"],
                           unchanged=counts["unchanged"], failures=tuple(failures),
                           workers=max(1, choice.workers if choice is not None else 0),
                           indexed_by=f"bulk requests to OpenSearch, one in flight; {how}"
                           if written else "")

    def _multi_search(self, bodies: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """The ``_source`` of the hits of each query body, one ``_msearch`` request."""
        lines: list[dict[str, Any]] = []
        for body in bodies:
            lines.extend(({"index": self.alias}, body))
        with self._errors():
            answers = self._client.msearch(body=lines)["responses"]
        results = []
        for answer in answers:
            if "error" in answer:
                raise ClusterError(self.path, f"duplicate lookup failed: {answer['error']}")
            results.append([hit["_source"] for hit in answer["hits"]["hits"]])
        return results

    def _lookups(self, articles: Sequence[Article], changes: _Changes | None) -> _Lookups:
        """What the index holds for a batch: content hashes by id (a real-time multi-get)
        and the articles holding each canonical URL of the batch (a search: the index is
        refreshed after each batch), with `changes` (of a batch still in flight) on top."""
        ids = list(dict.fromkeys(article.id for article in articles))
        urls = list(dict.fromkeys(a.canonical_url for a in articles if a.canonical_url))
        known: dict[str, str] = {}
        keys: dict[str, str] = {}
        owners: dict[str, str] = {}
        with self._errors():
            if ids:
                found = self._client.mget(index=self.alias, body={"ids": ids},
                                          params={"_source": "content_hash,canonical_url"})
                for doc in found["docs"]:
                    if doc.get("found"):
                        known[doc["_id"]] = doc["_source"].get("content_hash", "")
                        if doc["_source"].get("canonical_url"):
                            keys[doc["_id"]] = doc["_source"]["canonical_url"]
            for start in range(0, len(urls), 1000):
                body = {"size": 10_000, "_source": ["content_hash", "canonical_url"],
                        "query": {"terms": {"canonical_url": urls[start:start + 1000]}},
                        "sort": [{"id": "asc"}]}
                hits = self._client.search(index=self.alias, body=body)["hits"]["hits"]
                for hit in hits:
                    owners[hit["_source"]["canonical_url"]] = hit["_id"]
                    keys[hit["_id"]] = hit["_source"]["canonical_url"]
                    known.setdefault(hit["_id"], hit["_source"].get("content_hash", ""))
        if changes is not None:
            changes.apply(known, keys, owners)
        return _Lookups(known=known, keys=keys, owners=owners)

    def delete(self, article_ids: Iterable[str] = (), *, urls: Iterable[str] = (),
               wait: float = 0.0) -> int:
        """Delete articles by id and by URL (canonical or not); returns how many were deleted."""
        return len(self.remove(article_ids, urls=urls, wait=wait).deleted)

    def remove(self, article_ids: Iterable[str] = (), *, urls: Iterable[str] = (),
               wait: float = 0.0) -> DeleteReport:
        """Delete articles by id and by URL; reports the ids deleted and what matched nothing."""
        self._wait_writable(wait)
        wanted_ids, wanted_urls = list(dict.fromkeys(article_ids)), list(dict.fromkeys(urls))
        deleted: dict[str, None] = {}
        not_found: list[str] = []
        with self._errors():
            if wanted_ids:
                found = self._client.mget(index=self.alias, body={"ids": wanted_ids},
                                          params={"_source": "false"})
                present = {doc["_id"] for doc in found["docs"] if doc.get("found")}
                for article_id in wanted_ids:
                    if article_id in present:
                        deleted[article_id] = None
                    else:
                        not_found.append(article_id)
            for url in wanted_urls:
                body = {"size": 10_000, "_source": False, "sort": [{"id": "asc"}], "query": {
                    "bool": {"should": [{"term": {"canonical_url": url}},
                                        {"term": {"url": url}}]}}}
                hits = self._client.search(index=self.alias, body=body)["hits"]["hits"]
                if not hits:
                    not_found.append(url)
                deleted.update((hit["_id"], None) for hit in hits)
            if deleted:
                actions = [{"_op_type": "delete", "_index": self.alias, "_id": article_id}
                           for article_id in deleted]
                helpers.bulk(self._client, actions, raise_on_error=False, refresh=True,
                             max_retries=BulkOptions().max_retries)
        return DeleteReport(deleted=tuple(deleted), not_found=tuple(not_found))

    def optimize(self, *, wait: float = 0.0) -> OptimizeReport:
        """Force-merge every shard into one segment (deleted articles purged)."""
        self._wait_writable(wait)
        before = self._segment_stats()
        with self._errors():
            # A force merge can run longer than any request timeout: wait for its task.
            task = self._client.indices.forcemerge(
                index=self.alias, params={"max_num_segments": "1",
                                          "wait_for_completion": "false"})
        self._wait_for_task(task.get("task"))
        with self._errors():
            self._client.indices.refresh(index=self.alias)
        after = self._segment_stats()
        return OptimizeReport(articles=len(self), segments_before=before[0],
                              segments_after=after[0], size_before=before[1],
                              size_after=after[1])

    def _segment_stats(self) -> tuple[int, int]:
        """(Segments, bytes) of the primary shards."""
        with self._errors():
            stats = self._client.indices.stats(index=self.alias, metric="store,segments")
        primaries = stats["_all"]["primaries"]
        return int(primaries["segments"]["count"]), int(primaries["store"]["size_in_bytes"])

    def _wait_for_task(self, task_id: str | None) -> None:
        if not task_id:
            return
        while True:
            with self._errors():
                task = self._client.tasks.get(task_id=task_id)
            if task.get("completed"):
                if "error" in task:
                    raise ClusterError(self.path, f"force merge failed: {task['error']}")
                return
            time.sleep(0.5)

    # -- rebuild and check ---------------------------------------------------------------------

    @classmethod
    def rebuild(
        cls,
        location: Location,
        items: Iterable[Article | Failure] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        wait: float = 0.0,
        progress: Callable[[int], None] | None = None,
        on_commit: Callable[[int], None] | None = None,
        allow_shrink: bool = False,
        shards: int | None = None,
        replicas: int | None = None,
    ) -> RebuildReport:
        """Build a new concrete index aside, then move the alias to it atomically.

        With `items`, the new index holds exactly those articles; without, the index's own
        articles re-analysed by this searchlib (the fix for `IndexIncompatible`). `shards` and
        `replicas` default to the old index's. While it runs, searches read the old index and
        writes to it are refused (`IndexLocked`); if it fails, the new index is deleted and the
        old one stays as it was. Raises `RebuildRefused` (old index untouched) for inputs
        holding no article, or a smaller index unless `allow_shrink`. `wait` is accepted for
        the Whoosh engine's signature: a rebuild here waits for no lock (a killed rebuild's
        write block is lifted by the next one).
        """
        del wait
        address = parse_address(location)
        client = connect(address)
        try:
            old_name, old_meta = _resolve(client, address)
        except IndexNotFound:
            if items is None:
                raise
            old_name, old_meta = None, {}
        old = cls(address, client, old_name, old_meta) if old_name else None
        settings = _shard_settings(client, address, old_name)
        meta = new_meta(rebuilt_from=old_meta.get("build_id"))
        concrete = _concrete_name(address.alias)
        with cluster_errors(address):
            client.indices.create(index=concrete, body=index_body(
                meta, shards=shards or settings[0],
                replicas=settings[1] if replicas is None else replicas),
                params={"wait_for_active_shards": "1"})
        new = cls(replace(address, alias=concrete), client, concrete, meta)
        swapped = False
        try:
            if old is not None:
                _block_writes(client, address, old_name, True)
            previous = len(old) if old is not None else None
            source = items if items is not None else old.articles()  # type: ignore[union-attr]
            report = new.add(source, batch_size=batch_size, progress=progress,
                             on_commit=on_commit)
            articles = len(new)
            _refuse_losses(address.url, report, articles, previous,  # type: ignore[arg-type]
                           from_inputs=items is not None, allow_shrink=allow_shrink)
            _swap_alias(client, address, old_name, concrete)
            swapped = True
        finally:
            if not swapped:
                with cluster_errors(address, missing_ok=True):
                    client.indices.delete(index=concrete, params={"ignore_unavailable": "true"})
                if old is not None:
                    _block_writes(client, address, old_name, False)
        if old_name:
            with cluster_errors(address, missing_ok=True):
                client.indices.delete(index=old_name, params={"ignore_unavailable": "true"})
        return RebuildReport(
            path=address.url, source="stored" if items is None else "inputs",
            articles=articles, report=report, build_id=meta["build_id"],
            previous_build_id=old_meta.get("build_id"), previous_articles=previous)

    @classmethod
    def check(cls, location: Location) -> CheckReport:
        """Verify an index without changing it: cluster and index health, mapping versions and
        fields, counts (every article once, primaries and replicas agreeing). Works on indexes that
        `open` refuses (another version), to say what is wrong."""
        address = parse_address(location)
        client = connect(address)
        concrete, meta = _resolve(client, address)
        problems: list[str] = []
        notes: list[str] = []
        found = versions_of(meta) if meta else "no searchlib versions"
        expected = versions_of(new_meta())
        if found != expected:
            problems.append(f"built with {found}, this searchlib needs {expected}: rebuild it "
                            f"with `searchlib rebuild --index {address.url}`")
        with cluster_errors(address):
            mappings = client.indices.get_mapping(index=concrete)[concrete]["mappings"]
            health = client.cluster.health(index=concrete, params={"level": "indices"})
            stats = client.indices.stats(index=concrete, metric="docs,segments",
                                         params={"level": "shards"})
        if found == expected:
            problems.extend(mapping_problems(mappings))
        shards = stats["indices"].get(concrete, {})  # absent while no shard has started
        primaries = shards.get("primaries", {})
        held = int(primaries.get("docs", {}).get("count", 0))
        documents = held + int(primaries.get("docs", {}).get("deleted", 0))
        status = health["indices"].get(concrete, {}).get("status", health["status"])
        if status == "red":
            problems.append(f"index {concrete} is red: {health['unassigned_shards']} shard(s) "
                            "unassigned, some articles cannot be read or written (counts "
                            "below are of the shards that answer)")
            count = held
        else:
            if status == "yellow":
                notes.append(f"index {concrete} is yellow: {health['unassigned_shards']} "
                             "replica shard(s) unassigned (too few nodes for the replicas)")
            with cluster_errors(address):
                count = int(client.count(index=concrete)["count"])
                distinct = client.search(index=concrete, body={
                    "size": 0, "track_total_hits": True,
                    "aggs": {"ids": {"cardinality": {"field": "id",
                                                     "precision_threshold": 40000}}}})
            if count != held:
                problems.append(f"a count finds {count} articles, the primary shards hold "
                                f"{held}")
            ids = distinct["aggregations"]["ids"]["value"]
            if count <= 40000 and ids != count:
                problems.append(f"{count} documents hold {ids} distinct ids")
        problems.extend(_replica_disagreements(shards.get("shards", {})))
        if meta.get("rebuilt_from"):
            notes.append(f"rebuilt from build {meta['rebuilt_from']}")
        notes.extend(f"index {name} is not behind the alias: left by a rebuild that was "
                     f"killed (or one running now); delete it when none runs"
                     for name in _leftovers(client, address, concrete))
        return CheckReport(path=address.url, articles=count, documents=documents,
                           segments=int(primaries.get("segments", {}).get("count", 0)),
                           generation=concrete,
                           build_id=meta.get("build_id"), schema=meta.get("schema"),
                           analyzer=meta.get("analyzer"), problems=tuple(problems),
                           notes=tuple(notes))


@dataclass(slots=True)
class _Changes:
    """What one batch's decisions changed in `_Lookups`' three maps (None: removed), to lay
    over the cluster's answers until the batch has landed."""

    known: dict[str, str | None] = field(default_factory=dict)
    keys: dict[str, str | None] = field(default_factory=dict)
    owners: dict[str, str | None] = field(default_factory=dict)

    def apply(self, known: dict[str, str], keys: dict[str, str],
              owners: dict[str, str]) -> None:
        for changed, target in ((self.known, known), (self.keys, keys),
                                (self.owners, owners)):
            for key, value in changed.items():
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value


@dataclass(slots=True)
class _Lookups:
    """The Whoosh engine's replacement rule (`Store.add`) over one batch: what the index held
    before the batch, updated by the batch's own decisions (also kept in `changes`)."""

    known: dict[str, str]
    """id -> content hash."""
    keys: dict[str, str]
    """id -> canonical URL."""
    owners: dict[str, str]
    """canonical URL -> id of the article holding it."""
    replaced: str | None = None
    """The article (another id, same canonical URL) the last `decide` replaces."""
    changes: _Changes = field(default_factory=_Changes)

    def decide(self, item: Article) -> str:
        """"indexed", "updated" or "unchanged" for `item`; sets `replaced`."""
        content_hash = item.content_hash()
        previous = self.known.get(item.id)
        key = item.canonical_url
        replaced = self.owners.get(key) if key else None
        if replaced == item.id:
            replaced = None
        self.replaced = None
        if previous == content_hash or (
                previous is None and replaced is not None
                and replace(item, id=replaced).content_hash() == self.known.get(replaced)):
            return "unchanged"  # or already stored, unchanged, under another id
        self.replaced = replaced
        changes = self.changes
        if replaced is not None:
            self.known.pop(replaced, None)
            self.keys.pop(replaced, None)
            changes.known[replaced] = changes.keys[replaced] = None
        old_key = self.keys.get(item.id)
        if old_key and self.owners.get(old_key) == item.id:
            del self.owners[old_key]
            changes.owners[old_key] = None
        self.known[item.id] = changes.known[item.id] = content_hash
        if key:
            self.keys[item.id] = changes.keys[item.id] = key
            self.owners[key] = changes.owners[key] = item.id
        return "indexed" if previous is None and replaced is None else "updated"


class _BatchWriter:
    """The bulk actions of one batch, sent with `send`; each article's outcome reported."""

    def __init__(self, store: OpenSearchStore, options: BulkOptions) -> None:
        self._store = store
        self._options = options
        self._actions: list[dict[str, Any]] = []
        self._jobs: list[Job] = []
        """What to encode, one job per index action, in order."""
        self._pending: list[tuple[str, str, str]] = []
        """(id, outcome, where) of the articles in the batch."""

    def index(self, article: Article, job: Job, outcome: str, *,
              replaces: str | None) -> None:
        """Index `article`, whose document `job` encodes, after deleting `replaces`."""
        if replaces is not None:
            self._actions.append({"_op_type": "delete", "_index": self._store.alias,
                                  "_id": replaces})
        self._actions.append({"_op_type": "index", "_index": self._store.alias,
                              "_id": article.id})
        self._jobs.append(job)
        self._pending.append((article.id, outcome, article.path or f"article {article.id}"))

    def take(self, encode: Callable[[list[Job]], Iterable[dict[str, Any] | str]],
             ) -> tuple[Iterator[dict[str, Any]], list[tuple[str, str, str]]]:
        """The batch's actions, each index action given its document (by `encode`) as it is
        sent, and its articles, for `send`; the writer starts a new batch."""
        actions, jobs, pending = self._actions, self._jobs, self._pending
        self._actions, self._jobs, self._pending = [], [], []
        return _with_documents(actions, encode(jobs) if jobs else ()), pending

    def send(self, actions: Iterator[dict[str, Any]],
             pending: list[tuple[str, str, str]]) -> list[tuple[str, Failure | None]]:
        """Send a batch; (outcome, None) per article written, ("failed", Failure) per article
        refused; then refresh the index so the next batches' lookups see it."""
        if not pending:
            return []
        store = self._store
        with store._errors():
            refused = self._send(actions)
            store._client.indices.refresh(index=store.alias)
        outcomes: list[tuple[str, Failure | None]] = []
        for article_id, outcome, where in pending:
            if ("index", article_id) in refused:
                outcomes.append(("failed", Failure(source=where, reason=(
                    f"OpenSearch {store.path} refused article {article_id!r}: "
                    f"{refused['index', article_id]}"))))
            else:
                outcomes.append((outcome, None))
        return outcomes

    def _send(self, actions: Iterator[dict[str, Any]]) -> dict[tuple[str, str], str]:
        """Send `actions` in bulk requests; the (operation, id) the cluster refused, and why.

        The bulk helper retries requests and items refused with 429 (too many requests);
        items refused because a shard is briefly unavailable (a node left, a primary being
        promoted: 502/503/504) are sent again here, with the same back-off. Both retries are
        safe: an index or delete by id done twice leaves one article.
        """
        options = self._options
        refused: dict[tuple[str, str], str] = {}
        sent: list[dict[str, Any]] = []
        stream: Iterable[dict[str, Any]] = _recorded(actions, sent)
        for attempt in range(options.max_retries + 1):
            transient: set[tuple[str, str]] = set()
            for ok, item in helpers.streaming_bulk(
                    self._store._client, stream, chunk_size=options.chunk_size,
                    max_chunk_bytes=options.max_chunk_bytes, raise_on_error=False,
                    max_retries=options.max_retries, initial_backoff=options.initial_backoff,
                    max_backoff=options.max_backoff,
                    request_timeout=max(self._store.address.timeout, _BULK_TIMEOUT)):
                operation, result = next(iter(item.items()))
                status = int(result.get("status") or 0)
                if ok or (operation == "delete" and status == 404):
                    continue
                key = (operation, str(result.get("_id")))
                refused[key] = _item_reason(result)
                if status in _TRANSIENT:
                    transient.add(key)
            if not transient or attempt == options.max_retries:
                return refused
            time.sleep(min(options.max_backoff, options.initial_backoff * 2 ** attempt))
            stream = [a for a in sent if (a["_op_type"], a["_id"]) in transient]
            for key in transient:
                del refused[key]
        return refused


def _with_documents(actions: list[dict[str, Any]],
                    documents: Iterable[dict[str, Any] | str]) -> Iterator[dict[str, Any]]:
    """`actions`, each index action given the next of `documents` (a ``_source`` dict, or its
    JSON text, which the bulk helper sends as it is) when it is reached."""
    remaining = iter(documents)
    for action in actions:
        if action["_op_type"] == "index":
            action["_source"] = next(remaining)
        yield action


def _recorded(actions: Iterator[dict[str, Any]],
              sent: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """`actions`, each kept in `sent` as it goes (to send again the ones refused for now)."""
    for action in actions:
        sent.append(action)
        yield action


_TRANSIENT = frozenset({429, 502, 503, 504})
"""Item statuses worth sending again: overload, or a shard briefly without a primary."""
_BULK_TIMEOUT = 120.0
"""Seconds a bulk request may take (at least): a loaded cluster indexes 200 articles slowly.
A bulk request that times out fails the `add` (`ClusterError`); the batches before stay."""


def _item_reason(result: dict[str, Any]) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"
    return f"status {result.get('status')}: {error}"


def _chain(first: list[Article | Failure], rest: Iterator[Article | Failure]):  # type: ignore[no-untyped-def]
    yield from first
    yield from rest


def _epoch_ms(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if value is not None else None


def _new_shards(client: OpenSearch, shards: int | None,
                replicas: int | None) -> tuple[int, int]:
    """(Shards, replicas) of a new index: as given, else from the environment, else 1 shard
    and 1 replica (0 on a single data node)."""
    shards = shards or _env_count(SHARDS_ENV, minimum=1) or DEFAULT_SHARDS
    if replicas is None:
        replicas = _env_count(REPLICAS_ENV, minimum=0)
    if replicas is None:
        nodes = client.cluster.health()["number_of_data_nodes"]
        replicas = DEFAULT_REPLICAS if nodes >= 2 else 0
    return shards, replicas


def _env_count(name: str, *, minimum: int) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < minimum:
        raise OptionError(f"{name}={value!r}: expected a whole number >= {minimum}")
    return int(value)


def _resolve(client: OpenSearch, address: OpenSearchAddress) -> tuple[str, dict[str, Any]]:
    """(The concrete index behind the alias, its ``_meta.searchlib``); `IndexNotFound` when
    there is none, `IndexIncompatible` when the name is an index or alias not made by
    searchlib (several indexes, or no alias)."""
    with cluster_errors(address):
        mappings = client.indices.get_mapping(index=address.alias)
    if len(mappings) != 1:
        raise IndexIncompatible(address.url, f"an alias on {len(mappings)} indexes",
                                "an alias on one searchlib index")
    concrete, mapping = next(iter(mappings.items()))
    meta = mapping.get("mappings", {}).get("_meta", {}).get("searchlib") or {}
    return concrete, meta


def _shard_settings(client: OpenSearch, address: OpenSearchAddress,
                    concrete: str | None) -> tuple[int, int]:
    """(Shards, replicas) of `concrete`, else the defaults of a new index."""
    if concrete is None:
        with cluster_errors(address):
            return _new_shards(client, None, None)
    with cluster_errors(address):
        settings = client.indices.get_settings(index=concrete)[concrete]["settings"]["index"]
    return int(settings["number_of_shards"]), int(settings["number_of_replicas"])


def _block_writes(client: OpenSearch, address: OpenSearchAddress, concrete: str | None,
                  blocked: bool) -> None:
    if concrete is None:
        return
    with cluster_errors(address, missing_ok=True):
        try:
            client.indices.put_settings(index=concrete,
                                        body={"index": {"blocks": {"write": blocked}}})
        except os_errors.NotFoundError:
            pass


def _swap_alias(client: OpenSearchAddress | OpenSearch, address: OpenSearchAddress,
                old: str | None, new: str) -> None:
    """Point the alias at `new` (and away from `old`) in one atomic request."""
    actions: list[dict[str, Any]] = [{"add": {"index": new, "alias": address.alias}}]
    if old is not None:
        actions.insert(0, {"remove": {"index": old, "alias": address.alias}})
    with cluster_errors(address):
        client.indices.update_aliases(body={"actions": actions})  # type: ignore[union-attr]


def _leftovers(client: OpenSearch, address: OpenSearchAddress, concrete: str) -> list[str]:
    """Concrete indexes named as this alias's (`_concrete_name`) that it does not point at."""
    pattern = re.compile(rf"{re.escape(address.alias)}-\d{{8}}t\d{{6}}-[0-9a-f]{{6}}")
    with cluster_errors(address):
        names = client.indices.get(index=f"{address.alias}-*",
                                   params={"ignore_unavailable": "true",
                                           "allow_no_indices": "true"})
    return sorted(name for name in names if name != concrete and pattern.fullmatch(name))


def _replica_disagreements(shards: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Problems for shards whose copies hold different numbers of documents."""
    problems = []
    for number, copies in sorted(shards.items(), key=lambda item: int(item[0])):
        counts = {int(copy["docs"]["count"]) for copy in copies}
        if len(counts) > 1:
            problems.append(f"shard {number}: its copies hold {sorted(counts)} documents")
    return problems
