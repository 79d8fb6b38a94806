"""read_articles / find_inputs on real files: JSONL, gzip, WARC, and hostile input."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest
from ingest_pages import EN_TEXT, RU_TEXT, UK_TEXT, article_page
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from searchlib.errors import InputError
from searchlib.ingest import IngestOptions, extract_article, find_inputs, read_articles
from searchlib.model import Article, Failure, Lang


def _read(*paths: Path, options: IngestOptions | None = None) -> list[Article | Failure]:
    return list(read_articles(paths, options=options))


def _only_failure(results: list[Article | Failure]) -> Failure:
    assert len(results) == 1 and isinstance(results[0], Failure), results
    return results[0]


# ------------------------------------------------------------------ find_inputs / read_articles


def test_find_inputs_expands_directories_sorted(tmp_path: Path) -> None:
    for name in ("b/2.html", "a.jsonl", "b/1.htm.gz", "c.warc.gz", "notes.txt", ".hidden/x.html",
                 "d.HTML", "e.jsonl.gz", "f.warc", "g.html.gz"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    missing = tmp_path / "missing.html"
    found = find_inputs([tmp_path, missing, tmp_path / "a.jsonl"])
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == ["a.jsonl", "b/1.htm.gz", "b/2.html", "c.warc.gz", "d.HTML", "e.jsonl.gz",
                     "f.warc", "g.html.gz", "missing.html"]


def test_one_bad_file_does_not_stop_the_batch(tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_text(article_page(), encoding="utf-8")
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    calls: list[int] = []
    results = list(read_articles([empty, tmp_path / "nope.html", good], progress=calls.append))
    assert calls == [0, 0, good.stat().st_size]  # bytes read, after each record
    assert [type(r).__name__ for r in results] == ["Failure", "Failure", "Article"]
    assert results[0].source == str(empty) and "empty" in results[0].reason
    assert results[1].reason == "no such file"
    assert results[2].path == str(good)


def test_not_an_article_is_a_skipped_failure(tmp_path: Path) -> None:
    page = tmp_path / "404.html"
    page.write_text(article_page(title="404 Not Found", text="Gone."), encoding="utf-8")
    failure = _only_failure(_read(page))
    assert failure.skipped and "error page" in failure.reason


# ------------------------------------------------------------------ JSONL


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a-1", "url": "https://www.pravda.com.ua/news/1", "title": "Новина",
                    "text": UK_TEXT, "published": "2025-08-24T10:30:00+03:00",
                    "authors": ["Олена Коваль"], "tags": ["енергетика"]}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": 42, "title": "Статья", "text": RU_TEXT, "lang": "ru",
                    "source": "Lenta"}, ensure_ascii=False),
        "",
        json.dumps({"title": "no text"}),
        json.dumps(["a", "list"]),
        json.dumps({"text": EN_TEXT, "published": "yesterday-ish"}),
        json.dumps({"text": EN_TEXT, "lang": "de"}),
        json.dumps({"text": EN_TEXT, "title": "Bridge", "url": "https://example.com/b"}),
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = _read(path)
    articles = [r for r in results if isinstance(r, Article)]
    failures = [r for r in results if isinstance(r, Failure)]
    assert [a.id for a in articles][:2] == ["a-1", "42"]
    first, second, third = articles
    assert first.lang is Lang.UK and first.source == "pravda.com.ua"
    assert first.published is not None
    assert first.published.isoformat() == "2025-08-24T07:30:00+00:00"
    assert first.authors == ("Олена Коваль",) and first.tags == ("енергетика",)
    assert second.lang is Lang.RU and second.source == "Lenta"
    assert third.lang is Lang.EN and len(third.id) == 16 and third.source == "example.com"
    assert all(a.path == str(path) for a in articles)
    assert [(f.line, f.skipped) for f in failures] == [(2, False), (5, False), (6, False),
                                                       (7, False), (8, False)]
    assert "invalid JSON" in failures[0].reason
    assert '"text"' in failures[1].reason
    assert "JSON object" in failures[2].reason
    assert "not a date" in failures[3].reason
    assert "unsupported" in failures[4].reason
    assert str(failures[0]).startswith(f"{path}:2: ")


def test_jsonl_gz_and_field_values_are_never_paths(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    record = {"id": str(secret), "url": f"file://{secret}", "path": str(secret),
              "title": str(secret), "text": EN_TEXT, "source": "../../etc/passwd"}
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(json.dumps(record).encode()))
    (article,) = _read(path)
    assert isinstance(article, Article)
    assert article.path == str(path)
    assert article.id == str(secret)
    assert "TOP SECRET" not in json.dumps(article.to_json())


def test_jsonl_bad_utf8_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "\xff\xfe broken"}\n' + json.dumps({"text": EN_TEXT}).encode())
    results = _read(path)
    assert isinstance(results[0], Failure) and results[0].line == 1
    assert "UTF-8" in results[0].reason
    assert isinstance(results[1], Article)


def test_jsonl_line_over_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": EN_TEXT * 10}) + "\n", encoding="utf-8")
    failure = _only_failure(_read(path, options=IngestOptions(max_file_bytes=1000)))
    assert failure.line == 1 and "longer than 1000 bytes" in failure.reason


# ------------------------------------------------------------------ gzip


def test_html_gz(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress(article_page(text=RU_TEXT, title="Новости").encode("cp1251")))
    (article,) = _read(path)
    assert isinstance(article, Article) and article.lang is Lang.RU


def test_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress(article_page().encode())[:-40])
    failure = _only_failure(_read(path))
    assert failure.source == str(path) and "truncated gzip" in failure.reason


def test_not_gzip_at_all(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(article_page().encode())
    failure = _only_failure(_read(path))
    assert "not a valid gzip file" in failure.reason


def test_gzip_bomb_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "bomb.html.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        chunk = b"\0" * (1 << 20)
        for _ in range(64):
            out.write(chunk)
    assert path.stat().st_size < 200_000
    options = IngestOptions(max_decompressed_bytes=8 << 20, max_file_bytes=4 << 20)
    failure = _only_failure(_read(path, options=options))
    assert "over the limit" in failure.reason or "more than" in failure.reason
    bomb_jsonl = tmp_path / "bomb.jsonl.gz"
    bomb_jsonl.write_bytes(gzip.compress(b"{}\n" * (3 << 20)))
    results = _read(bomb_jsonl, options=IngestOptions(max_decompressed_bytes=1 << 20))
    assert "over the limit" in results[-1].reason  # type: ignore[union-attr]


# ------------------------------------------------------------------ hostile files


def test_empty_and_whitespace_files(tmp_path: Path) -> None:
    for name, data in (("empty.html", b""), ("blank.html", b"  \n\t ")):
        path = tmp_path / name
        path.write_bytes(data)
        failure = _only_failure(_read(path))
        assert failure.source == str(path) and "empty file" in failure.reason


def test_binary_files(tmp_path: Path) -> None:
    for name, data, kind in (("a.html", b"%PDF-1.7\n" + os.urandom(4000), "PDF"),
                             ("b.html", b"\x89PNG\r\n\x1a\n" + os.urandom(100), "PNG"),
                             ("c.html", os.urandom(5000).replace(b"<", b"") + b"\0" * 200,
                              "binary")):
        path = tmp_path / name
        path.write_bytes(data)
        failure = _only_failure(_read(path))
        assert kind in failure.reason and failure.source == str(path)


def test_file_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_text(article_page(text=EN_TEXT * 50), encoding="utf-8")
    failure = _only_failure(_read(path, options=IngestOptions(max_file_bytes=10_000)))
    assert "over the limit of 10000" in failure.reason


def test_deeply_nested_html(tmp_path: Path) -> None:
    depth = 100_000
    html = "<html><body>" + "<div>" * depth + f"<p>{EN_TEXT}</p>" + "</div>" * depth
    path = tmp_path / "deep.html"
    path.write_text(html, encoding="utf-8")
    failure = _only_failure(_read(path))
    assert "nested deeper" in failure.reason
    shallow = "<html><body>" + "<div>" * 60 + f"<p>{EN_TEXT}</p>" + "</div>" * 60
    with pytest.raises(InputError, match="limit of 50 levels"):
        extract_article(shallow.encode(), options=IngestOptions(max_html_depth=50))


def test_xxe_and_billion_laughs_expand_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    page = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY l0 "lol">{laughs}]>\n'
        f'<html><head><title>Entities</title></head><body><article><h1>Entities</h1>'
        f"<p>Start &xxe; middle &l9; end.</p><p>{EN_TEXT}</p></article></body></html>"
    )
    path = tmp_path / "xxe.html"
    path.write_text(page, encoding="utf-8")
    (article,) = _read(path)
    assert isinstance(article, Article)
    assert "TOP-SECRET" not in article.text and "TOP-SECRET" not in article.title
    assert "lollol" not in article.text
    assert len(article.text) < 5 * len(EN_TEXT)


def test_broken_encoding_still_reads(tmp_path: Path) -> None:
    data = article_page(text=UK_TEXT, title="Новини", charset="utf-8").encode("utf-8")
    data = data.replace("генератори".encode(), b"\xff\xfe\xfd")
    path = tmp_path / "broken.html"
    path.write_bytes(data)
    (article,) = _read(path)
    assert isinstance(article, Article) and article.lang is Lang.UK


# ------------------------------------------------------------------ WARC


def _warc(path: Path, records: list[tuple[str, str, bytes, str]], *, gz: bool) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gz)
        for url, status, body, content_type in records:
            headers = StatusAndHeaders(status, [("Content-Type", content_type)],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers))
        writer.write_record(writer.create_warc_record(
            "https://example.com/", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_warc_response_records(tmp_path: Path, gz: bool) -> None:
    uk_page = article_page(title="Новини", text=UK_TEXT, charset=None).encode("koi8-u")
    records = [
        ("https://www.example.ua/news/1", "200 OK", uk_page, "text/html; charset=koi8-u"),
        ("https://example.com/missing", "404 Not Found", b"<html>gone</html>", "text/html"),
        ("https://example.com/logo.png", "200 OK", b"\x89PNG....", "image/png"),
        ("https://example.com/2", "200 OK", article_page().encode(), "text/html"),
        ("https://example.com/empty", "200 OK", b"", "text/html"),
    ]
    path = tmp_path / ("a.warc.gz" if gz else "a.warc")
    _warc(path, records, gz=gz)
    results = _read(path)
    assert len(results) == 5
    first, missing, image, second, empty = results
    assert isinstance(first, Article) and first.lang is Lang.UK
    assert first.url == "https://www.example.ua/news/1" and first.source == "example.ua"
    assert "генератори" in first.text
    assert first.path is not None and first.path.startswith(f"{path}#urn:uuid:")
    assert isinstance(second, Article) and second.url == "https://example.com/2"
    assert isinstance(missing, Failure) and missing.skipped and "HTTP 404" in missing.reason
    assert isinstance(image, Failure) and image.skipped and "image/png" in image.reason
    assert isinstance(empty, Failure) and not empty.skipped and "empty" in empty.reason
    assert missing.source.startswith(f"{path}#")


def test_damaged_warc(tmp_path: Path) -> None:
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(gzip.compress(b"this is not a warc file\r\n\r\n" * 10))
    failure = _only_failure(_read(path))
    assert failure.source == str(path) and "WARC" in failure.reason


def test_explicit_files_with_other_extensions(tmp_path: Path) -> None:
    page = tmp_path / "story.shtml"
    page.write_text(article_page(), encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes, not a page", encoding="utf-8")
    article, failure = _read(page, notes)
    assert isinstance(article, Article)
    assert isinstance(failure, Failure) and "unsupported file type" in failure.reason


def test_gzipped_page_without_gz_extension(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(gzip.compress(article_page().encode()))
    (article,) = _read(path)
    assert isinstance(article, Article)


def test_bad_options_are_a_config_error() -> None:
    from searchlib.errors import ConfigError

    with pytest.raises(ConfigError, match="max_file_bytes"):
        IngestOptions(max_file_bytes=0)
