"""`Index.commit_stamp` changes with every change of the index and only then (the web server
keys its answer cache on it)."""

from __future__ import annotations

from pathlib import Path

from searchlib.api import Index
from searchlib.model import Article


def _article(number: int) -> Article:
    return Article(id=f"a{number}", title=f"title {number}", text=f"text number {number} here")


def test_commit_stamp_changes_with_every_write(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    stamps = [index.commit_stamp()]
    index.add([_article(1), _article(2)])
    stamps.append(index.commit_stamp())
    assert index.commit_stamp() == stamps[-1]  # reading changes nothing
    index.search("text")
    assert index.commit_stamp() == stamps[-1]
    index.add([_article(3)])
    stamps.append(index.commit_stamp())
    index.delete(["a1"])
    stamps.append(index.commit_stamp())
    index.optimize()
    stamps.append(index.commit_stamp())
    Index.rebuild(tmp_path / "index")
    stamps.append(index.commit_stamp())
    assert len(set(stamps)) == len(stamps) == 6
    other = Index.open(tmp_path / "index")  # another handle (another process) agrees
    assert other.commit_stamp() == index.commit_stamp()
