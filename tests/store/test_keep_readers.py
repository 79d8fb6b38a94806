"""`Store.keep_readers` (what `searchlib serve`'s library processes use): one reader reused from
search to search gives the answers a fresh reader gives, on real articles, and is replaced after
every add, delete, optimize and rebuild, also when another handle (another process) wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from searchlib.api import Index
from searchlib.model import Article

QUERIES = ["Лондон", "economy", "Brexit OR Лондон", "санкции", "*", 'title:"prime minister"']


def _answers(index: Index) -> list[str]:
    found = []
    for query in QUERIES:
        for facets in (False, True):
            found.append(json.dumps(index.search(query, facets=facets).to_json()))
        found.append(json.dumps(index.timeline(query, by="month").to_json()))
    found.append(json.dumps(index.stats().to_json()))
    return found


def test_a_kept_reader_answers_as_fresh_ones(research_index_dir: Path,
                                             research_articles) -> None:
    fresh, kept = Index.open(research_index_dir), Index.open(research_index_dir)
    kept.keep_readers()
    assert _answers(kept) == _answers(fresh)
    reader = kept._kept[1]  # the path taken: one reader for every call since
    assert _answers(kept) == _answers(fresh)
    assert kept._kept[1] is reader
    for article in research_articles[::300]:
        assert kept.get(article.id) == fresh.get(article.id)
        assert kept.similar(article.id).to_json() == fresh.similar(article.id).to_json()


def test_a_kept_reader_follows_every_change(sample_index_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    shutil.copytree(sample_index_dir, path)
    kept, writer = Index.open(path), Index.open(path)
    kept.keep_readers()
    before = kept.search("quokkasaurus").total
    assert before == 0
    reader = kept._kept[1]
    writer.add([Article(id="quokka", title="The quokkasaurus", text="A story.")])
    assert kept.search("quokkasaurus").total == 1
    assert kept._kept[1] is not reader
    assert kept.get("quokka") is not None
    kept.delete(["quokka"])  # its own write
    assert kept.search("quokkasaurus").total == 0
    writer.add([Article(id="quokka2", title="Another quokkasaurus", text="A story.")])
    writer.optimize()
    assert kept.search("quokkasaurus").total == 1
    Index.rebuild(path)
    assert kept.search("quokkasaurus").total == 1
    assert _answers(kept) == _answers(Index.open(path))
