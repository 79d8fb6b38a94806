"""SearchlibWriter (postings pooled per term, issue 24 item 3) writes, byte for byte, the segment
Whoosh's SegmentWriter writes with the same codec: from documents, past its memory limit (run
files merged at the commit), and from another segment's postings (`add_reader`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from searchlib.store.codec import SearchlibCodec
from searchlib.store.postings import SearchlibWriter
from searchlib.store.schema import article_to_document, build_schema

PER_LANG = 80


@pytest.fixture(scope="module")
def documents(research_articles: list) -> list[dict[str, Any]]:
    """Real corpus articles, `PER_LANG` of each language, one per id."""
    chosen: dict[str, list[Any]] = {"uk": [], "ru": [], "en": []}
    ids: set[str] = set()
    for article in research_articles[::3]:
        same_lang = chosen.get(str(article.lang))
        if same_lang is not None and len(same_lang) < PER_LANG and article.id not in ids:
            ids.add(article.id)
            same_lang.append(article)
    assert all(len(articles) == PER_LANG for articles in chosen.values())
    return [article_to_document(article, article.content_hash())
            for articles in chosen.values() for article in articles]


def _segment_files(ix: Any) -> dict[str, bytes]:
    """Each file of the index's one segment by its extension (file names hold the segment id)."""
    (segment,) = ix._segments()
    files = segment.open_compound_file(ix.storage)
    return {name.split(".", 1)[1]: files.open_file(name).read() for name in files.list()}


def _written(folder: Path, make_writer: Any, documents: list[dict[str, Any]],
             runs: list[int] | None = None) -> dict[str, bytes]:
    """The segment files `make_writer(ix)` writes for `documents`; the number of run files its
    pool holds before the commit is appended to `runs`."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = make_writer(ix)
    for document in documents:
        writer.add_document(**document)
    if runs is not None:
        runs.append(len(writer.pool._runs))
    writer.commit(merge=False)
    return _segment_files(ix)


@pytest.fixture(scope="module")
def whoosh_files(tmp_path_factory: pytest.TempPathFactory,
                 documents: list[dict[str, Any]]) -> dict[str, bytes]:
    return _written(tmp_path_factory.mktemp("postings") / "whoosh",
                    lambda ix: SegmentWriter(ix, codec=SearchlibCodec()), documents)


def test_pooled_terms_write_the_segment_whoosh_writes(
        tmp_path: Path, documents: list[dict[str, Any]], whoosh_files: dict[str, bytes]) -> None:
    ours = _written(tmp_path / "ours", SearchlibWriter, documents)
    assert set(ours) == set(whoosh_files) >= {"trm", "pst", "_stored.col", "_text_ru_len.col"}
    assert all(ours[kind] == whoosh_files[kind] for kind in whoosh_files)


def test_runs_spilled_past_the_memory_limit_join_into_the_same_segment(
        tmp_path: Path, documents: list[dict[str, Any]], whoosh_files: dict[str, bytes]) -> None:
    runs: list[int] = []
    ours = _written(tmp_path / "ours", lambda ix: SearchlibWriter(ix, limitmb=1), documents, runs)
    assert runs[0] >= 3, "the limit should have made the pool spill several runs"
    assert ours == whoosh_files
    assert not list((tmp_path / "ours").glob("**/*.run")), "run files are removed"


def test_postings_added_from_a_reader_make_the_same_segment(
        tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    (tmp_path / "source").mkdir()
    source = whoosh_index.create_in(str(tmp_path / "source"), build_schema())
    writer = SegmentWriter(source, codec=SearchlibCodec())
    for document in documents[:60]:
        writer.add_document(**document)
    writer.commit()
    copies = []
    for name, make_writer in (("whoosh", lambda ix: SegmentWriter(ix, codec=SearchlibCodec())),
                              ("ours", SearchlibWriter)):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), build_schema())
        writer = make_writer(ix)
        with source.reader() as reader:
            writer.add_reader(reader)  # Whoosh's merge path: every posting through `pool.add`
        writer.commit(merge=False)
        copies.append(_segment_files(ix))
    assert copies[0] == copies[1]
    with source.reader() as reader:
        assert reader.doc_count() == 60
