"""The ASGI application: the JSON API, its errors, the security headers and the page's files.

Endpoints are `async`: each runs its one library call in a library process (`serve --workers
N`, `WebSettings.processes`) or a worker thread under a time limit (`WebSettings.timeout`), so
a slow query answers 504 instead of holding a client for ever. Repeated requests are answered
from the cache on the event loop.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import anyio
from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from searchlib.api import Index
from searchlib.engine import Engine
from searchlib.errors import (
    ArticleNotFound,
    ConfigError,
    IndexLocked,
    QueryError,
    SearchlibError,
    StoreError,
)
from searchlib.model import Lang, parse_datetime
from searchlib.query import Filters, SearchOptions
from searchlib.store.opensearch.address import OpenSearchAddress
from searchlib.web.processes import Failure, LibraryProcesses, ignore_interrupts

__all__ = ["TOKEN_ENV", "WebSettings", "create_app"]

TOKEN_ENV = "SEARCHLIB_TOKEN"
"""The environment variable that holds the bearer token `--allow-write` requires."""
MIN_TOKEN_LENGTH = 16
MAX_QUERY = 1000
"""Characters in a query (longer ones are refused with 400: they are never typed by people)."""
MAX_LIMIT = 100
"""Hits per page."""
MAX_OFFSET = 10_000
"""The deepest page a search shows; `/api/export` streams every match."""
MAX_VALUE = 200
"""Characters in a filter value or an id."""
RETRY_AFTER = 5
"""Seconds a client is told to wait while the index cannot be opened or is locked."""
EXPORT_ROWS_PER_CHUNK = 200
"""Rows encoded per chunk of a streamed export (a thread hop per chunk, not per row)."""
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")

_INTERNAL = "internal server error (details are in the server's log)"
MAX_WAITING = 64
"""Calls waiting for a library process at once (each on a thread that mostly sleeps); more
wait for one of those threads."""

_STATIC = files("searchlib.web") / "static"
_log = logging.getLogger("searchlib.web")
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSettings:
    """How the server behaves: the index, writing, the time limit and the upload cap."""

    index: Path | OpenSearchAddress
    """An index folder, or the address of an OpenSearch index."""
    allow_write: bool = False
    token: str | None = None
    """The bearer token writes need (required when `allow_write`)."""
    timeout: float = 10.0
    """Seconds a request may take before the client gets 504 (exports: until the first byte)."""
    max_upload_bytes: int = 64 * 1024 * 1024
    cache_bytes: int = 64 * 1024 * 1024
    """Memory for cached JSON answers (0: no cache); see `_AnswerCache`."""
    threads: int = 2
    """Threads running library calls at once when `processes` is 0 (searches are mostly
    Python, so threads of one process take turns holding the GIL)."""
    processes: int = 0
    """Library processes taking calls from one queue (`searchlib.web.processes`; one per core
    uses every core); 0: library calls run on `threads` threads of the HTTP process."""

    def __post_init__(self) -> None:
        if self.allow_write and (not self.token or len(self.token) < MIN_TOKEN_LENGTH):
            raise ConfigError(
                f"writing needs a bearer token of at least {MIN_TOKEN_LENGTH} characters in the "
                f"environment variable {TOKEN_ENV} (e.g. `export {TOKEN_ENV}=$(openssl rand "
                "-hex 24)`); the server was not started")


class ApiError(Exception):
    """An error answered as JSON: `status`, a short `code` and a message for a human."""

    def __init__(self, status: int, code: str, message: str, *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> JSONResponse:
        body = {"status": self.status, "error": self.code, "message": self.message, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)

    def failure(self) -> Failure:
        """The error as plain data (to cross from a library process)."""
        return Failure(self.status, self.code, self.message, self.headers, self.extra)

    @classmethod
    def of(cls, failure: Failure) -> ApiError:
        return cls(failure.status, failure.code, failure.message, headers=failure.headers,
                   **failure.extra)


def library_error(err: Exception) -> ApiError | None:
    """The answer to a library call's error (None: not one of the library's own errors)."""
    if isinstance(err, ApiError):
        return err
    if isinstance(err, ArticleNotFound):
        return _no_article(err.article_id)
    if isinstance(err, IndexLocked):
        return ApiError(503, "index_locked", str(err), headers={"Retry-After": str(RETRY_AFTER)})
    if isinstance(err, StoreError):
        return _unavailable(err)
    if isinstance(err, QueryError):
        return ApiError(400, "invalid_query", str(err), query=err.query, reason=err.reason,
                        position=err.position)
    if isinstance(err, ConfigError):
        return ApiError(400, "invalid_parameter", str(err))
    if isinstance(err, SearchlibError):
        return ApiError(500, "error", str(err))
    return None


class _IndexHolder:
    """The one open `Index`, opened on first use and again after it failed.

    `Index` follows commits, optimizes and rebuilds by itself (each call reads the latest
    commit), so one open index serves the server's whole life. While it cannot be opened
    (missing, being created, built by another version), requests get 503 with Retry-After.
    """

    def __init__(self, path: Path | OpenSearchAddress) -> None:
        self.path = path
        self._index: Engine | None = None
        self._lock = threading.Lock()

    @property
    def opened(self) -> Engine | None:
        """The index if it is open already (no waiting, no file access)."""
        return self._index

    def get(self, *, create: bool = False) -> Engine:
        """The open index; `create` makes an empty one where there is none (first upload)."""
        with self._lock:
            if self._index is None:
                try:
                    self._index = Index.open_or_create(self.path) if create \
                        else Index.open(self.path)
                except StoreError as err:
                    raise _unavailable(err) from err
            return self._index

    def forget(self) -> None:
        with self._lock:
            self._index = None


def _unavailable(err: StoreError) -> ApiError:
    return ApiError(503, "index_unavailable", str(err),
                    headers={"Retry-After": str(RETRY_AFTER)})


class _AnswerCache:
    """The JSON bodies of recent GET answers, by index commit and request, least recently used
    dropped first once they hold more than `max_bytes`.

    A key holds the index's `commit_stamp`, so any commit, delete or rebuild makes every older
    answer unreachable (they age out); an answer is never served for another index state.
    Searches repeat (pages, the back button, the page's own timeline calls, popular queries),
    and a repeated one costs a folder listing instead of a search (issue 23's load test).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        if len(body) > self.max_bytes // 8:  # one huge answer must not flush the rest
            return
        with self._lock:
            if key in self._bodies:
                return
            self._bodies[key] = body
            self._size += len(body)
            while self._size > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._size -= len(dropped)


def _json_body(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


class _SecurityHeaders:
    """Adds the Content-Security-Policy and friends to every response (pure ASGI: no copy of
    the body, so streamed exports stay streamed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _date(name: str, value: str | None):
    try:
        return parse_datetime(value)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name}={value!r} is not a date "
                       "(use YYYY-MM-DD or ISO 8601)", parameter=name) from None


def _filters(
    lang: Annotated[Lang | None, Query(description="Only articles in this language.")] = None,
    source: Annotated[str | None, Query(max_length=MAX_VALUE,
                                        description="Only articles from this outlet.")] = None,
    author: Annotated[str | None, Query(max_length=MAX_VALUE,
                                        description="Only articles by this author.")] = None,
    tag: Annotated[str | None, Query(max_length=MAX_VALUE,
                                     description="Only articles with this tag.")] = None,
    since: Annotated[str | None, Query(max_length=40,
                                       description="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, Query(max_length=40,
                                       description="Published on or before (YYYY-MM-DD).")] = None,
) -> Filters:
    return Filters.of(lang=lang, source=source, author=author, tag=tag,
                      since=_date("since", since), until=_date("until", until))


_Query = Annotated[str, Query(min_length=1, max_length=MAX_QUERY,
                              description="The query (same syntax as `searchlib search`).")]
_Id = Annotated[str, PathParam(min_length=1, max_length=MAX_VALUE, description="Article id.")]
_Collapse = Annotated[bool, Query(description="Count a near-duplicate group once.")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid query or parameter: `message`, and `position` in the query"},
    503: {"description": "The index cannot be opened now; see Retry-After"},
    504: {"description": "The request took longer than the server's time limit"},
}


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    return "" if value is None else value


def _export_chunks(result: Any, fmt: str) -> Iterator[bytes]:
    """Encode an export's rows, a chunk of rows at a time (memory stays flat: one chunk)."""
    with result:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        names = list(result.provenance.fields)
        if fmt == "jsonl":
            buffer.write(json.dumps({"provenance": result.provenance.to_json()},
                                    ensure_ascii=False) + "\n")
        else:
            writer.writerow(names)
        for number, row in enumerate(result.rows(), 1):
            if fmt == "jsonl":
                buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                writer.writerow([_csv_cell(row[name]) for name in names])
            if number % EXPORT_ROWS_PER_CHUNK == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")


# -- library calls: module-level, so that a library process is sent them by name ----------------


def _search(store: Engine, q: str, options: SearchOptions) -> Any:
    return store.search(q, options).to_json()


def _article(store: Engine, article_id: str, q: str | None) -> Any:
    found = store.get(article_id)
    if found is None:
        raise _no_article(article_id)
    if q is None:
        return found.to_json()
    return {**found.to_json(), "highlights": store.highlight(article_id, q).to_json()}


def _timeline(store: Engine, q: str, options: dict[str, Any]) -> Any:
    return store.timeline(q, **options).to_json()


def _top_terms(store: Engine, q: str, options: dict[str, Any]) -> Any:
    return store.top_terms(q, **options).to_json()


def _similar(store: Engine, article_id: str, limit: int) -> Any:
    return store.similar(article_id, limit=limit).to_json()


def _suggest(store: Engine, q: str) -> Any:
    return store.suggest(q).to_json()


def _stats(store: Engine) -> Any:
    return store.stats().to_json()


def _encoded(produce: Callable[..., Any], store: Engine, args: tuple[Any, ...]) -> bytes:
    return _json_body(produce(store, *args))


def _serve_calls(connection: Connection, location: Path | OpenSearchAddress) -> None:
    """A library process: answers `(produce, args)` calls with JSON bodies or `Failure`s until
    its pipe closes (`LibraryProcesses`)."""
    ignore_interrupts()
    holder = _IndexHolder(location)
    while True:
        try:
            produce, args = connection.recv()
        except EOFError:
            return
        reply: bytes | Failure
        try:
            store = holder.get()
            if isinstance(store, Index):
                store.keep_readers()  # this process calls it from one thread only
            reply = _encoded(produce, store, args)
        except Exception as err:  # every error becomes an answer, as in the HTTP process
            error = library_error(err)
            if isinstance(err, StoreError) and not isinstance(err, IndexLocked | ArticleNotFound):
                holder.forget()  # damaged or replaced: open it again next time
            if error is None:
                _log.error("error in a library call", exc_info=err)
                error = ApiError(500, "internal", _INTERNAL)
            reply = error.failure()
        try:
            connection.send(reply)
        except OSError:  # the HTTP process is gone
            return


def create_app(settings: WebSettings) -> ASGIApp:
    """The application serving `settings.index`: `/api/...`, `/openapi.json`, `/docs`, `/`."""
    from importlib.metadata import version

    holder = _IndexHolder(settings.index)
    library: LibraryProcesses | None = None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal library
        if settings.processes:
            library = LibraryProcesses(settings.index, settings.processes, _serve_calls)
        try:
            yield
        finally:
            if library is not None:
                await anyio.to_thread.run_sync(library.close)
                library = None

    app = FastAPI(
        title="searchlib", version=version("searchlib"), docs_url=None, redoc_url=None,
        openapi_url="/openapi.json", lifespan=lifespan,
        description="Full-text search of a news archive in Ukrainian, Russian and English. "
                    "Every answer is the JSON `searchlib ... --json` prints; errors are JSON "
                    "with `status`, `error` and `message`.",
    )

    # Without library processes, library calls run on a few threads: searches are mostly
    # Python, so more threads would only take turns holding the GIL, and each waiting thread
    # delays the event loop that answers from the cache; the rest queue here. Exports,
    # writes and OpenSearch's commit stamps use these threads in either case.
    workers = anyio.CapacityLimiter(settings.threads)

    async def call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`func` on a worker thread, within the time limit; library errors become ApiErrors."""
        try:
            with anyio.fail_after(settings.timeout) as scope:
                result = await anyio.to_thread.run_sync(partial(func, *args, **kwargs),
                                                        abandon_on_cancel=True, limiter=workers)
            # A call that ends while a busy event loop is late to cancel it is still too slow.
            if anyio.current_time() > scope.deadline:
                raise TimeoutError
            return result
        except TimeoutError:
            raise _timeout(settings.timeout) from None
        except ArticleNotFound as err:
            raise _no_article(err.article_id) from err
        except StoreError as err:
            if isinstance(err, IndexLocked):
                raise ApiError(503, "index_locked", str(err),
                               headers={"Retry-After": str(RETRY_AFTER)}) from err
            holder.forget()  # damaged or replaced by another version: open it again next time
            raise _unavailable(err) from err

    async def index() -> Engine:
        # `is not None`, not truthiness: an index's truth is its length, which reads the
        # index's table of contents (on the event loop, for every request).
        opened = holder.opened
        return opened if opened is not None else await anyio.to_thread.run_sync(holder.get)

    cache = _AnswerCache(settings.cache_bytes) if settings.cache_bytes > 0 else None

    waiting = anyio.CapacityLimiter(MAX_WAITING)

    async def library_json(produce: Callable[..., Any], args: tuple[Any, ...]) -> bytes:
        """The JSON body of `produce(index, *args)`, from a library process (or a thread)."""
        if library is None:
            return await call(_encoded, produce, await index(), args)
        deadline = time.monotonic() + settings.timeout
        try:
            with anyio.fail_after(settings.timeout):
                reply = await anyio.to_thread.run_sync(library.run, produce, args, deadline,
                                                       abandon_on_cancel=True, limiter=waiting)
            if time.monotonic() > deadline:
                raise TimeoutError
        except TimeoutError:
            raise _timeout(settings.timeout) from None
        if isinstance(reply, Failure):
            raise ApiError.of(reply)
        return reply

    async def answer(request: Request, produce: Callable[..., Any], *args: Any) -> Response:
        """The JSON of `produce(index, *args)` (from the cache when the same request was
        answered at the same index commit)."""
        if cache is None:
            return Response(await library_json(produce, args), media_type="application/json")
        store = await index()
        if isinstance(store, Index):
            try:  # a stat and a folder listing: cheaper on the event loop than a thread hop
                stamp = store.commit_stamp()
            except StoreError as err:
                holder.forget()
                raise _unavailable(err) from err
        else:  # another engine's (OpenSearch: a request to the cluster)
            stamp = await call(store.commit_stamp)
        key = (stamp, request.url.path, tuple(sorted(request.query_params.multi_items())))
        body = cache.get(key)
        state = "hit"
        if body is None:
            state = "miss"
            body = await library_json(produce, args)
            cache.put(key, body)
        return Response(body, media_type="application/json",
                        headers={"X-Searchlib-Cache": state})

    # -- errors: always JSON, never a traceback ------------------------------------------------

    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError) -> JSONResponse:
        return err.response()

    @app.exception_handler(QueryError)
    async def query_error(request: Request, err: QueryError) -> JSONResponse:
        return ApiError(400, "invalid_query", str(err), query=err.query, reason=err.reason,
                        position=err.position).response()

    @app.exception_handler(ConfigError)
    async def config_error(request: Request, err: ConfigError) -> JSONResponse:
        return ApiError(400, "invalid_parameter", str(err)).response()

    @app.exception_handler(SearchlibError)
    async def searchlib_error(request: Request, err: SearchlibError) -> JSONResponse:
        return ApiError(500, "error", str(err)).response()

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}"
                    for e in err.errors()]
        return ApiError(400, "invalid_parameter", "; ".join(problems)).response()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> JSONResponse:
        return ApiError(err.status_code, "http_error", str(err.detail),
                        headers=dict(err.headers or {})).response()

    @app.exception_handler(Exception)
    async def internal_error(request: Request, err: Exception) -> JSONResponse:
        _log.error("error answering %s", request.url.path, exc_info=err)
        return ApiError(500, "internal", _INTERNAL).response()

    # -- reading ---------------------------------------------------------------------------------

    @app.get("/api/search", tags=["search"], responses=_ERRORS)
    async def search(
        request: Request,
        q: _Query,
        filters: Annotated[Filters, Depends(_filters)],
        sort: Annotated[Literal["relevance", "date", "-date"], Query(
            description="Order: relevance, date (oldest first), -date (newest first).")
        ] = "relevance",
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Hits per page.")] = 10,
        page: Annotated[int | None, Query(ge=1, description="Page of `limit` hits.")] = None,
        offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET,
                                            description="Hits to skip (or `page`).")] = None,
        facets: Annotated[bool, Query(description="Counts by source, lang, author, tag.")] = False,
        collapse: _Collapse = True,
        strict: Annotated[bool, Query(description="No partial matches to fill a page.")] = False,
    ) -> Response:
        """Ranked articles with highlighted snippets (`searchlib search --json`)."""
        if page is not None and offset is not None:
            raise ApiError(400, "invalid_parameter", "give page or offset, not both")
        start = (page - 1) * limit if page else offset or 0
        if start > MAX_OFFSET:
            raise ApiError(400, "invalid_parameter", f"pages end at offset {MAX_OFFSET}; use "
                           "/api/export for every match", parameter="page")
        options = SearchOptions(limit=limit, offset=start, sort=sort, filters=filters,
                                facets=facets, collapse=collapse, relax=not strict)
        return await answer(request, _search, q, options)

    @app.get("/api/articles/{article_id}", tags=["articles"],
             responses={**_ERRORS, 404: {"description": "No article with this id"}})
    async def article(
        request: Request,
        article_id: _Id,
        q: Annotated[str | None, Query(min_length=1, max_length=MAX_QUERY, description=(
            "Also `highlights`: where this query's words stand in the title, lead and text "
            "(the words its search snippet marks)."))] = None,
    ) -> Response:
        """One article in full (`searchlib show --json [--query Q]`)."""
        return await answer(request, _article, article_id, q)

    @app.get("/api/timeline", tags=["research"], responses=_ERRORS)
    async def timeline(
        request: Request,
        q: _Query,
        filters: Annotated[Filters, Depends(_filters)],
        by: Literal["day", "week", "month"] = "month",
        normalize: Annotated[bool, Query(description="Also each bucket's share.")] = False,
        collapse: _Collapse = True,
    ) -> Response:
        """Matching articles per day, week or month (`searchlib timeline --json`)."""
        return await answer(request, _timeline, q, {"by": by, "normalize": normalize,
                                                    "collapse": collapse, "filters": filters})

    @app.get("/api/top-terms", tags=["research"], responses=_ERRORS)
    async def top_terms(
        request: Request,
        q: _Query,
        filters: Annotated[Filters, Depends(_filters)],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        collapse: _Collapse = True,
    ) -> Response:
        """Words that distinguish the matches, per language (`searchlib top-terms --json`)."""
        return await answer(request, _top_terms, q, {"limit": limit, "collapse": collapse,
                                                     "filters": filters})

    @app.get("/api/similar/{article_id}", tags=["articles"],
             responses={404: {"description": "No article with this id"}})
    async def similar(request: Request, article_id: _Id,
                      limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10) -> Response:
        """Other-language versions, near-duplicates and related articles
        (`searchlib similar --json`)."""
        return await answer(request, _similar, article_id, limit)

    @app.get("/api/suggest", tags=["search"], responses=_ERRORS)
    async def suggest(request: Request, q: _Query) -> Response:
        """Did you mean: a corrected query (`searchlib suggest --json`)."""
        return await answer(request, _suggest, q)

    @app.get("/api/stats", tags=["index"], responses=_ERRORS)
    async def stats(request: Request) -> Response:
        """Articles by language and source, dates, size, build (`searchlib stats --json`)."""
        return await answer(request, _stats)

    @app.get("/api/export", tags=["research"], responses=_ERRORS)
    async def export(
        q: _Query,
        filters: Annotated[Filters, Depends(_filters)],
        format: Literal["jsonl", "csv"] = "jsonl",  # noqa: A002 - the CLI's --format
        fields: Annotated[str | None, Query(max_length=MAX_VALUE, description=(
            "Comma-separated fields (default: id,published,lang,source,title,url,authors,"
            "tags,text,group)."))] = None,
        sort: Literal["relevance", "date", "-date"] = "date",
        collapse: _Collapse = True,
    ) -> StreamingResponse:
        """Every matching article, streamed (`searchlib export`): JSON Lines whose first line is
        `{"provenance": ...}`, or CSV with the provenance in the `X-Searchlib-Provenance`
        header. No cap; the server's memory does not grow with the number of rows."""
        chosen = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        result = await call((await index()).export, q, fields=chosen, sort=sort,
                            collapse=collapse, filters=filters)
        provenance = json.dumps(result.provenance.to_json(), ensure_ascii=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return StreamingResponse(
            _export_chunks(result, format),
            media_type="text/csv; charset=utf-8" if format == "csv"
            else "application/x-ndjson; charset=utf-8",
            headers={"Content-Disposition":
                     f'attachment; filename="searchlib-export-{stamp}.{format}"',
                     "X-Searchlib-Total": str(result.total),
                     "X-Searchlib-Provenance": provenance})

    # -- writing (only with allow_write) ---------------------------------------------------------

    if settings.allow_write:
        token = (settings.token or "").encode()

        def authorized(request: Request) -> None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                     token):
                raise ApiError(401, "unauthorized", "writing needs the header "
                               f"`Authorization: Bearer <token>` with the server's {TOKEN_ENV}",
                               headers={"WWW-Authenticate": "Bearer"})

        @app.post("/api/articles", tags=["articles"], dependencies=[Depends(authorized)],
                  responses={400: {"description": "No record could be indexed"},
                             401: {"description": "Missing or wrong bearer token"},
                             413: {"description": "Body larger than the upload limit"}})
        async def add(request: Request) -> JSONResponse:
            """Index JSON Lines records (the `searchlib index` record format); the answer is the
            report of `searchlib index --json`, one failure per bad record."""
            from searchlib.ingest import read_jsonl

            body = await _read_body(request, settings.max_upload_bytes)
            store = await anyio.to_thread.run_sync(partial(holder.get, create=True))
            items = read_jsonl(io.BytesIO(body), source="request body")
            report = await anyio.to_thread.run_sync(partial(store.add, items, wait=RETRY_AFTER))
            if report.failed and not (report.indexed or report.updated or report.unchanged):
                raise ApiError(400, "invalid_input", "no record could be indexed",
                               **report.to_json())
            return JSONResponse(report.to_json())

        @app.delete("/api/articles/{article_id}", tags=["articles"],
                    dependencies=[Depends(authorized)],
                    responses={404: {"description": "No article with this id"},
                               401: {"description": "Missing or wrong bearer token"}})
        async def delete(article_id: _Id) -> JSONResponse:
            """Delete one article (`searchlib delete --json`)."""
            store = await index()
            try:
                report = await anyio.to_thread.run_sync(
                    partial(store.remove, [article_id], wait=RETRY_AFTER))
            except IndexLocked as err:
                raise ApiError(503, "index_locked", str(err),
                               headers={"Retry-After": str(RETRY_AFTER)}) from err
            if not report.deleted:
                raise _no_article(article_id)
            return JSONResponse(report.to_json())
    else:
        @app.post("/api/articles", include_in_schema=False)
        @app.delete("/api/articles/{article_id}", include_in_schema=False)
        async def read_only() -> None:
            raise ApiError(405, "read_only", "writing is off: start the server with "
                           f"--allow-write (and a token in {TOKEN_ENV}) to add or delete",
                           headers={"Allow": "GET"})

    # -- the page ------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    @app.get("/article/{article_id}", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(_STATIC / "index.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        return FileResponse(str(_STATIC / "docs.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=str(_STATIC)), name="static")
    return _SecurityHeaders(app)  # outermost: also on the answers of Starlette's error handler


def _timeout(seconds: float) -> ApiError:
    return ApiError(504, "timeout", f"the request took longer than {seconds:g} s; narrow the "
                    "query or add filters")


def _no_article(article_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no article with id {article_id!r} in the index",
                    id=article_id)


async def _read_body(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise _too_large(cap)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise _too_large(cap)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(cap: int) -> ApiError:
    return ApiError(413, "too_large", f"the body is larger than {cap} bytes; send the records "
                    "in several requests")
