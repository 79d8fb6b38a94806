"""The on-disk index: create, open, add, delete, read back, statistics.

Writes go through one Whoosh writer at a time, committed in batches: an interrupted `add` keeps
every batch committed before it. Searches always use a fresh searcher (never
`Searcher.refresh()`, which returns merged documents twice in whoosh-reloaded).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from searchlib.analysis import ANALYZER_VERSION
from searchlib.errors import (
    IndexCorrupt,
    IndexExists,
    IndexIncompatible,
    IndexLocked,
    IndexNotFound,
)
from searchlib.model import Article, Failure, IndexReport
from searchlib.store.dedup import DuplicateFinder
from searchlib.store.schema import (
    SCHEMA_VERSION,
    article_to_document,
    build_schema,
    document_to_article,
)

__all__ = ["Store", "IndexStats", "DEFAULT_BATCH_SIZE", "META_FILE"]

DEFAULT_BATCH_SIZE = 1000
"""Articles per commit: bounds what a crash can lose and what a commit costs."""
META_FILE = "searchlib.json"
LOCK_INFO_FILE = "writer.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexStats:
    """Counts and provenance of an index."""

    path: str
    articles: int
    by_lang: dict[str, int]
    by_source: dict[str, int]
    first_published: datetime | None
    last_published: datetime | None
    size_bytes: int
    segments: int
    analyzer: str
    schema: str
    build_id: str
    created: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "articles": self.articles,
            "by_lang": self.by_lang,
            "by_source": self.by_source,
            "first_published": _iso(self.first_published),
            "last_published": _iso(self.last_published),
            "size_bytes": self.size_bytes,
            "segments": self.segments,
            "analyzer": self.analyzer,
            "schema": self.schema,
            "build_id": self.build_id,
            "created": self.created,
        }


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value else None


class Store:
    """A searchlib index on disk. Use `Store.create` / `Store.open`, not the constructor."""

    def __init__(self, path: Path, whoosh_ix: whoosh_index.Index, meta: dict[str, Any]) -> None:
        self.path = path
        self._ix = whoosh_ix
        self.meta = meta
        self._write_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def exists(cls, path: str | os.PathLike[str]) -> bool:
        """True when `path` holds a searchlib index (of any version)."""
        return (Path(path) / META_FILE).is_file()

    @classmethod
    def create(cls, path: str | os.PathLike[str]):
        """Create an empty index at `path` (the folder may exist but must hold no index)."""
        folder = Path(path)
        if cls.exists(folder) or whoosh_index.exists_in(str(folder)):
            raise IndexExists(str(folder))
        folder.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(folder), build_schema())
        meta = {
            "schema": SCHEMA_VERSION,
            "analyzer": ANALYZER_VERSION,
            "build_id": uuid.uuid4().hex,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        tmp = folder / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        os.replace(tmp, folder / META_FILE)
        return cls(folder, ix, meta)

    @classmethod
    def open(cls, path: str | os.PathLike[str]):
        """Open an existing index; refuses one built by another schema or analyzer version."""
        folder = Path(path)
        if not cls.exists(folder):
            raise IndexNotFound(str(folder))
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise IndexCorrupt(str(folder), f"unreadable {META_FILE}: {err}") from err
        expected = f"{SCHEMA_VERSION} + {ANALYZER_VERSION}"
        found = f"{meta.get('schema')} + {meta.get('analyzer')}"
        if found != expected:
            raise IndexIncompatible(str(folder), found, expected)
        try:
            ix = whoosh_index.open_dir(str(folder))
        except whoosh_index.EmptyIndexError as err:
            raise IndexCorrupt(str(folder), "no Whoosh table of contents") from err
        except Exception as err:  # Whoosh raises bare pickling/IO errors on damaged files
            raise IndexCorrupt(str(folder), f"{type(err).__name__}: {err}") from err
        return cls(folder, ix, meta)

    @classmethod
    def open_or_create(cls, path: str | os.PathLike[str]):
        return cls.open(path) if cls.exists(path) else cls.create(path)

    # -- reading -------------------------------------------------------------------------------

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """A searcher over the latest commit (a fresh one each time, closed on exit)."""
        searcher = self._ix.searcher()
        try:
            yield searcher
        finally:
            searcher.close()

    @property
    def schema(self):
        return self._ix.schema

    def __len__(self) -> int:
        return self._ix.doc_count()

    def get(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        with self.searcher() as searcher:
            stored = searcher.document(id=article_id)
        return document_to_article(stored) if stored else None

    def find_by_url(self, url: str) -> Article | None:
        """The article whose URL or canonical URL is `url`, or None."""
        with self.searcher() as searcher:
            stored = searcher.document(canonical_url=url) or searcher.document(url=url)
        return document_to_article(stored) if stored else None

    def articles(self) -> Iterator[Article]:
        """Every article in the index, in index order."""
        with self.searcher() as searcher:
            for stored in searcher.all_stored_fields():
                yield document_to_article(stored)

    def stats(self) -> IndexStats:
        """Counts by language and source, date range, size on disk and provenance."""
        by_lang: Counter[str] = Counter()
        by_source: Counter[str] = Counter()
        dates: list[datetime] = []
        with self.searcher() as searcher:
            for stored in searcher.all_stored_fields():
                by_lang[stored.get("lang") or "unknown"] += 1
                by_source[stored.get("source") or "unknown"] += 1
                if stored.get("published"):
                    dates.append(stored["published"])
            segments = len(searcher.reader().leaf_readers()) if self._ix.doc_count_all() else 0
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        return IndexStats(
            path=str(self.path),
            articles=self._ix.doc_count(),
            by_lang=dict(by_lang.most_common()),
            by_source=dict(by_source.most_common()),
            first_published=min(dates) if dates else None,
            last_published=max(dates) if dates else None,
            size_bytes=size,
            segments=segments,
            analyzer=self.meta["analyzer"],
            schema=self.meta["schema"],
            build_id=self.meta["build_id"],
            created=self.meta["created"],
        )

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def _writing(self, *, wait: float = 0.0) -> Iterator[_Batches]:
        """Exclusive write access: serialised across threads, locked across processes."""
        with self._write_lock:
            batches = _Batches(self, wait)
            try:
                yield batches
            except Exception:
                # Keep what was written before the failure: nothing indexed is lost.
                batches.commit()
                raise
            except BaseException:
                batches.cancel()
                raise
            batches.commit()

    def _open_writer(self, wait: float) -> IndexWriter:
        try:
            writer = self._ix.writer(timeout=wait, limitmb=256)
        except whoosh_index.LockError as err:
            holder, since = self._lock_holder()
            raise IndexLocked(str(self.path), holder, since) from err
        (self.path / LOCK_INFO_FILE).write_text(json.dumps({
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }), encoding="utf-8")
        return writer

    def _lock_holder(self) -> tuple[str, datetime | None]:
        try:
            info = json.loads((self.path / LOCK_INFO_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "another writer", None
        since = datetime.fromisoformat(info["since"]) if info.get("since") else None
        return f"process {info.get('pid')} on {info.get('host')}", since

    def add(
        self,
        items: Iterable[Article | Failure],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        wait: float = 0.0,
        progress: Callable[[int], None] | None = None,
    ) -> IndexReport:
        """Index articles; replace ones whose id exists; skip ones whose content is unchanged.

        `items` may carry `Failure`s from ingest: they are counted in the report. Commits every
        `batch_size` articles, so an interruption keeps all earlier batches. `progress(n)` is
        called with the number of items handled since the last call.
        """
        indexed = updated = unchanged = 0
        failures: list[Failure] = []
        with self._writing(wait=wait) as batches:
            known = self._stored_hashes()
            duplicates = DuplicateFinder(self, batch_size=batch_size)
            for item in items:
                if isinstance(item, Failure):
                    failures.append(item)
                else:
                    content_hash = item.content_hash()
                    previous = known.get(item.id)
                    if previous == content_hash:
                        unchanged += 1
                    else:
                        document = article_to_document(item, content_hash)
                        document.update(duplicates.fields(item))
                        if previous is None:
                            batches.writer.add_document(**document)
                            indexed += 1
                        else:
                            batches.writer.update_document(**document)
                            updated += 1
                        known[item.id] = content_hash
                        batches.count(batch_size)
                if progress:
                    progress(1)
            duplicates.close()
        return IndexReport(indexed=indexed, updated=updated, unchanged=unchanged,
                           failures=tuple(failures))

    def _stored_hashes(self) -> dict[str, str]:
        """id -> content hash of every live article, read from columns (no stored text)."""
        with self.searcher() as searcher:
            reader = searcher.reader()
            if not reader.doc_count():
                return {}
            ids = reader.column_reader("id")
            hashes = reader.column_reader("content_hash")
            return {ids[n]: hashes[n] for n in reader.all_doc_ids()}

    def delete(self, article_ids: Iterable[str], *, wait: float = 0.0) -> int:
        """Delete articles by id; returns how many were deleted."""
        deleted = 0
        with self._writing(wait=wait) as batches:
            for article_id in article_ids:
                deleted += batches.writer.delete_by_term("id", article_id)
        return deleted

    def optimize(self, *, wait: float = 0.0) -> None:
        """Merge all segments into one (faster searches, slower to run)."""
        with self._writing(wait=wait) as batches:
            batches.optimize = True


class _Batches:
    """The current writer of an `add`, committed and replaced every `batch_size` documents."""

    def __init__(self, store: Store, wait: float) -> None:
        self._store = store
        self._wait = wait
        self.writer = store._open_writer(wait)
        self.optimize = False
        self._pending = 0

    def count(self, batch_size: int) -> None:
        self._pending += 1
        if self._pending >= batch_size:
            self.commit()
            # Re-acquire at once; another writer may have queued behind us, so wait for it.
            self.writer = self._store._open_writer(max(self._wait, 60.0))

    def commit(self) -> None:
        self.writer.commit(optimize=self.optimize)
        self._pending = 0
        (self._store.path / LOCK_INFO_FILE).unlink(missing_ok=True)

    def cancel(self) -> None:
        self.writer.cancel()
        (self._store.path / LOCK_INFO_FILE).unlink(missing_ok=True)
