"""Input files to articles: directories, ``.html(.gz)``, ``.jsonl(.gz)``, ``.warc(.gz)``.

Part of the ingest stage. Finds inputs, opens them with size caps (gzip is stream-decompressed
with a cap, so a gzip bomb stops at `IngestOptions.max_decompressed_bytes`), and turns every
problem into a `Failure` naming the file (and line or WARC record) so one bad input never stops
a batch. Field values inside records are data only: never opened, never used as paths.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from searchlib.errors import InputError, NotAnArticle, SearchlibError
from searchlib.ingest.decode import charset_from_content_type
from searchlib.ingest.extract import extract_article
from searchlib.ingest.metadata import clean_names, clean_tags, host_of, to_datetime
from searchlib.ingest.options import IngestOptions
from searchlib.model import (
    DATE_YEARS,
    Article,
    Failure,
    Lang,
    find_surrogate,
    make_article_id,
    parse_datetime,
)
from searchlib.text import detect_language

__all__ = ["find_inputs", "read_articles", "read_jsonl", "input_size", "article_schema"]

_HTML = (".html", ".htm", ".html.gz", ".htm.gz")
_JSONL = (".jsonl", ".jsonl.gz")
_WARC = (".warc", ".warc.gz")
SUPPORTED_SUFFIXES = _HTML + _JSONL + _WARC
_CHUNK = 1 << 16
_JSONL_FIELDS = {"id", "url", "title", "text", "lead", "lang", "published", "modified", "source",
                 "authors", "tags", "canonical_url", "alternates"}


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_JSONL):
        return "jsonl"
    if name.endswith(_WARC):
        return "warc"
    if name.endswith(_HTML):
        return "html"
    # A file named explicitly with another extension (.shtml, .php, no extension) is read as
    # HTML when it looks like markup; anything else is refused with the list of formats.
    with path.open("rb") as stream:
        head = stream.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "html"
    raise InputError(str(path), "unsupported file type: expected .html/.htm, .jsonl or .warc "
                                "(each optionally .gz), or a file starting with HTML markup")


def find_inputs(paths: Iterable[str | Path], *, must_exist: bool = False) -> list[Path]:
    """Expand directories (recursively, sorted) into the supported input files.

    A named path that does not exist is kept, so reading it yields a `Failure` (with
    `must_exist`, it raises `InputError` instead), as is a named folder that holds no supported
    file; files with other extensions inside directories, and hidden files, are ignored.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if must_exist and not path.exists():
            raise InputError(str(path), "no such file or folder")
        if path.is_dir():
            candidates = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.name.lower().endswith(SUPPORTED_SUFFIXES)
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ) or [path]
        else:
            candidates = [path]
        for candidate in candidates:
            if candidate not in seen:
                seen.add(candidate)
                found.append(candidate)
    return found


def read_articles(paths: Iterable[str | Path], *, options: IngestOptions | None = None,
                  progress: Callable[[int], None] | None = None) -> Iterator[Article | Failure]:
    """Yield an `Article` for every article in `paths`, a `Failure` for every bad input.

    Directories are expanded with `find_inputs`. Never raises for a bad input: unreadable files,
    bad JSONL lines and WARC records become `Failure`s (``skipped=True`` for pages that are not
    articles) and the batch goes on. Calls ``progress(n)`` after each article or failure and at
    the end of each file with the bytes of input read since the previous call (of a ``.gz``
    file, compressed bytes): the calls add up to `input_size(paths)`.
    """
    options = options or IngestOptions()
    for path, name in _named_inputs(paths):
        position = _Position(path)
        for item in _read_file(path, options, position):
            yield _with_metadata(item, options, name) if isinstance(item, Article) else item
            if progress is not None:
                progress(position.advance())
        position.complete = True
        rest = position.advance()
        if progress is not None and rest:
            progress(rest)  # the end of the file (lines or records that held no article)


def _named_inputs(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str]]:
    """`find_inputs(paths)`, each with its path relative to the folder given (for URLs)."""
    seen: set[Path] = set()
    for raw in paths:
        root = Path(raw)
        for path in find_inputs([root]):
            if path not in seen:
                seen.add(path)
                yield path, (path.relative_to(root).as_posix() if root.is_dir() else path.name)


def _with_metadata(article: Article, options: IngestOptions, name: str) -> Article:
    """The article with the source, language, tags and URL that `options` set."""
    changes: dict[str, Any] = {}
    if options.source:
        changes["source"] = options.source
    if options.lang:
        changes["lang"] = options.lang
    if options.tags:
        changes["tags"] = tuple(dict.fromkeys((*article.tags, *options.tags)))
    if options.url_prefix and not article.url and not article.canonical_url \
            and not name.lower().endswith(_JSONL + _WARC):  # one page per file: a URL
        changes["url"] = options.url_prefix + quote(name)
    return replace(article, **changes) if changes else article


def input_size(paths: Iterable[str | Path]) -> int:
    """The bytes `read_articles(paths)` reads in all (their `progress` calls add up to this)."""
    return sum(path.stat().st_size for path in find_inputs(paths) if path.is_file())


class _Position:
    """How far reading one input file has come: the position of its raw (compressed) stream,
    or all of it once `complete`, reported as the bytes read since the last `advance`."""

    def __init__(self, path: Path) -> None:
        self.file: IO[bytes] | None = None
        self.complete = False
        self._size = path.stat().st_size if path.is_file() else 0
        self._reported = 0

    def advance(self) -> int:
        at = self._reported
        if self.complete:
            at = self._size
        elif self.file is not None and not self.file.closed:
            at = min(self.file.tell(), self._size)
        step = max(0, at - self._reported)
        self._reported += step
        return step


def _read_file(path: Path, options: IngestOptions,
               position: _Position) -> Iterator[Article | Failure]:
    source = str(path)
    try:
        if not path.is_file():
            reason = "no such file" if not path.exists() else "not a regular file"
            raise InputError(source, reason)
        kind = _kind(path)
        if kind == "jsonl":
            yield from _read_jsonl(path, options, position)
        elif kind == "warc":
            yield from _read_warc(path, options, position)
        else:
            data = _read_page(path, options)
            position.complete = True  # the page is read: the whole file is done
            yield extract_article(data, path=source, options=options)
    except NotAnArticle as err:
        yield Failure(source=err.source, reason=err.reason, line=err.line, skipped=True)
    except SearchlibError as err:
        yield _failure(err, source)
    except OSError as err:
        yield Failure(source=source, reason=f"cannot read the file: {err.strerror or err}")
    except RecursionError:
        yield Failure(source=source, reason="structure nested too deeply to read")


def _failure(err: SearchlibError, source: str) -> Failure:
    if isinstance(err, InputError):
        return Failure(source=err.source, reason=err.reason, line=err.line,
                       skipped=isinstance(err, NotAnArticle))
    return Failure(source=source, reason=str(err))


class _CappedReader(io.RawIOBase):
    """A binary stream that raises `InputError` once more than `cap` bytes were read from it."""

    def __init__(self, stream: IO[bytes], cap: int, source: str, what: str,
                 also_close: IO[bytes] | None = None) -> None:
        super().__init__()
        self._stream = stream
        self._also_close = also_close
        self._left = cap
        self._cap = cap
        self._source = source
        self._what = what

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
            if self._also_close is not None:
                self._also_close.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._stream.read(min(len(buffer), self._left + 1))
        except EOFError as err:
            raise InputError(self._source, "truncated gzip file: it ends before the "
                                           "end-of-stream marker") from err
        except (gzip.BadGzipFile, zlib.error) as err:
            raise InputError(self._source, f"not a valid gzip file: {err}") from err
        if len(data) > self._left:
            raise InputError(self._source, f"{self._what} over the limit of {self._cap} bytes")
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _open(path: Path, options: IngestOptions, position: _Position | None = None) -> IO[bytes]:
    """Open a file for reading, decompressing ``.gz`` through a capped stream."""
    raw = path.open("rb")
    if position is not None:
        position.file = raw
    if not path.name.lower().endswith(".gz"):
        return raw
    gz: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    capped = _CappedReader(gz, options.max_decompressed_bytes, str(path),
                           "decompressed data (IngestOptions.max_decompressed_bytes)",
                           also_close=raw)
    return io.BufferedReader(capped, buffer_size=_CHUNK)


def _read_page(path: Path, options: IngestOptions) -> bytes:
    source = str(path)
    if path.stat().st_size > options.max_file_bytes:
        raise InputError(source, f"file is {path.stat().st_size} bytes, over the limit of "
                                 f"{options.max_file_bytes} (IngestOptions.max_file_bytes)")
    with _open(path, options) as stream:
        data = stream.read(options.max_file_bytes + 1)
    if data.startswith(b"\x1f\x8b") and not path.name.lower().endswith(".gz"):
        # A gzipped page saved without .gz (an HTTP body kept with Content-Encoding: gzip).
        capped = _CappedReader(gzip.GzipFile(fileobj=io.BytesIO(data)),  # type: ignore[arg-type]
                               options.max_decompressed_bytes, source,
                               "decompressed data (IngestOptions.max_decompressed_bytes)")
        with io.BufferedReader(capped) as stream:
            data = stream.read(options.max_file_bytes + 1)
    if len(data) > options.max_file_bytes:
        raise InputError(source, f"page decompresses to more than {options.max_file_bytes} "
                                 "bytes (IngestOptions.max_file_bytes)")
    return data


# ---------------------------------------------------------------- JSONL


def article_schema() -> dict[str, Any]:
    """The JSON Schema of one JSON Lines input record (shipped as
    ``searchlib/ingest/data/article.schema.json``), with a complete example under "examples"."""
    from importlib.resources import files

    text = files("searchlib.ingest").joinpath("data", "article.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _read_jsonl(path: Path, options: IngestOptions,
                position: _Position) -> Iterator[Article | Failure]:
    with _open(path, options, position) as stream:
        yield from read_jsonl(stream, source=str(path), options=options)


def read_jsonl(stream: IO[bytes], *, source: str,
               options: IngestOptions | None = None) -> Iterator[Article | Failure]:
    """Articles from a binary stream of JSON Lines records (an upload, a pipe), named `source`
    in failures; a bad line becomes a `Failure` naming its line number and the batch goes on."""
    options = options or IngestOptions()
    number = 0
    while True:
        line = stream.readline(options.max_file_bytes + 1)
        if not line:
            break
        number += 1
        if len(line) > options.max_file_bytes:
            yield Failure(source=source, line=number, reason=(
                f"line longer than {options.max_file_bytes} bytes "
                "(IngestOptions.max_file_bytes); reading stopped"))
            return
        if not line.strip():
            continue
        try:
            yield _jsonl_article(line, source=source, number=number)
        except InputError as err:
            yield _failure(err, source)


def _jsonl_article(line: bytes, *, source: str, number: int) -> Article:
    def bad(reason: str) -> InputError:
        return InputError(source, reason, line=number)

    try:
        text_line = line.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as err:
        raise bad(f"not UTF-8 at byte {err.start}; JSONL must be UTF-8") from err
    try:
        record = json.loads(text_line)
    except ValueError as err:
        raise bad(f"invalid JSON: {err}") from err
    except RecursionError as err:
        raise bad("JSON nested too deeply to read") from err
    if not isinstance(record, dict):
        raise bad(f"expected a JSON object, got {type(record).__name__}")
    for key in _JSONL_FIELDS & record.keys():
        position = find_surrogate(record[key])
        if position is not None:
            raise bad(f'"{key}" holds a lone surrogate at character {position} (a JSON "\\ud800" '
                      "escape that is not half of a pair): not valid Unicode")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad('missing or empty "text" (each record needs the article text)')

    def string(key: str) -> str | None:
        value = record.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise bad(f'"{key}" must be a string, got {type(value).__name__}')
        return value.strip() or None

    def date(key: str) -> Any:
        value = record.get(key)
        if value in (None, ""):
            return None
        parsed = None
        problem = "use ISO 8601, e.g. 2025-08-24T10:30Z"
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError as err:
                parsed = to_datetime(value)
                if "out of range" in str(err):
                    problem = "out of range once converted to UTC"
        if parsed is None:
            raise bad(f'"{key}" is not a date: {value!r} ({problem})')
        if not DATE_YEARS[0] <= parsed.year <= DATE_YEARS[1]:
            raise bad(f'"{key}" {value!r} is outside the years {DATE_YEARS[0]}-{DATE_YEARS[1]}'
                      " (a typo? timelines would span every day in between)")
        return parsed

    def strings(key: str) -> tuple[str, ...]:
        value = record.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(f'"{key}" must be a list of strings')
        return clean_names(value) if key == "authors" else clean_tags(value)

    raw_id = record.get("id")
    if raw_id is not None and not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
        raise bad('"id" must be a string or an integer')
    url = string("url")
    canonical = string("canonical_url")
    title = string("title") or ""
    lang_value = string("lang")
    lang: Lang | None
    if lang_value:
        try:
            lang = Lang(lang_value.lower())
        except ValueError as err:
            raise bad(f'unsupported "lang" {lang_value!r}; expected one of uk, ru, en') from err
    else:
        lang = detect_language(f"{title}\n{text}")
    alternates = record.get("alternates") or []
    if not (isinstance(alternates, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) for v in p)
            for p in alternates)):
        raise bad('"alternates" must be a list of [lang, url] pairs')
    return Article(
        id=str(raw_id) if raw_id is not None and str(raw_id) != "" else make_article_id(
            canonical_url=canonical, url=url, title=title, text=text),
        title=title,
        text=text.strip(),
        url=url,
        canonical_url=canonical,
        lead=string("lead"),
        authors=strings("authors"),
        published=date("published"),
        modified=date("modified"),
        lang=lang,
        source=string("source") or host_of(url),
        tags=strings("tags"),
        alternates=tuple((a, b) for a, b in alternates),
        path=source,
    )


# ---------------------------------------------------------------- WARC


def _read_warc(path: Path, options: IngestOptions,
               position: _Position) -> Iterator[Article | Failure]:
    from warcio.archiveiterator import ArchiveIterator  # noqa: PLC0415 - only for WARC input
    from warcio.exceptions import ArchiveLoadFailed  # noqa: PLC0415

    source = str(path)
    with path.open("rb") as raw:
        position.file = raw
        stream: IO[bytes] = raw
        if path.name.lower().endswith(".gz"):
            # warcio decompresses member by member itself; cap what it may pull out in total.
            stream = io.BufferedReader(_CappedReader(raw, options.max_file_bytes * 1000, source,
                                                     "WARC file"))
        iterator = ArchiveIterator(stream, arc2warc=True)
        records = iter(iterator)
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except ArchiveLoadFailed as err:
                raise InputError(source, f"not a valid WARC file: {err}") from err
            except (EOFError, zlib.error, ValueError) as err:
                raise InputError(source, f"damaged WARC file: {type(err).__name__}: {err}"
                                 ) from err
            yield from _warc_record(record, iterator, source, options)


def _warc_record(record: Any, iterator: Any, source: str,
                 options: IngestOptions) -> Iterator[Article | Failure]:
    if record.rec_type not in ("response", "resource"):
        return
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
    where = f"{source}#{record_id or iterator.get_record_offset()}"
    url = record.rec_headers.get_header("WARC-Target-URI")
    content_type = record.rec_headers.get_header("Content-Type") or ""
    if record.rec_type == "response":
        if record.http_headers is None:
            return
        status = record.http_headers.get_statuscode() or ""
        if status != "200":
            yield Failure(source=where, reason=f"HTTP {status} response for {url}, not an article",
                          skipped=True)
            return
        content_type = record.http_headers.get_header("Content-Type") or ""
    mime = content_type.split(";")[0].strip().lower()
    if mime and mime not in ("text/html", "application/xhtml+xml"):
        yield Failure(source=where, reason=f"{mime} response for {url}, not an HTML page",
                      skipped=True)
        return
    try:
        data = record.content_stream().read(options.max_file_bytes + 1)
        if len(data) > options.max_file_bytes:
            raise InputError(where, f"record payload over {options.max_file_bytes} bytes "
                                    "(IngestOptions.max_file_bytes)")
        yield extract_article(data, url=url, path=where,
                              charset=charset_from_content_type(content_type), options=options)
    except NotAnArticle as err:
        yield Failure(source=where, reason=err.reason, skipped=True)
    except InputError as err:
        yield Failure(source=where, reason=err.reason)
    except (EOFError, zlib.error, ValueError) as err:
        yield Failure(source=where, reason=f"damaged record payload: {type(err).__name__}: {err}")
    except RecursionError:
        yield Failure(source=where, reason="record nested too deeply to read")
