"""`check`: verify an index folder without changing it, and report counts and problems.

Index stage. Checks, in order: the meta file reads and names this searchlib's schema and analyzer
versions; the live generation's table of contents matches its checksum and reads (with its
pickled schema too, which is what `open` needs); every block of every segment file matches its
checksum (`files.damaged_blocks`: any changed byte is found); every segment opens; every
stored document decodes into an `Article` with a non-empty id; each live id is found by a term
lookup and appears once; per-segment counts add up to the table of contents' count; a searcher
opens and matches every live document. Files left by a crashed writer or rebuild, and a dead
writer's lock record, are notes, not problems: the next writer removes them.

Runs on a snapshot: a commit made meanwhile does not make the check fail (it restarts when the
table of contents changed under it). Not here: repairing (`rebuild` does that).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import query as whoosh_query
from whoosh.index import TOC
from whoosh.reading import SegmentReader

from searchlib.analysis import ANALYZER_VERSION
from searchlib.errors import IndexCorrupt, IndexNotFound, StoreError
from searchlib.store.files import (
    DurableStorage,
    damaged_blocks,
    generation_name,
    leftover_files,
    read_meta,
)
from searchlib.store.lock import read_holder
from searchlib.store.schema import SCHEMA_VERSION, build_schema, document_to_article

__all__ = ["CheckReport", "check_index"]

_MAX_LISTED = 20
"""Problems of one kind listed one by one before the rest are summarised as a count."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    """The outcome of `Store.check`: counts, problems (index damaged) and notes (harmless)."""

    path: str
    articles: int
    documents: int
    """Documents in the segments, deleted ones included (`optimize` drops those)."""
    segments: int
    generation: str | None
    build_id: str | None
    schema: str | None
    analyzer: str | None
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "articles": self.articles,
                "documents": self.documents, "segments": self.segments,
                "generation": self.generation, "build_id": self.build_id,
                "schema": self.schema, "analyzer": self.analyzer,
                "problems": list(self.problems), "notes": list(self.notes)}


class _Changed(Exception):
    """The table of contents changed during the check (a concurrent commit): start again."""


def check_index(folder: Path, *, attempts: int = 3) -> CheckReport:
    """Verify the index in `folder`; raises `IndexNotFound` when there is none."""
    if not folder.is_dir():
        raise IndexNotFound(str(folder))
    for attempt in range(attempts):
        try:
            return _check(folder)
        except _Changed:
            if attempt == attempts - 1:
                raise IndexCorrupt(str(folder), "kept changing during the check; "
                                   "run it again when writers are done") from None
    raise AssertionError("unreachable")


def _check(folder: Path) -> CheckReport:
    problems: list[str] = []
    notes: list[str] = []
    try:
        meta: dict[str, Any] = read_meta(folder)
    except IndexNotFound:
        raise
    except StoreError as err:
        problems.append(str(getattr(err, "reason", err)))
        meta = {}
    expected = (SCHEMA_VERSION, ANALYZER_VERSION)
    found = (meta.get("schema"), meta.get("analyzer"))
    legacy = bool(meta) and found != expected
    if legacy:
        problems.append(f"built with {found[0]} + {found[1]}, this searchlib needs "
                        f"{expected[0]} + {expected[1]}: run `searchlib rebuild --index {folder}`")
    name = generation_name(meta)
    storage = DurableStorage(folder, readonly=True, legacy=legacy)
    counts = _check_generation(folder, storage, name, problems)
    _note_leftovers(folder, name, notes)
    return CheckReport(
        path=str(folder), articles=counts[0], documents=counts[1], segments=counts[2],
        generation=name, build_id=meta.get("build_id"), schema=meta.get("schema"),
        analyzer=meta.get("analyzer"), problems=tuple(problems), notes=tuple(notes),
    )


def _check_generation(folder: Path, storage: DurableStorage, name: str,
                      problems: list[str]) -> tuple[int, int, int]:
    generation = TOC._latest_generation(storage, name)
    if generation < 0:
        problems.append(f"no Whoosh table of contents for generation {name}")
        return 0, 0, 0
    schema = build_schema()
    try:
        toc = TOC.read(storage, name, generation, schema=schema)
    except IndexCorrupt as err:  # it does not match its checksum
        _raise_if_changed(storage, name, generation)
        problems.append(err.reason)
        return 0, 0, 0
    except Exception as err:  # Whoosh raises bare struct/pickle/IO errors on damaged files
        _raise_if_changed(storage, name, generation)
        problems.append(f"table of contents _{name}_{generation}.toc unreadable: "
                        f"{type(err).__name__}: {err}")
        return 0, 0, 0
    try:
        TOC.read(storage, name, generation)
    except Exception as err:
        problems.append(f"schema pickled in _{name}_{generation}.toc does not load "
                        f"({type(err).__name__}: {err}): run `searchlib rebuild`")

    articles = documents = 0
    seen: Counter[str] = Counter()
    readers = []
    for segment in toc.segments:
        label = f"segment {segment.segment_id()}"
        if not storage.legacy and not _blocks_intact(folder, segment, label, problems):
            _raise_if_changed(storage, name, generation)
            continue
        try:
            reader = SegmentReader(storage, schema, segment, generation=generation)
        except Exception as err:
            _raise_if_changed(storage, name, generation)
            reason = err.reason if isinstance(err, IndexCorrupt) else f"{type(err).__name__}: {err}"
            problems.append(f"{label} does not open: {reason}")
            continue
        readers.append(reader)
        documents += reader.doc_count_all()
        live = _check_segment(reader, label, seen, problems)
        if live != segment.doc_count():
            problems.append(f"{label}: {live} readable live documents, table of contents "
                            f"says {segment.doc_count()}")
        articles += live
    duplicates = [article_id for article_id, count in seen.items() if count > 1]
    _list(problems, "id held by more than one live document", duplicates)
    if readers and not any(p.startswith("segment") for p in problems):
        _check_search(folder, storage, name, articles, problems)
    for reader in readers:
        reader.close()
    return articles, documents, len(toc.segments)


def _blocks_intact(folder: Path, segment: Any, label: str, problems: list[str]) -> bool:
    """Whether every block of the segment's file matches its checksum (a missing file is left
    for opening the segment to report)."""
    checksum = getattr(segment, "checksum", None)
    if checksum is None:
        problems.append(f"{label} has no checksums (written by a program other than "
                        f"searchlib): run `searchlib rebuild --index {folder}`")
        return False
    path = folder / segment.make_filename(segment.COMPOUND_EXT)
    try:
        damaged = damaged_blocks(path, checksum)
    except FileNotFoundError:
        return True
    if damaged is None:
        problems.append(f"{label}: file {path.name} is truncated or its checksums are damaged")
        return False
    if damaged:
        ranges = ", ".join(f"{start}-{end - 1}" for start, end in damaged[:_MAX_LISTED])
        more = f" and {len(damaged) - _MAX_LISTED} more" if len(damaged) > _MAX_LISTED else ""
        problems.append(f"{label}: file {path.name} is damaged: bytes {ranges}{more} do not "
                        "match their checksums")
        return False
    return True


def _check_segment(reader: SegmentReader, label: str, seen: Counter[str],
                   problems: list[str]) -> int:
    """Decode every live stored document and look each id up; returns the live count."""
    undecodable: list[str] = []
    unfindable: list[str] = []
    live = 0
    for docnum in range(reader.doc_count_all()):
        if reader.is_deleted(docnum):
            continue
        try:
            article = document_to_article(reader.stored_fields(docnum))
        except Exception as err:
            undecodable.append(f"document {docnum} ({type(err).__name__}: {err})")
            continue
        live += 1
        if not article.id:
            undecodable.append(f"document {docnum} (empty id)")
            continue
        seen[article.id] += 1
        try:
            found = docnum in set(reader.postings("id", article.id).all_ids())
        except Exception:
            found = False
        if not found:
            unfindable.append(article.id)
    _list(problems, f"{label}: stored document does not decode", undecodable)
    _list(problems, f"{label}: id not found in the term index", unfindable)
    return live


def _check_search(folder: Path, storage: DurableStorage, name: str, articles: int,
                  problems: list[str]) -> None:
    try:
        ix = storage.open_index(name, schema=build_schema())
        with ix.searcher() as searcher:
            matched = len(searcher.search(whoosh_query.Every(), limit=None))
    except Exception as err:
        problems.append(f"a searcher does not open: {type(err).__name__}: {err}")
        return
    if matched != articles:
        problems.append(f"a search for every document finds {matched}, expected {articles}")


def _raise_if_changed(storage: DurableStorage, name: str, generation: int) -> None:
    if TOC._latest_generation(storage, name) != generation:
        raise _Changed


def _note_leftovers(folder: Path, name: str, notes: list[str]) -> None:
    holder = read_holder(folder)
    if holder is not None:
        if holder.is_dead():
            notes.append(f"stale lock record: {holder.describe()}, started "
                         f"{holder.since.isoformat()}, is no longer running; "
                         "the next writer clears it")
        else:
            notes.append(f"a writer is running: {holder.describe()} since "
                         f"{holder.since.isoformat()}")
    leftovers = [entry.name for entry in leftover_files(folder, name)]
    if leftovers and (holder is None or holder.is_dead()):
        shown = ", ".join(leftovers[:5]) + (" ..." if len(leftovers) > 5 else "")
        notes.append(f"{len(leftovers)} file(s) left by an interrupted writer or rebuild "
                     f"({shown}); the next writer removes them")


def _list(problems: list[str], what: str, items: list[str]) -> None:
    for item in items[:_MAX_LISTED]:
        problems.append(f"{what}: {item}")
    if len(items) > _MAX_LISTED:
        problems.append(f"{what}: {len(items) - _MAX_LISTED} more")
