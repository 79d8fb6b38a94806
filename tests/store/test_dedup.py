"""Near-duplicate fingerprints and groups: the samples' two reprint pairs, order, batches."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from searchlib.api import Index
from searchlib.ingest import find_inputs, read_articles
from searchlib.model import Article
from searchlib.store.dedup import THRESHOLD, similarity, sketch

PAIRS = [
    ("uk/dnipro-visnyk-eksport-zerna-dunai.html", "uk/pivdennyi-portal-zerno-dunai-reprint.html"),
    ("ru/sevkhronika-novye-trolleybusnye-marshruty.html",
     "ru/gorobozrevatel-trolleybusy-harkov-reprint.html"),
]
CANADA = ["uk/kyivledger-ukraina-kanada-plan-dii.html",
          "ru/kyivledger-ukraina-kanada-plan-deystviy.html",
          "en/kyivledger-ukraine-canada-action-plan.html"]


@pytest.fixture(scope="module")
def pages(samples_dir) -> dict[str, Article]:
    found = {}
    for item in read_articles(find_inputs([samples_dir])):
        if isinstance(item, Article) and item.path:
            found[str(item.path).split("samples/")[-1]] = item
    return found


def _body(article: Article) -> str:
    return "\n".join(p for p in (article.lead, article.text) if p)


def test_reprints_are_similar_and_translations_are_not(pages: dict[str, Article]) -> None:
    for original, reprint in PAIRS:
        assert similarity(sketch(_body(pages[original])), sketch(_body(pages[reprint]))) \
            >= THRESHOLD + 0.1
    sketches = [sketch(_body(pages[name])) for name in CANADA]
    assert max(similarity(a, b) for a in sketches for b in sketches if a is not b) < 0.1
    assert sketch("too short to judge") == ()


def test_samples_index_groups_exactly_the_two_reprint_pairs(sample_index: Index,
                                                            pages: dict[str, Article]) -> None:
    with sample_index.searcher() as searcher:
        groups: dict[str, set[str]] = {}
        for stored in searcher.all_stored_fields():
            groups.setdefault(stored["dup_group"], set()).add(stored["id"])
    grouped = sorted(sorted(ids) for ids in groups.values() if len(ids) > 1)
    expected = sorted(sorted({pages[a].id, pages[b].id}) for a, b in PAIRS)
    assert grouped == expected


def test_group_id_is_the_earliest_article_whatever_the_indexing_order(
        tmp_path, pages: dict[str, Article]) -> None:
    original, reprint = pages[PAIRS[0][0]], pages[PAIRS[0][1]]
    assert original.published < reprint.published
    for order, batch_size in (((reprint, original), 1), ((original, reprint), 1000)):
        index = Index.create(tmp_path / f"{order[0].id}-{batch_size}")
        index.add(list(order), batch_size=batch_size)
        hit = index.search("зерно", collapse=False).hits[0]
        assert hit.group == original.id and hit.duplicates == 1
        collapsed = index.search("зерно")
        assert collapsed.total == 1 and collapsed.hits[0].id == original.id


def test_duplicates_found_across_commits_and_add_calls(tmp_path, pages) -> None:
    original = pages[PAIRS[1][0]]
    index = Index.create(tmp_path / "ix")
    index.add([original])
    copies = [replace(original, id=f"copy-{n}", url=None, canonical_url=None,
                      published=original.published + timedelta(days=n)) for n in range(1, 4)]
    index.add(copies, batch_size=2)
    with index.searcher() as searcher:
        groups = {s["id"]: s["dup_group"] for s in searcher.all_stored_fields()}
    assert set(groups.values()) == {original.id}
    assert index.search("троллейбус").total == 1
    assert index.search("троллейбус", collapse=False).total == 4
