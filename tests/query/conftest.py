"""A real index built once per session from the shared corpus (skipped when it is absent).

150 dated Ukrainian news articles from `text/babel-ua` (CSV with dates and outlets), 40 BBC
business stories (English, undated) and 40 Russian Wikinews stories (undated), plus one reprint
made at test time from a babel-ua article (new lead, source note, a day later, another outlet),
so duplicate collapse is tested on real text. Nothing from the corpus is copied into the repo.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.model import Article, Lang, parse_datetime

BABEL_ARTICLES = 150
OTHER_ARTICLES = 40
REPRINT_OF = "babel-7"
REPRINT_ID = "reprint-of-babel-7"


def _babel(corpus: Path) -> list[Article]:
    csv.field_size_limit(10**8)
    path = corpus / "text" / "babel-ua" / "parsed_articles.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:BABEL_ARTICLES]
    return [
        Article(id=f"babel-{number}", title=row["title"], text=row["text"], url=row["url"],
                lang=Lang.UK, source=row["url"].split("/")[2],
                published=parse_datetime(row["date"].replace(" ", "T") + "+02:00"))
        for number, row in enumerate(rows)
    ]


def _first_line_title(paths: list[Path], prefix: str, lang: Lang) -> list[Article]:
    articles = []
    for path in paths:
        title, _, text = path.read_text(encoding="utf-8", errors="replace").strip().partition("\n")
        articles.append(Article(id=f"{prefix}-{path.stem}", title=title.strip(),
                                text=text.strip(), lang=lang, source=prefix))
    return articles


def corpus_articles(corpus: Path) -> list[Article]:
    babel = _babel(corpus)
    original = next(a for a in babel if a.id == REPRINT_OF)
    reprint = replace(
        original, id=REPRINT_ID, url="https://reprint.example/news/1", source="reprint.example",
        title="Передрук: " + original.title,
        text="Повідомляють колеги з іншої редакції. " + original.text
        + " Матеріал передруковано з дозволу редакції.",
        published=original.published + timedelta(days=1))
    bbc = sorted((corpus / "text" / "bbc-2225" / "business").glob("*.txt"))[:OTHER_ARTICLES]
    nerel = sorted((corpus / "text" / "nerel-ru-wikinews" / "dev").glob("*_text.txt"))
    return [*babel, reprint, *_first_line_title(bbc, "bbc", Lang.EN),
            *_first_line_title(nerel[:OTHER_ARTICLES], "wikinews", Lang.RU)]


@pytest.fixture(scope="session")
def corpus_index_dir(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "index"
    index = Index.create(path)
    report = index.add(corpus_articles(corpus_dir), batch_size=100)
    assert report.indexed == BABEL_ARTICLES + 1 + 2 * OTHER_ARTICLES, report
    return path


@pytest.fixture(scope="session")
def corpus_index(corpus_index_dir: Path) -> Index:
    return Index.open(corpus_index_dir)


@pytest.fixture(scope="session")
def reprint_pair() -> tuple[str, str]:
    """(original id, reprint id) of the near-duplicate pair planted in the corpus index."""
    return REPRINT_OF, REPRINT_ID
