"""Damaged files: every changed byte of a segment file or table of contents is found by `check`,
and reading a damaged index gives the right answer or "index ... is damaged", never a wrong one.

Bytes are flipped in a real index of corpus articles at seeded random places (a failure
replays), then put back, so one index serves every flip.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.errors import IndexCorrupt, IndexIncompatible

SEED = 20261207
FLIPS = 60
QUERIES = ("Брексит", "Северный поток", "Trump election", "уряд", "=газопровод", "Байден~1")


@pytest.fixture(scope="module")
def damage_index(research_articles: list, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~240 articles of every language in several segments, written in one process (so
    the segments are those the serial writer and its merges write)."""
    path = tmp_path_factory.mktemp("damage") / "index"
    articles = research_articles[::10]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEARCHLIB_WORKERS", "1")
        Index.create(path).add(articles, batch_size=70)
    return path


def _answers(path: Path) -> list[tuple[int, list[str], list[str]]]:
    """Each query's total, hit ids and hit titles (stored fields are read too)."""
    index = Index.open(path)
    answers = []
    for query in QUERIES:
        results = index.search(query, limit=20)
        answers.append((results.total, [hit.id for hit in results.hits],
                        [hit.title for hit in results.hits]))
    return answers


def _files(path: Path) -> list[Path]:
    files = sorted(p for p in path.iterdir() if p.suffix in (".seg", ".toc"))
    assert any(p.suffix == ".seg" for p in files) and any(p.suffix == ".toc" for p in files)
    return files


def _flip(path: Path, position: int, mask: int) -> None:
    with path.open("r+b") as stream:
        stream.seek(position)
        byte = stream.read(1)[0]
        stream.seek(position)
        stream.write(bytes([byte ^ mask]))


def _places(files: list[Path], count: int) -> list[tuple[Path, int, int]]:
    """`count` seeded (file, byte, xor mask) flips, every file hit at least once, the rest
    spread over all bytes of all files."""
    rng = random.Random(SEED)
    sizes = [p.stat().st_size for p in files]
    places = [(p, rng.randrange(size), 1 << rng.randrange(8))
              for p, size in zip(files, sizes, strict=True)]
    while len(places) < count:
        at = rng.randrange(sum(sizes))
        for p, size in zip(files, sizes, strict=True):
            if at < size:
                places.append((p, at, 1 << rng.randrange(8)))
                break
            at -= size
    return places


def test_check_reports_every_flipped_byte_and_reads_never_answer_wrong(damage_index: Path) -> None:
    assert Index.check(damage_index).ok
    expected = _answers(damage_index)
    files = _files(damage_index)
    missed, wrong = [], []
    refused = 0
    for number, (path, position, mask) in enumerate(_places(files, FLIPS)):
        _flip(path, position, mask)
        try:
            report = Index.check(damage_index)
            if report.ok or not any(path.name in p or path.stem in p for p in report.problems):
                missed.append((path.name, position, report.problems))
            if number % 3 == 0:  # reading: the right answers, or the damage named
                try:
                    if _answers(damage_index) != expected:
                        wrong.append((path.name, position))
                except IndexCorrupt as err:
                    assert "is damaged" in str(err) and "searchlib check" in str(err)
                    refused += 1
        finally:
            _flip(path, position, mask)
    assert not missed, f"check missed {len(missed)} of {FLIPS} flipped bytes: {missed[:3]}"
    assert not wrong, f"damaged index answered wrongly: {wrong}"
    assert refused > 0  # some flips hit the blocks the queries read
    assert Index.check(damage_index).ok


@pytest.mark.parametrize("place", range(4))
def test_the_cli_names_the_damage_never_a_traceback(damage_index: Path, tmp_path: Path,
                                                    place: int) -> None:
    """Flips in the blocks every search reads (a segment's header and directory, the table of
    contents) through `searchlib search`, `stats` and `check`."""
    copy = tmp_path / "index"
    copy.mkdir()
    for entry in damage_index.iterdir():
        (copy / entry.name).write_bytes(entry.read_bytes())
    segment = max((p for p in copy.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size)
    toc = next(p for p in copy.iterdir() if p.suffix == ".toc")
    target, position = [(segment, 3), (segment, segment.stat().st_size - 40), (toc, 10),
                        (toc, toc.stat().st_size - 2)][place]
    _flip(target, position, 0x10)
    searchlib = [sys.executable, "-m", "searchlib"]
    for command in (["search", "Брексит"], ["stats"], ["show", "x"]):
        run = subprocess.run([*searchlib, *command, "--index", str(copy)], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 1, (command, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr and "Aborted" not in run.stderr
        assert run.stderr.startswith(f"Error: index {copy} is damaged: "), run.stderr
        assert target.name in run.stderr and "searchlib rebuild" in run.stderr
    check = subprocess.run([*searchlib, "check", "--index", str(copy), "--json"],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 1
    report = json.loads(check.stdout)
    assert not report["ok"] and any(target.stem in p for p in report["problems"])


def test_an_index_from_before_checksums_is_refused_then_rebuilt(fresh_index: Index,
                                                                research_articles: list) -> None:
    """An index of the previous format (no checksums): open refuses it naming the fix, and
    `rebuild` reads it."""
    articles = [replace(a, id=f"old-{n}") for n, a in enumerate(research_articles[:30])]
    fresh_index.add(articles)
    folder = fresh_index.path
    meta = json.loads((folder / "searchlib.json").read_text())
    meta["schema"] = "searchlib-schema@4"
    (folder / "searchlib.json").write_text(json.dumps(meta))
    for toc in folder.glob("*.toc"):  # as the previous version wrote it: no trailer
        toc.write_bytes(toc.read_bytes()[:-8])
    with pytest.raises(IndexIncompatible, match="rebuild"):
        Index.open(folder)
    report = Index.rebuild(folder)
    assert report.articles == 30
    assert Index.check(folder).ok
    assert {a.id for a in Index.open(folder).articles()} == {a.id for a in articles}
