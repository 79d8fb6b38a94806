"""About 2,400 real uk/ru/en articles from the shared corpus, for tests that check counts.

Read by path from `../shared/corpus` (nothing is copied into the repo):

- `text/ru_kw_eval/ng_0` (all 999 Nezavisimaya Gazeta records: www.ng.ru, amp.ng.ru and
  nvo.ng.ru copies of the same stories, so near-duplicate groups span outlets) and the first 150
  RT records; dated from the URL where it holds a date;
- `text/slavicner/raw/{brexit,nord_stream,us_election_2020}` in ru and uk (Latin names such as
  `Nord Stream` inside Cyrillic text, names across scripts);
- the first 300 `text/babel-ua` articles (dated, several outlets);
- the first 150 BBC politics and 150 business stories (English).

`research_articles` returns `Article`s with explicit language, source (the URL's host without
`www.`) and id, so a test can compute an expected count with a regex over `title` + `text`,
independently of searchlib.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from searchlib.model import Article, Lang

_URL_DATE = re.compile(r"/(\d{4})[-/](\d{2})[-/](\d{2})/")
SLAVICNER_TOPICS = ("brexit", "nord_stream", "us_election_2020")


def _host(url: str | None) -> str | None:
    if not url or "//" not in url:
        return None
    # Some RT records repeat the scheme and host ("https://russian.rt.comhttps://russian...").
    host = url[url.rindex("//") + 2:].split("/")[0].lower()
    return host.removeprefix("www.")


def outlet(article: Article) -> str | None:
    """The outlet facets, counts and `--source` group an article under (README), computed here
    without searchlib: the host of the canonical URL (else the URL), lowercased, without
    ``www.``, after dropping a scheme and host glued before another URL; else the source name
    lowercased."""
    url = article.canonical_url or article.url
    if url:
        url = re.sub(r"^(?:https?://[^/?#]*?(?=https?://))+", "", url.strip(), flags=re.I)
        host = re.match(r"^[a-z]+://([^/?#:]+)", url, re.I)
        if host:
            return host.group(1).lower().removeprefix("www.")
    return article.source.strip().lower() if article.source else None


def _url_date(url: str | None) -> datetime | None:
    match = _URL_DATE.search(url or "")
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, 12, tzinfo=UTC)
    except ValueError:
        return None


def _ru_kw_eval(folder: Path, name: str, limit: int) -> list[Article]:
    with zipfile.ZipFile(folder / f"{name}.jsonlines.zip") as archive:
        member = archive.namelist()[0]
        with archive.open(member) as raw:
            lines = list(io.TextIOWrapper(raw, encoding="utf-8"))[:limit]
    articles = []
    for number, line in enumerate(lines):
        record = json.loads(line)
        url = record.get("url")
        articles.append(Article(
            id=f"{name}-{number}", title=record.get("title") or "",
            text=record.get("content") or "", url=url, lang=Lang.RU, source=_host(url),
            published=_url_date(url)))
    return articles


def _first_line_files(paths: list[Path], prefix: str, lang: Lang, source: str) -> list[Article]:
    articles = []
    for path in paths:
        title, _, text = path.read_text(encoding="utf-8", errors="replace").strip().partition("\n")
        if not text.strip():
            continue
        articles.append(Article(id=f"{prefix}-{path.stem}", title=title.strip(),
                                text=text.strip(), lang=lang, source=source))
    return articles


def _babel(folder: Path, limit: int) -> list[Article]:
    csv.field_size_limit(1 << 26)
    with (folder / "parsed_articles.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    articles = []
    for number, row in enumerate(rows):
        try:
            published = datetime.fromisoformat(row["date"]).replace(tzinfo=UTC)
        except (KeyError, ValueError):
            published = None
        articles.append(Article(
            id=f"babel-{number}", title=row.get("title") or "", text=row.get("text") or "",
            url=row.get("url"), lang=Lang.UK, source=_host(row.get("url")), published=published))
    return articles


def research_articles(corpus: Path) -> list[Article]:
    """The fixed research collection (same articles, same order, every run)."""
    text = corpus / "text"
    articles = [
        *_ru_kw_eval(text / "ru_kw_eval", "ng_0", 999),
        *_ru_kw_eval(text / "ru_kw_eval", "russia_today_0", 150),
        *_babel(text / "babel-ua", 300),
    ]
    for topic in SLAVICNER_TOPICS:
        for lang in (Lang.RU, Lang.UK):
            paths = sorted((text / "slavicner" / "raw" / topic / lang.value).glob("*.txt"))
            articles += _first_line_files(paths, f"slavicner-{topic}-{lang.value}", lang,
                                          f"slavicner-{topic}")
    for section in ("politics", "business"):
        paths = sorted((text / "bbc-2225" / section).glob("*.txt"))[:150]
        articles += _first_line_files(paths, f"bbc-{section}", Lang.EN, "bbc.co.uk")
    return articles
