"""SearchlibCodec writes exactly what Whoosh's W3Codec writes, as W3 reads it back."""

from __future__ import annotations

import pickle
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import HashWriter, OrderedHashReader, OrderedHashWriter
from whoosh.qparser import QueryParser
from whoosh.util.numlists import GrowableArray

from searchlib.ingest import find_inputs, read_articles
from searchlib.model import Article
from searchlib.store import merging
from searchlib.store.codec import (
    BLOCK_POSTINGS,
    COMPRESSION_LEVEL,
    SearchlibCodec,
    StoredPostings,
    TermsReader,
    _TermTable,
    compress_block,
    field_documents,
)
from searchlib.store.files import DurableStorage
from searchlib.store.schema import article_to_document, build_schema

COPIES = 25
"""Copies of each sample article: enough for terms with more than one 128-posting block."""


@pytest.fixture(scope="module")
def documents(samples_dir: Path) -> list[dict[str, Any]]:
    articles = [a for a in read_articles(find_inputs([samples_dir])) if isinstance(a, Article)]
    # Each copy's title gets a number of its own: terms found in one document only.
    copies = [replace(article, id=f"{article.id}-{n}", title=f"{article.title} {n}{i:03}")
              for n in range(COPIES) for i, article in enumerate(articles)]
    return [article_to_document(article, article.content_hash()) for article in copies]


def _build(path: Path, codec: Any, documents: list[dict[str, Any]]) -> Any:
    """Two commits (two segments), then a merge of both: every write path of the codec."""
    path.mkdir()
    ix = whoosh_index.create_in(str(path), build_schema())
    half = len(documents) // 2
    for batch in (documents[:half], documents[half:]):
        writer = ix.writer(codec=codec)
        for document in batch:
            writer.add_document(**document)
        writer.commit()
    return ix


def _postings(reader: Any) -> dict[tuple[str, bytes], tuple[Any, ...]]:
    """Every term's statistics and postings (an empty value reads as None or "")."""
    terms = {}
    for fieldname, text in reader.all_terms():
        info = reader.term_info(fieldname, text)
        matcher = reader.postings(fieldname, text)
        postings = []
        while matcher.is_active():
            postings.append((matcher.id(), matcher.weight(), matcher.value() or None))
            matcher.next()
        terms[fieldname, text] = (
            info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
            info.max_weight(), info.min_id(), info.max_id(), tuple(postings))
    return terms


def _per_document(reader: Any) -> tuple[Any, ...]:
    """Every document's stored fields, field lengths and column values, and each field's
    total length."""
    names = sorted(reader.schema.names())
    sortable = [name for name in names if reader.schema[name].column_type]
    columns = {name: list(reader.column_reader(name)) for name in sortable}
    return (list(reader.iter_docs()),
            [[reader.doc_field_length(docnum, name) for name in names]
             for docnum in range(reader.doc_count_all())],
            columns, [reader.field_length(name) for name in names])


def _folder(base: Path, name: str) -> Path:
    (base / name).mkdir()
    return base / name


def _segments(storage: Any, batches: list[tuple[Any, list[dict[str, Any]]]],
              deleted: list[dict[str, Any]]) -> Any:
    """An index of one segment per batch, written with the batch's codec, then `deleted`
    deleted (no merge)."""
    ix = storage.create_index(build_schema())
    for codec, batch in batches:
        writer = ix.writer(codec=codec)
        for document in batch:
            writer.add_document(**document)
        writer.commit()
    writer = ix.writer()
    for document in deleted:
        writer.delete_by_term("id", document["id"])
    writer.commit(merge=False)
    return ix


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory,
            documents: list[dict[str, Any]]) -> tuple[Any, Any]:
    base = tmp_path_factory.mktemp("codec")
    return _build(base / "w3", W3Codec(), documents), _build(base / "ours", SearchlibCodec(),
                                                              documents)


def test_segments_hold_the_same_terms_stats_and_postings(indexes: tuple[Any, Any]) -> None:
    w3, ours = indexes
    with w3.reader() as expected, ours.reader() as actual:
        assert len(actual.leaf_readers()) == 2
        assert _postings(actual) == _postings(expected)


def test_term_table_directory_is_read_as_whoosh_reads_it(indexes: tuple[Any, Any]) -> None:
    _, ours = indexes
    with ours.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            terms = leaf._terms
            assert type(terms) is TermsReader
            table = terms._tindex
            whoosh_table = OrderedHashReader(table.dbfile, table.dbfile._buf.nbytes)
            assert table.tables == whoosh_table.tables
            assert (table.hashtype, table.startofdata, table.endofdata, table.extras) == (
                whoosh_table.hashtype, whoosh_table.startofdata, whoosh_table.endofdata,
                whoosh_table.extras)
            assert list(table.keys()) == list(whoosh_table.keys())
            assert list(table.items()) == list(whoosh_table.items())


@pytest.mark.parametrize("entries", [0, 1, 300, 5000])
def test_term_table_writes_the_bytes_whoosh_writes(tmp_path: Path, entries: int) -> None:
    """Ours packs each hash table at once and counts positions itself; 5,000 entries pass
    2**16 bytes, where Whoosh's position index changes type."""
    storage = FileStorage(str(tmp_path))
    whoosh_table = OrderedHashWriter.__new__(OrderedHashWriter)
    HashWriter.__init__(whoosh_table, storage.create_file("whoosh"), hashtype=1)  # CRC32
    whoosh_table.index, whoosh_table.lastkey = GrowableArray("H"), b""
    ours = _TermTable(storage.create_file("ours"))
    for table in (whoosh_table, ours):
        table.extras["fieldmap"] = {"text": 0}
        for n in range(entries):
            table.add(b"\x00\x00term%06d" % n, b"info" * (n % 7))
        table.close()
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "whoosh").read_bytes()


def test_term_lookups_agree_with_whoosh(indexes: tuple[Any, Any]) -> None:
    # `_TermIndex.__contains__` probes the mapped hash table directly.
    for index in indexes:
        with index.reader() as reader:
            for leaf, _ in reader.leaf_readers():
                table = leaf._terms._tindex
                whoosh_table = OrderedHashReader(table.dbfile, table.dbfile._buf.nbytes)
                keys = list(whoosh_table.keys())
                assert keys and all(key in table for key in keys)
                misses = [key + b"x" for key in keys] + [b"\x00\x00", b"", b"\xff" * 40]
                assert [key in table for key in misses] == [key in whoosh_table for key in misses]


def test_field_documents_are_the_field_terms_and_postings(indexes: tuple[Any, Any]) -> None:
    w3, ours = indexes
    with w3.reader() as expected, ours.reader() as actual:
        for (leaf, _), (whoosh_leaf, _) in zip(actual.leaf_readers(), expected.leaf_readers(),
                                               strict=True):
            assert field_documents(whoosh_leaf, "title_exact") is None  # not our codec
            assert list(field_documents(leaf, "no_such_field") or [None]) == []
            for fieldname in ("title_exact", "lang"):
                terms = list(field_documents(leaf, fieldname) or [])
                assert len(terms) > 1 and terms == [
                    (text, list(whoosh_leaf.postings(fieldname, text).all_ids()))
                    for text in whoosh_leaf.lexicon(fieldname)]


def test_merged_segment_is_the_same_too(indexes: tuple[Any, Any]) -> None:
    w3, ours = indexes
    w3.writer(codec=W3Codec()).commit(optimize=True)
    ours.writer(codec=SearchlibCodec()).commit(optimize=True)
    with w3.reader() as expected, ours.reader() as actual:
        assert len(actual.leaf_readers()) == 1
        assert actual.doc_count() == expected.doc_count()
        postings = _postings(actual)
        assert postings == _postings(expected)
    # Both kinds of posting lists occur: inlined (one document) and several blocks.
    with ours.reader() as reader:
        infos = [reader.term_info(f, t) for f, t in reader.all_terms()]
    assert any(info.is_inlined() for info in infos)
    assert any(info.doc_frequency() > 128 for info in infos)


@pytest.mark.parametrize("query", ['"план дій"', '"action plan"', "Харьков", "троллейбус", "зерно"])
def test_searches_and_phrases_find_the_same(indexes: tuple[Any, Any], query: str) -> None:
    w3, ours = indexes
    found = []
    for ix in (w3, ours):
        with ix.searcher() as searcher:
            fields = ["text_exact", "text_uk", "text_ru", "text_en"]
            hits = searcher.search(QueryParser(fields[0], ix.schema).parse(query), limit=None)
            per_field = [sorted(hit.docnum for hit in hits)]
            for field in fields[1:]:
                parsed = QueryParser(field, ix.schema).parse(query)
                per_field.append(sorted(h.docnum for h in searcher.search(parsed, limit=None)))
            found.append(per_field)
    assert found[0] == found[1]
    assert any(found[1])


def test_streaming_merge_equals_whoosh_merge(tmp_path: Path, documents: list[dict[str, Any]],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`merging.OPTIMIZE` (term tables merged as streams) writes what Whoosh's merge writes,
    deletions included, for segments of either codec; also when it unmaps the pages it has
    read after every term (`DurableStorage.release_mapped_pages`)."""
    monkeypatch.setattr(merging, "RELEASE_POSTINGS", 1)
    third = len(documents) // 3
    batches = [(W3Codec(), documents[:third]), (SearchlibCodec(), documents[third:2 * third]),
               (W3Codec(), documents[2 * third:])]
    whoosh_merged, streamed = (
        _segments(storage, batches, deleted=documents[::9])
        for storage in (FileStorage(str(_folder(tmp_path, "whoosh"))),
                        DurableStorage(_folder(tmp_path, "streaming"))))
    whoosh_merged.writer(codec=SearchlibCodec()).commit(optimize=True)
    streamed.writer(codec=SearchlibCodec()).commit(mergetype=merging.OPTIMIZE)
    with whoosh_merged.reader() as expected, streamed.reader() as actual:
        assert len(actual.leaf_readers()) == 1 and not actual.has_deletions()
        assert actual.doc_count() == expected.doc_count() == len(documents) - len(documents[::9])
        assert _postings(actual) == _postings(expected)
        assert _per_document(actual) == _per_document(expected)


def test_copying_merge_equals_whoosh_merge(tmp_path: Path, documents: list[dict[str, Any]],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge of segments of this codec copies posting blocks: the first segment's full
    blocks as they are, the rest renumbered and blocked again, also from a segment with
    deleted documents. The result reads as Whoosh's own merge of the same segments, and its
    blocks are full but the last."""
    copied_blocks = []
    full_blocks = StoredPostings.full_blocks

    def counting(self: StoredPostings) -> tuple[bytes, int, int]:
        copied = full_blocks(self)
        copied_blocks.append(copied[1] // BLOCK_POSTINGS)
        return copied

    monkeypatch.setattr(StoredPostings, "full_blocks", counting)
    copied_per_doc = []
    copy_per_doc = merging._copy_per_doc

    def recording(*args: Any) -> bool:
        copied_per_doc.append(copy_per_doc(*args))
        return copied_per_doc[-1]

    monkeypatch.setattr(merging, "_copy_per_doc", recording)
    sixth = len(documents) // 6
    batches = [(SearchlibCodec(), part) for part in (
        documents[:4 * sixth], documents[4 * sixth:5 * sixth], documents[5 * sixth:])]
    whoosh_merged, copied = (
        _segments(DurableStorage(_folder(tmp_path, name)), batches,
                  deleted=documents[5 * sixth::7])
        for name in ("whoosh", "copying"))
    whoosh_merged.writer(codec=SearchlibCodec()).commit(optimize=True)
    copied.writer(codec=SearchlibCodec()).commit(mergetype=merging.OPTIMIZE)
    assert sum(copied_blocks) > 0, "no full block was copied"
    assert copied_per_doc == [True, True, False], "stored fields copied but with deletions"
    with whoosh_merged.reader() as expected, copied.reader() as actual:
        assert len(actual.leaf_readers()) == 1
        assert actual.doc_count() == expected.doc_count() == (
            len(documents) - len(documents[5 * sixth::7]))
        assert _postings(actual) == _postings(expected)
        assert _per_document(actual) == _per_document(expected)
        for fieldname, text in actual.all_terms():
            if actual.term_info(fieldname, text).is_inlined():
                continue
            matcher = actual.postings(fieldname, text)
            sizes = []
            while matcher.is_active():  # W3's matcher, one block at a time
                sizes.append(matcher._blocklength)
                matcher._next_block()
            assert all(size == BLOCK_POSTINGS for size in sizes[:-1]), (fieldname, text)


@pytest.mark.parametrize("size", [300, 5_000, 40_000])
def test_blocks_compress_as_zlib_does(size: int) -> None:
    """`compress_block` sizes zlib's window to the block: Whoosh's reader (plain
    `zlib.decompress`) reads it back, and a block that fits the window compresses to the same
    size as with `zlib.compress` (within 2%: a smaller hash table)."""
    data = pickle.dumps((tuple(range(0, size // 2, 3)), None, tuple(
        f"{n % 97}".encode() for n in range(size // 8))), 2)[:size]
    compressed = compress_block(data)
    assert zlib.decompress(compressed) == data
    assert len(compressed) <= len(zlib.compress(data, COMPRESSION_LEVEL)) * 1.02
