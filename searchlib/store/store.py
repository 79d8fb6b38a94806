"""The on-disk index: create, open, add, delete, rebuild, optimize, read back, statistics.

Writes go through one writer at a time: the threads of one `Store` queue on a thread lock, other
`Store`s and processes meet the folder's write lock (`lock.py`), which names its holder and can be
waited for. Articles are committed in batches: an interrupted `add` keeps every batch committed
before it, and a commit that returned survives a crash (`files.DurableStorage`). `rebuild` writes a
new Whoosh generation beside the live one and swaps it in with one atomic rename of the meta
file; every `Store` notices the swap on its next read. Searches always use a fresh searcher (never
`Searcher.refresh()`, which returns merged documents twice in whoosh-reloaded).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index as whoosh_index
from whoosh.searching import Searcher
from whoosh.util.times import long_to_datetime
from whoosh.writing import IndexWriter

from searchlib.analysis import ANALYZER_VERSION
from searchlib.errors import (
    IndexCorrupt,
    IndexExists,
    IndexIncompatible,
    IndexLocked,
    IndexNotFound,
    IndexWriteError,
    InputError,
    RebuildRefused,
)
from searchlib.model import DATE_YEARS, Article, Failure, IndexReport, Lang, find_surrogate
from searchlib.store.columns import MISSING_DATE, Column, open_stored
from searchlib.store.dedup import DuplicateFinder
from searchlib.store.files import (
    MAIN_NAME,
    META_FILE,
    create_generation,
    generation_name,
    meta_stamp,
    new_generation_name,
    open_generation,
    read_meta,
    remove_generation,
    remove_leftovers,
    remove_unlisted,
    write_meta,
)
from searchlib.store.lock import FolderLock, LockHolder
from searchlib.store.merging import MERGE_SMALL, OPTIMIZE
from searchlib.store.postings import SearchlibWriter
from searchlib.store.schema import (
    SCHEMA_VERSION,
    article_to_document,
    build_schema,
    document_to_article,
)
from searchlib.text import detect_language

if TYPE_CHECKING:
    from searchlib.store.parallel import WorkerChoice

__all__ = [
    "Store",
    "IndexStats",
    "DeleteReport",
    "OptimizeReport",
    "RebuildReport",
    "DEFAULT_BATCH_SIZE",
    "META_FILE",
]

DEFAULT_BATCH_SIZE = 1000
"""Articles per commit: bounds what a crash can lose and what a commit costs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexStats:
    """Counts and provenance of an index."""

    path: str
    articles: int
    by_lang: dict[str, int]
    by_source: dict[str, int]
    """Every source, most articles first ("unknown" for articles without one)."""
    undated: int
    by_year: dict[str, int]
    """Dated articles per year of publication (UTC), oldest year first."""
    chars_by_lang: dict[str, int] | None
    """Characters of title, lead and text per language (`stats(text_sizes=True)` only)."""
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
            "undated": self.undated,
            "by_year": self.by_year,
            "chars_by_lang": self.chars_by_lang,
            "first_published": _iso(self.first_published),
            "last_published": _iso(self.last_published),
            "size_bytes": self.size_bytes,
            "segments": self.segments,
            "analyzer": self.analyzer,
            "schema": self.schema,
            "build_id": self.build_id,
            "created": self.created,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteReport:
    """What one `Store.remove` call did: the ids deleted, and the ids/URLs that matched nothing."""

    deleted: tuple[str, ...] = ()
    not_found: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"deleted": list(self.deleted), "not_found": list(self.not_found)}


@dataclass(frozen=True, slots=True, kw_only=True)
class OptimizeReport:
    """Segments and bytes on disk before and after merging an index into one segment."""

    articles: int
    segments_before: int
    segments_after: int
    size_before: int
    size_after: int

    def to_json(self) -> dict[str, Any]:
        return {"articles": self.articles, "segments_before": self.segments_before,
                "segments_after": self.segments_after, "size_before": self.size_before,
                "size_after": self.size_after}


@dataclass(frozen=True, slots=True, kw_only=True)
class RebuildReport:
    """What one `Store.rebuild` did: the new build, what went into it, what it replaced."""

    path: str
    source: str
    """"stored" (re-indexed the index's own articles) or "inputs" (read from the given files)."""
    articles: int
    report: IndexReport
    build_id: str
    previous_build_id: str | None
    previous_articles: int | None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "source": self.source, "articles": self.articles,
                **self.report.to_json(), "build_id": self.build_id,
                "previous_build_id": self.previous_build_id,
                "previous_articles": self.previous_articles}


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value else None


def _check_versions(folder: Path, meta: dict[str, Any]) -> None:
    expected = f"{SCHEMA_VERSION} + {ANALYZER_VERSION}"
    found = f"{meta.get('schema')} + {meta.get('analyzer')}"
    if found != expected:
        raise IndexIncompatible(str(folder), found, expected)


def _new_meta(generation: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "analyzer": ANALYZER_VERSION,
        "build_id": uuid.uuid4().hex,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "generation": generation,
        **extra,
    }


_CREATE_WAIT = 30.0
"""Seconds `create` waits for the folder lock (another process creating the same index)."""


def _holds_documents(folder: Path) -> bool:
    """True when `folder` holds a Whoosh index with documents (ours or anybody's)."""
    if not whoosh_index.exists_in(str(folder)):
        return False
    try:
        return whoosh_index.open_dir(str(folder)).doc_count_all() > 0
    except Exception:  # unreadable: not ours to overwrite
        return True


def _folder_size(folder: Path) -> int:
    total = 0
    for entry in folder.iterdir():
        try:
            if entry.is_file():
                total += entry.stat().st_size
        except OSError:  # deleted by a concurrent commit
            continue
    return total


class Store:
    """A searchlib index on disk. Use `Store.create` / `Store.open`, not the constructor."""

    weighting: Any = None
    """The Whoosh weighting searchers use (None: Whoosh's BM25F); the query stage sets its own."""

    def __init__(self, path: Path, whoosh_ix: whoosh_index.Index, meta: dict[str, Any]) -> None:
        self.path = path
        self._ix = whoosh_ix
        self.meta = meta
        self._write_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._stamp = meta_stamp(path)
        self._follow_swaps = True
        self._held_lock: FolderLock | None = None
        self._kept: tuple[whoosh_index.Index, Any] | None = None
        self._keep_readers = False

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def exists(cls, path: str | os.PathLike[str]) -> bool:
        """True when `path` holds a searchlib index (of any version)."""
        return (Path(path) / META_FILE).is_file()

    @classmethod
    def create(cls, path: str | os.PathLike[str]):
        """Create an empty index at `path` (the folder may exist but must hold no index)."""
        folder = Path(path)
        if cls.exists(folder):
            raise IndexExists(str(folder))
        with _writes_to(folder):
            folder.mkdir(parents=True, exist_ok=True)
            lock = FolderLock(folder, purpose="create")
            lock.acquire(_CREATE_WAIT)
            try:
                # Under the lock: another process may have created it meanwhile. An empty
                # Whoosh index without a meta file is our own create, interrupted: it is
                # started again.
                if cls.exists(folder) or _holds_documents(folder):
                    raise IndexExists(str(folder))
                ix = create_generation(folder, MAIN_NAME, build_schema())
                meta = _new_meta(MAIN_NAME)
                write_meta(folder, meta)
            finally:
                lock.release()
        return cls(folder, ix, meta)

    @classmethod
    def open(cls, path: str | os.PathLike[str]):
        """Open an existing index; refuses one built by another schema or analyzer version."""
        folder = Path(path)
        if not cls.exists(folder):
            raise IndexNotFound(str(folder))
        for attempt in range(3):
            stamp = meta_stamp(folder)
            meta = read_meta(folder)
            _check_versions(folder, meta)
            try:
                ix = open_generation(folder, generation_name(meta))
            except IndexCorrupt:
                # A rebuild may have swapped generations between reading the meta and the TOC.
                if attempt == 2 or meta_stamp(folder) == stamp:
                    raise
                continue
            store = cls(folder, ix, meta)
            store._stamp = stamp
            return store
        raise AssertionError("unreachable")

    @classmethod
    def open_or_create(cls, path: str | os.PathLike[str]):
        if cls.exists(path):
            return cls.open(path)
        try:
            return cls.create(path)
        except IndexExists:  # another process created it first
            return cls.open(path)

    @classmethod
    def add_to(cls, path: str | os.PathLike[str], items: Iterable[Article | Failure],
               **options: Any) -> IndexReport:
        """`open_or_create(path).add(items, **options)`, except that a missing index is created
        only when the first article arrives: inputs that hold none leave no empty index."""
        if cls.exists(path):
            return cls.open(path).add(items, **options)
        stream = iter(items)
        failures: list[Article | Failure] = []
        for item in stream:
            failures.append(item)
            if isinstance(item, Article):
                return cls.open_or_create(path).add(chain(failures, stream), **options)
        return IndexReport(failures=tuple(f for f in failures if isinstance(f, Failure)))

    def release_mapped_pages(self) -> None:
        """Drop the pages this process has read of mapped segment files. They are the page
        cache's, read again from there when needed; while mapped they count in the process's
        resident memory, and indexing reads term tables and stored articles all over the index
        (duplicate lookups; issue 7: ~150 MB at 30k articles, growing with the index)."""
        release = getattr(self._whoosh().storage, "release_mapped_pages", None)
        if release is not None:
            release()

    # -- reading -------------------------------------------------------------------------------

    def _whoosh(self) -> whoosh_index.Index:
        """The Whoosh index of the live generation, following a swap made by `rebuild`."""
        if self._follow_swaps:
            stamp = meta_stamp(self.path)
            if stamp != self._stamp:
                self._follow(stamp)
        return self._ix

    def _follow(self, stamp: tuple[int, int, int] | None) -> None:
        with self._state_lock:
            if stamp == self._stamp:
                return
            meta = read_meta(self.path)
            _check_versions(self.path, meta)
            if generation_name(meta) != generation_name(self.meta):
                self._ix = open_generation(self.path, generation_name(meta))
            self.meta = meta
            self._stamp = stamp

    def keep_readers(self) -> None:
        """Reuse one Whoosh reader from search to search while the commit stays the same,
        instead of reading the table of contents and opening the segments every time.

        Only for a process that uses this index from one thread at a time (a server's library
        process): a Whoosh reader is not safe to share between threads.
        """
        self._keep_readers = True

    def _open_searcher(self) -> Searcher:
        if self._keep_readers:
            return self._on_live_generation(self._kept_searcher)
        if self.weighting is None:
            return self._on_live_generation(lambda ix: ix.searcher())
        return self._on_live_generation(lambda ix: ix.searcher(weighting=self.weighting))

    def _kept_searcher(self, ix: whoosh_index.Index) -> Searcher:
        """A searcher over the kept reader, opened again after any commit or swap."""
        kept = self._kept
        if kept is None or kept[0] is not ix or kept[1].generation() != ix.latest_generation():
            self._kept = None
            if kept is not None:
                kept[1].close()
            kept = self._kept = (ix, ix.reader())
        weighting = {} if self.weighting is None else {"weighting": self.weighting}
        return Searcher(kept[1], fromindex=ix, closereader=False, **weighting)

    def _on_live_generation(self, action: Callable[[whoosh_index.Index], Any]) -> Any:
        """`action(ix)` on the live Whoosh index, retried if a rebuild swaps it meanwhile."""
        for attempt in range(3):
            stamp = self._stamp
            ix = self._whoosh()
            try:
                return action(ix)
            except (OSError, whoosh_index.EmptyIndexError) as err:
                # The generation was deleted under us by a rebuild's swap: follow it and retry.
                if attempt < 2 and self._follow_swaps and meta_stamp(self.path) != stamp:
                    continue
                raise IndexCorrupt(str(self.path), f"{type(err).__name__}: {err}") from err
        raise AssertionError("unreachable")

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """A searcher over the latest commit (a fresh one each time, closed on exit).

        A searcher is a snapshot: it keeps reading the files it opened even if a commit, an
        optimize or a rebuild replaces them meanwhile.
        """
        searcher = self._open_searcher()
        try:
            yield searcher
        finally:
            searcher.close()

    def commit_stamp(self) -> tuple[str, int]:
        """Changes with every commit, delete, optimize and rebuild: (build id, commit
        generation). Cheap (one folder listing), so a server can key cached answers on it."""
        generation: int = self._on_live_generation(lambda ix: ix.latest_generation())
        return self.meta.get("build_id", ""), generation

    @property
    def schema(self):
        return self._whoosh().schema

    def __len__(self) -> int:
        count: int = self._on_live_generation(lambda ix: ix.doc_count())
        return count

    def get(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        with self.searcher() as searcher:
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return None
            open_stored(searcher, (docnum,))
            stored = searcher.stored_fields(docnum)
        return document_to_article(stored)

    def find_by_url(self, url: str) -> Article | None:
        """The article whose URL or canonical URL is `url`, or None."""
        with self.searcher() as searcher:
            stored = searcher.document(canonical_url=url) or searcher.document(url=url)
        return document_to_article(stored) if stored else None

    def articles(self) -> Iterator[Article]:
        """Every article in the index, in index order (one snapshot for the whole iteration)."""
        with self.searcher() as searcher:
            for stored in searcher.all_stored_fields():
                yield document_to_article(stored)

    def stats(self, *, text_sizes: bool = False) -> IndexStats:
        """Counts by language, source and year, undated articles, date range, size on disk and
        provenance, from columns only. `text_sizes` also sums the characters of title, lead and
        text per language, which reads every stored article (~0.2 ms each)."""
        by_lang: Counter[str] = Counter()
        by_source: Counter[str] = Counter()
        by_year: Counter[int] = Counter()
        chars: Counter[str] = Counter()
        years: dict[int, int] = {}
        dates: list[int] = []
        undated = 0
        with self.searcher() as searcher:
            # Columns, not stored fields: the article texts are never loaded.
            reader = searcher.reader()
            langs = Column(reader, "lang", default="")
            sources = Column(reader, "source", default="")
            published = Column(reader, "published", default=MISSING_DATE, raw=True)
            for docnum in reader.all_doc_ids():
                lang = langs[docnum] or "unknown"
                by_lang[lang] += 1
                by_source[sources[docnum] or "unknown"] += 1
                raw = published[docnum]
                if raw == MISSING_DATE:
                    undated += 1
                    continue
                dates.append(raw)
                day = raw // 86_400_000_000  # whoosh datetime longs count microseconds
                if day not in years:
                    years[day] = long_to_datetime(raw).year
                by_year[years[day]] += 1
            if text_sizes:
                for docnum in reader.all_doc_ids():
                    stored = reader.stored_fields(docnum)
                    chars[stored.get("lang") or "unknown"] += sum(
                        len(stored.get(name) or "") for name in ("title", "lead", "text"))
            articles = searcher.doc_count()
            segments = _segment_count(searcher)
        return IndexStats(
            path=str(self.path),
            articles=articles,
            by_lang=dict(by_lang.most_common()),
            by_source=dict(by_source.most_common()),
            undated=undated,
            by_year={str(year): by_year[year] for year in sorted(by_year)},
            chars_by_lang={lang: chars[lang] for lang in by_lang} if text_sizes else None,
            first_published=long_to_datetime(min(dates)) if dates else None,
            last_published=long_to_datetime(max(dates)) if dates else None,
            size_bytes=_folder_size(self.path),
            segments=segments,
            analyzer=self.meta["analyzer"],
            schema=self.meta["schema"],
            build_id=self.meta["build_id"],
            created=self.meta["created"],
        )

    def lock_holder(self) -> LockHolder | None:
        """The process writing to this index now, or None (a dead holder's record is ignored)."""
        from searchlib.store.lock import read_holder

        holder = read_holder(self.path)
        return None if holder is None or holder.is_dead() else holder

    @classmethod
    def check(cls, path: str | os.PathLike[str]):
        """Verify an index without changing it: returns a `CheckReport` of counts and problems.

        Works on indexes that `open` refuses (damaged, other versions), to say what is wrong.
        """
        from searchlib.store.check import check_index

        return check_index(Path(path))

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def _writing(
        self,
        *,
        wait: float = 0.0,
        purpose: str = "write",
        on_commit: Callable[[int], None] | None = None,
    ) -> Iterator[_Batches]:
        """Exclusive write access: queued across this store's threads, locked across processes.

        A write that fails (disk full, no permission, read-only) raises `IndexWriteError`: the
        batch in progress is discarded, earlier commits stay.
        """
        with self._write_lock:
            lock = self._held_lock
            if lock is None:
                lock = FolderLock(self.path, purpose=purpose)
                with _writes_to(self.path):
                    lock.acquire(wait)
            try:
                if lock is not self._held_lock:
                    # Nobody else writes now: files a crashed writer or rebuild left are garbage.
                    self._whoosh()
                    with _writes_to(self.path):
                        remove_leftovers(self.path, generation_name(self.meta))
                        remove_unlisted(self.path, generation_name(self.meta))
                batches = _Batches(self, wait, on_commit)
                try:
                    yield batches
                except Exception:
                    if batches.failed:  # the writer failed: its batch cannot be committed
                        batches.cancel()
                    else:  # keep what was written before the failure: nothing indexed is lost
                        batches.commit()
                    raise
                except BaseException:
                    batches.cancel()
                    raise
                batches.commit()
            finally:
                if lock is not self._held_lock:
                    lock.release()

    def _open_writer(self, wait: float) -> IndexWriter:
        from searchlib.store.parallel import wrap_writer

        try:
            writer = SearchlibWriter(self._ix, timeout=wait, limitmb=256)
        except whoosh_index.LockError as err:
            raise IndexLocked(str(self.path), "a Whoosh writer outside searchlib", None) from err
        # Big batches are analysed and written by worker processes (issue 7: indexing speed).
        return wrap_writer(self, writer, lambda: SearchlibWriter(self._ix, timeout=60.0,
                                                                 limitmb=256))

    def add(
        self,
        items: Iterable[Article | Failure],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        wait: float = 0.0,
        progress: Callable[[int], None] | None = None,
        on_commit: Callable[[int], None] | None = None,
    ) -> IndexReport:
        """Index articles; replace the article with the same id or canonical URL; skip unchanged.

        An article replaces the stored one with the same id, and also a stored one with another id
        and the same canonical URL (of several articles with one canonical URL, the index keeps
        the one indexed last). Articles whose content hash is unchanged are skipped, as is an
        article stored unchanged under another id with the same canonical URL. `items` may carry
        `Failure`s from ingest: they are counted in the report. An article with a lone surrogate
        in any field becomes such a `Failure` (it could be indexed, but never read back out).

        Commits every `batch_size` articles, so an interruption keeps all earlier batches; an
        exception from `items` commits what was written before it. `progress(n)` is called with
        the number of items handled since the last call; `on_commit(n)` after each commit with
        the number of articles written by this call so far. Waits up to `wait` seconds for
        another writer, else raises `IndexLocked`.
        """
        indexed = updated = unchanged = 0
        failures: list[Failure] = []
        with self._writing(wait=wait, purpose="add", on_commit=on_commit) as batches:
            known, keys = self._stored_keys()
            owners = {key: article_id for article_id, key in keys.items()}
            duplicates = DuplicateFinder(self, batch_size=batch_size)
            for number, given in enumerate(items, 1):
                item = _admitted(given, number)
                if isinstance(item, Failure):
                    failures.append(item)
                else:
                    content_hash = item.content_hash()
                    previous = known.get(item.id)
                    key = item.canonical_url
                    replaced = owners.get(key) if key else None
                    if replaced == item.id:
                        replaced = None
                    if previous == content_hash or (
                            previous is None and replaced is not None
                            and replace(item, id=replaced).content_hash() == known[replaced]):
                        # Unchanged, or already stored, unchanged, under another id.
                        unchanged += 1
                    else:
                        document = article_to_document(item, content_hash)
                        document.update(duplicates.fields(item))
                        batches.write(document, exists=previous is not None, replaces=replaced)
                        if previous is None and replaced is None:
                            indexed += 1
                        else:
                            updated += 1
                        if replaced is not None:
                            known.pop(replaced, None)
                            keys.pop(replaced, None)
                        old_key = keys.get(item.id)
                        if old_key and owners.get(old_key) == item.id:
                            del owners[old_key]
                        known[item.id] = content_hash
                        if key:
                            keys[item.id] = key
                            owners[key] = item.id
                        batches.count(batch_size)
                if progress:
                    progress(1)
            duplicates.close()
        choice = batches.choice
        return IndexReport(indexed=indexed, updated=updated, unchanged=unchanged,
                           failures=tuple(failures), workers=choice.workers if choice else 1,
                           indexed_by=choice.describe() if choice else "")

    def _stored_keys(self) -> tuple[dict[str, str], dict[str, str]]:
        """id -> content hash and id -> canonical URL of every live article.

        Read from columns and postings, never from stored text, so it stays cheap on big indexes.
        """
        with self.searcher() as searcher:
            reader = searcher.reader()
            if not reader.doc_count():
                return {}, {}
            ids = reader.column_reader("id")
            hashes = reader.column_reader("content_hash")
            known = {ids[n]: hashes[n] for n in reader.all_doc_ids()}
            keys: dict[str, str] = {}
            for term in reader.lexicon("canonical_url"):
                url = term.decode("utf-8") if isinstance(term, bytes) else term
                for docnum in reader.postings("canonical_url", term).all_ids():
                    keys[ids[docnum]] = url
        return known, keys

    def delete(
        self, article_ids: Iterable[str] = (), *, urls: Iterable[str] = (), wait: float = 0.0,
    ) -> int:
        """Delete articles by id and by URL (canonical or not); returns how many were deleted."""
        return len(self.remove(article_ids, urls=urls, wait=wait).deleted)

    def remove(
        self, article_ids: Iterable[str] = (), *, urls: Iterable[str] = (), wait: float = 0.0,
    ) -> DeleteReport:
        """Delete articles by id and by URL; reports the ids deleted and what matched nothing."""
        wanted_ids, wanted_urls = list(dict.fromkeys(article_ids)), list(dict.fromkeys(urls))
        deleted: dict[str, None] = {}
        not_found: list[str] = []
        with self._writing(wait=wait, purpose="delete") as batches:
            with self.searcher() as searcher:
                reader = searcher.reader()
                ids = reader.column_reader("id") if reader.doc_count() else None
                for article_id in wanted_ids:
                    if searcher.document_number(id=article_id) is None:
                        not_found.append(article_id)
                    else:
                        deleted[article_id] = None
                for url in wanted_urls:
                    docnums = {*searcher.document_numbers(canonical_url=url),
                               *searcher.document_numbers(url=url)}
                    if not docnums or ids is None:
                        not_found.append(url)
                        continue
                    deleted.update((ids[n], None) for n in sorted(docnums))
            for article_id in deleted:
                batches.writer.delete_by_term("id", article_id)
        return DeleteReport(deleted=tuple(deleted), not_found=tuple(not_found))

    def optimize(self, *, wait: float = 0.0) -> OptimizeReport:
        """Merge all segments into one (faster searches, slower to run) and drop leftovers."""
        with self.searcher() as searcher:
            segments_before = _segment_count(searcher)
            reader = searcher.reader()
            merged = segments_before <= 1 and reader.doc_count() == reader.doc_count_all()
        size_before = _folder_size(self.path)
        if not merged:
            with self._writing(wait=wait, purpose="optimize") as batches:
                batches.merge_all()
        with self.searcher() as searcher:
            articles, segments_after = searcher.doc_count(), _segment_count(searcher)
        return OptimizeReport(articles=articles, segments_before=segments_before,
                              segments_after=segments_after, size_before=size_before,
                              size_after=_folder_size(self.path))

    @classmethod
    def rebuild(
        cls,
        path: str | os.PathLike[str],
        items: Iterable[Article | Failure] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        wait: float = 0.0,
        progress: Callable[[int], None] | None = None,
        on_commit: Callable[[int], None] | None = None,
        allow_shrink: bool = False,
    ) -> RebuildReport:
        """Build the index anew beside the live one, then swap it in atomically.

        With `items`, the new index holds exactly those articles (articles of the old one that
        are not among them are gone). Without, it re-indexes the index's own stored articles with
        this searchlib's schema and analyzers: the fix for `IndexIncompatible`. Searches keep
        using the old index until the swap, then the new one; writers wait (`IndexLocked`) for
        the whole rebuild. If the rebuild fails or is killed, the old index stays as it was.
        A folder without an index gets a new one (`items` required).

        Raises `RebuildRefused` (old index untouched) when `items` yield no article at all, or
        when the new index would hold fewer articles than the old one and `allow_shrink` is
        False: a mistyped or empty input path must not empty an archive.
        """
        folder = Path(path)
        if not cls.exists(folder):
            if items is None:
                raise IndexNotFound(str(folder))
            cls.create(folder)
        lock = FolderLock(folder, purpose="rebuild")
        with _writes_to(folder):
            lock.acquire(wait)
        try:
            try:
                old_meta = read_meta(folder)
            except IndexCorrupt:
                if items is None:
                    raise
                old_meta = {}
            old_name = generation_name(old_meta)
            with _writes_to(folder):
                remove_leftovers(folder, old_name)
                remove_unlisted(folder, old_name)
            name = new_generation_name()
            meta = _new_meta(name, rebuilt_from=old_meta.get("build_id"))
            old_store = None
            try:
                # Open the old generation with this version's schema: stored fields do not depend
                # on analyzers, and the old pickled analyzers may no longer load.
                legacy = old_meta.get("schema") != SCHEMA_VERSION  # files without checksums
                old_store = cls(folder, open_generation(folder, old_name, schema=build_schema(),
                                                        legacy=legacy), old_meta)
                old_store._follow_swaps = False
                previous_articles: int | None = len(old_store)
            except IndexCorrupt:
                if items is None:
                    raise
                previous_articles = None
            with _writes_to(folder):
                new_store = cls(folder, create_generation(folder, name, build_schema()), meta)
            new_store._follow_swaps = False
            new_store._held_lock = lock
            try:
                source = items if items is not None else old_store.articles()  # type: ignore[union-attr]
                report = new_store.add(source, batch_size=batch_size, progress=progress,
                                       on_commit=on_commit)
                new_store.optimize()
                articles = len(new_store)
                _refuse_losses(folder, report, articles, previous_articles,
                               from_inputs=items is not None, allow_shrink=allow_shrink)
                with _writes_to(folder):
                    write_meta(folder, meta)
            except IndexWriteError as err:
                remove_generation(folder, name)
                raise err.after(rebuild=True) from err
            except BaseException:
                remove_generation(folder, name)
                raise
            remove_generation(folder, old_name)
        finally:
            lock.release()
        return RebuildReport(
            path=str(folder), source="stored" if items is None else "inputs", articles=articles,
            report=report, build_id=meta["build_id"],
            previous_build_id=old_meta.get("build_id"), previous_articles=previous_articles,
        )


def _refuse_losses(folder: Path, report: IndexReport, articles: int, previous: int | None, *,
                   from_inputs: bool, allow_shrink: bool) -> None:
    """Raise `RebuildRefused` for a rebuild that read nothing, or shrinks without permission."""
    failed = (f"; {len(report.failed)} input(s) failed, first {report.failed[0]}"
              if report.failed else "")
    if from_inputs and not (report.indexed or report.updated or report.unchanged):
        raise RebuildRefused(str(folder), f"no article could be read from the inputs{failed}")
    if previous is not None and articles < previous and not allow_shrink:
        raise RebuildRefused(
            str(folder), f"the new index would hold {articles} articles, {previous - articles} "
            f"fewer than the {previous} it holds now{failed}; check the paths, or allow it "
            "with --allow-shrink (allow_shrink=True)")


def _admitted(item: object, number: int) -> Article | Failure:
    """`item` ready to index, as `read_articles` would yield it: the language detected when
    missing, a `Failure` for a record it would refuse (no text, unknown language).

    Raises `InputError` for an item that is neither an `Article` nor a `Failure`.
    """
    if isinstance(item, Failure):
        return item
    if not isinstance(item, Article):
        raise InputError(f"item {number}", f"expected an Article (or a Failure), got "
                         f"{type(item).__name__}; build one with Article(...) or, for a "
                         "JSON record, Article.from_json(record)")
    where = item.path or f"item {number}"
    if not isinstance(item.id, str) or not item.id.strip():
        return Failure(source=where, reason='missing or empty "id"')
    if not isinstance(item.text, str) or not item.text.strip():
        return Failure(source=where, reason='missing or empty "text" (each record needs the '
                       "article text)")
    if not isinstance(item.title, str):
        return Failure(source=where, reason=f'"title" must be a string, got '
                       f"{type(item.title).__name__}")
    for name, value in (("published", item.published), ("modified", item.modified)):
        if isinstance(value, datetime) and not DATE_YEARS[0] <= value.year <= DATE_YEARS[1]:
            return Failure(source=where, reason=f'"{name}" {value.isoformat()} is outside the '
                           f"years {DATE_YEARS[0]}-{DATE_YEARS[1]}")
    bad = item.surrogate_field()
    if bad is not None:
        return Failure(source=where if find_surrogate(where) is None else ascii(where), reason=(
            f'"{bad}" of article {ascii(item.id)} holds a lone surrogate (not valid Unicode); '
            "it could be indexed but never read back, so it is not"))
    if item.lang is None or item.lang == "":
        return replace(item, lang=detect_language(f"{item.title}\n{item.text}"))
    if not isinstance(item.lang, Lang):
        try:
            return replace(item, lang=Lang(str(item.lang).lower()))
        except ValueError:
            return Failure(source=where, reason=f'unsupported "lang" {item.lang!r}; '
                           "expected one of uk, ru, en")
    return item


def _segment_count(searcher: Searcher) -> int:
    reader = searcher.reader()
    return len(reader.leaf_readers()) if reader.doc_count_all() else 0


def _writer_choice(writer: IndexWriter, previous: WorkerChoice | None) -> WorkerChoice:
    """How `writer` writes its batch; a batch too small to decide keeps `previous`."""
    from searchlib.store.parallel import choose_workers, writer_choice  # loaded with the writer

    return writer_choice(writer) or previous or choose_workers(0)


def _writes_in_workers(writer: IndexWriter) -> bool:
    from searchlib.store.parallel import ParallelWriter  # loaded with the writer

    return isinstance(writer, ParallelWriter)


class _Batches:
    """The writer of one write operation, committed and replaced every `batch_size` documents.

    The Whoosh writer is opened on first use, so an `add` that changes nothing commits nothing.
    """

    def __init__(self, store: Store, wait: float, on_commit: Callable[[int], None] | None) -> None:
        self._store = store
        self._wait = wait
        self._on_commit = on_commit
        self._writer: IndexWriter | None = None
        self.optimize = False
        self._pending: set[str] = set()
        self._written = 0
        self._committed = 0
        """Documents written (`_written`) at the last commit."""
        self.failed = False
        """The writer failed (a write error, a worker's failure): the batch is discarded."""
        self._merge_may_run = False  # the last commit left the workers' merge running on
        self.choice: WorkerChoice | None = None
        """How the batches were written: the last decision a batch made (`choose_workers`)."""

    @property
    def writer(self) -> IndexWriter:
        if self._writer is None:
            with self._writes():
                self._writer = self._store._open_writer(self._wait)
        return self._writer

    @contextmanager
    def _writes(self) -> Iterator[None]:
        """Failures to write the index as `IndexWriteError`, saying what was committed; any
        failure of the writer marks the batch `failed`."""
        committed = self._committed if self._written else None
        try:
            yield
        except OSError as err:
            self.failed = True
            raise IndexWriteError.from_os_error(str(self._store.path), err,
                                                committed=committed) from err
        except IndexWriteError as err:
            self.failed = True
            raise err.after(committed=committed) from err
        except BaseException:
            self.failed = True
            raise

    def write(self, document: dict[str, Any], *, exists: bool, replaces: str | None) -> None:
        """Add or update `document`, deleting the article `replaces` (another id) if given."""
        # A Whoosh writer cannot delete a document it has not committed yet: commit first.
        if document["id"] in self._pending or replaces in self._pending:
            self.commit(more=True)
        writer = self.writer
        self._written += 1
        with self._writes():
            if replaces is not None:
                writer.delete_by_term("id", replaces)
            if exists or document["id"] in self._pending:
                writer.update_document(**document)
            else:
                writer.add_document(**document)
        self._pending.add(document["id"])

    def merge_all(self) -> None:
        """Make the commit merge every segment (and drop deleted documents)."""
        self.optimize = True
        self._writer = self.writer

    def count(self, batch_size: int) -> None:
        if len(self._pending) >= batch_size:
            self.commit(more=True)

    def commit(self, *, more: bool = False) -> None:
        """Commit the batch; `more` says that more batches follow, so a merge of older segments
        by the indexing workers may run on while they write the next one. The last commit
        waits for that merge and adds its segment, even when it has no documents of its own."""
        if self._writer is None and (more or not self._merge_may_run):
            return
        writer, self._writer = self.writer, None
        self.choice = _writer_choice(writer, self.choice)
        mergetype = OPTIMIZE if self.optimize else MERGE_SMALL
        background = more and _writes_in_workers(writer)
        self._merge_may_run = False  # a failed commit forgets its merge (ParallelWriter.commit)
        try:
            with self._writes():
                if background:
                    writer.commit(mergetype=mergetype, background_merge=True)
                else:
                    writer.commit(mergetype=mergetype)
        except BaseException:
            _discard(self._store.path, writer)
            raise
        self._committed = self._written
        self._merge_may_run = background
        self._store.release_mapped_pages()
        self._pending.clear()
        if self._on_commit:
            self._on_commit(self._written)

    def cancel(self) -> None:
        """Discard the batch in progress, and its files (the disk may be full)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            _discard(self._store.path, writer)


def _discard(folder: Path, writer: IndexWriter) -> None:
    """Cancel `writer` whatever state a failure left it in, and delete its segment files."""
    from searchlib.store.parallel import discard_writer

    discard_writer(writer)
    try:
        remove_unlisted(folder, writer.indexname)
    except OSError:  # a read-only folder: nothing was written there either
        pass


@contextmanager
def _writes_to(folder: Path) -> Iterator[None]:
    """OS errors of writes outside a batch (the lock, leftovers) as `IndexWriteError`."""
    try:
        yield
    except OSError as err:
        raise IndexWriteError.from_os_error(str(folder), err) from err
