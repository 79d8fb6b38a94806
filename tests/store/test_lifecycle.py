"""Creating and opening an index folder: interrupted creates, concurrent creators."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from searchlib.api import Index
from searchlib.errors import IndexExists
from searchlib.model import Article
from searchlib.store.schema import article_to_document, build_schema


def test_create_resumes_after_being_killed_before_its_meta_file(tmp_path: Path) -> None:
    folder = tmp_path / "ix"
    folder.mkdir()
    whoosh_index.create_in(str(folder), build_schema())  # the state a kill mid-create leaves
    index = Index.open_or_create(folder)
    index.add([Article(id="a", title="Title", text="Text.")])
    assert len(Index.open(folder)) == 1


def test_create_never_overwrites_a_whoosh_index_with_documents(tmp_path: Path) -> None:
    folder = tmp_path / "foreign"
    folder.mkdir()
    writer = whoosh_index.create_in(str(folder), build_schema()).writer()
    writer.add_document(**article_to_document(Article(id="x", title="T", text="B."), "0" * 32))
    writer.commit()
    with pytest.raises(IndexExists):
        Index.create(folder)


def test_concurrent_open_or_create_yields_one_index(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    opened: list[Index] = []
    errors: list[BaseException] = []

    def open_it(n: int) -> None:
        try:
            index = Index.open_or_create(folder)
            index.add([Article(id=f"a{n}", title=f"T{n}", text="Body.")], wait=60)
            opened.append(index)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=open_it, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({index.meta["build_id"] for index in opened}) == 1
    assert len(Index.open(folder)) == 4
