"""The one exception tree of searchlib.

Every error the library raises on purpose is a `SearchlibError`; ``str(err)`` is a message for a
human that names the file, record or query and says what to do next. The CLI maps the tree to exit
codes in one place (`QueryError` -> 2, any other `SearchlibError` -> 1).
"""

from __future__ import annotations

import errno
from datetime import datetime

__all__ = [
    "SearchlibError",
    "InputError",
    "NotAnArticle",
    "QueryError",
    "StoreError",
    "IndexNotFound",
    "IndexExists",
    "IndexLocked",
    "IndexIncompatible",
    "IndexCorrupt",
    "RebuildRefused",
    "ArticleNotFound",
    "IndexWriteError",
    "ClusterError",
    "ConfigError",
    "OptionError",
]


class SearchlibError(Exception):
    """Base class of every error searchlib raises on purpose."""


class InputError(SearchlibError):
    """An input file or record could not be read as an article."""

    def __init__(self, source: str, reason: str, *, line: int | None = None) -> None:
        self.source = str(source)
        self.reason = reason
        self.line = line
        where = f"{self.source}:{line}" if line is not None else self.source
        super().__init__(f"{where}: {reason}")


class NotAnArticle(InputError):
    """The input is readable but is not a news article (home page, section page, 404, stub)."""


class QueryError(SearchlibError):
    """A query could not be parsed or run."""

    def __init__(self, query: str, reason: str, *, position: int | None = None) -> None:
        self.query = query
        self.reason = reason
        self.position = position
        message = f"invalid query {query!r}: {reason}"
        if position is not None:
            message += f"\n  {query}\n  {' ' * position}^"
        super().__init__(message)


class StoreError(SearchlibError):
    """The on-disk index could not be used."""


class IndexNotFound(StoreError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"no index at {path}: build one with `searchlib index PATH... --index {path}`"
        )


class IndexExists(StoreError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"an index already exists at {path}; open it instead of creating it")


class IndexLocked(StoreError):
    def __init__(self, path: str, holder: str, since: datetime | None) -> None:
        self.path = path
        self.holder = holder
        self.since = since
        when = f" since {since.isoformat(timespec='seconds')}" if since else ""
        super().__init__(
            f"index {path} is locked by {holder}{when}; wait for it to finish "
            "or retry with --wait SECONDS"
        )


class IndexIncompatible(StoreError):
    def __init__(self, path: str, found: str, expected: str) -> None:
        self.path = path
        self.found = found
        self.expected = expected
        super().__init__(
            f"index {path} was built with {found}, this searchlib needs {expected}: "
            f"rebuild it with `searchlib rebuild --index {path}`"
        )


class IndexCorrupt(StoreError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"index {path} is damaged: {reason}; run `searchlib check --index {path}`, then "
            f"`searchlib rebuild --index {path}` (given the original files if stored articles "
            "are damaged)"
        )


_WRITE_FAILURES = {
    errno.ENOSPC: ("disk full", "free space and re-run"),
    errno.EDQUOT: ("disk quota exceeded", "free space and re-run"),
    errno.EFBIG: ("file size limit reached", "raise the limit (ulimit -f) and re-run"),
    errno.EACCES: ("permission denied", "make the folder writable for this user and re-run"),
    errno.EPERM: ("permission denied", "make the folder writable for this user and re-run"),
    errno.EROFS: ("read-only file system", "remount it read-write (or use another folder) "
                  "and re-run"),
}
"""errno -> (what failed, what to do) for the usual reasons a write to an index fails."""


class IndexWriteError(StoreError):
    """Writing to an index failed (disk full, no permission, read-only, a worker died).

    What earlier commits wrote stays; the batch in progress was discarded, so re-running the
    same command after fixing the cause completes the job.
    """

    def __init__(self, path: str, reason: str, *, advice: str = "re-run",
                 committed: int | None = None, rebuild: bool = False) -> None:
        self.path = path
        self.reason = reason
        self.advice = advice
        self.committed = committed
        self.rebuild = rebuild
        if rebuild:
            outcome = "the rebuild was abandoned and the index is unchanged"
        elif committed is None:
            outcome = "nothing was written"
        else:
            outcome = (f"{committed} articles committed, the batch in progress was "
                       "discarded")
        super().__init__(f"{reason} writing {path}: {outcome}; {advice}")

    @classmethod
    def from_os_error(cls, path: str, err: OSError, *,
                      committed: int | None = None) -> IndexWriteError:
        """The error for `err` raised while writing the index at `path`."""
        return cls.from_errno(path, err.errno, err.strerror or str(err), committed=committed)

    @classmethod
    def from_errno(cls, path: str, number: int | None, detail: str, *,
                   committed: int | None = None) -> IndexWriteError:
        reason, advice = _WRITE_FAILURES.get(number or 0, (detail, "fix the cause and re-run"))
        return cls(path, reason, advice=advice, committed=committed)

    def after(self, *, committed: int | None = None, rebuild: bool = False) -> IndexWriteError:
        """The same failure, reported with what the write operation had committed."""
        return IndexWriteError(self.path, self.reason, advice=self.advice, committed=committed,
                               rebuild=rebuild)


class ClusterError(StoreError):
    """An OpenSearch cluster could not be used: down, wrong URL, timed out, credentials
    refused, index red, or a request refused; the message names the URL."""

    def __init__(self, url: str, reason: str, *, advice: str = "") -> None:
        self.url = url
        self.reason = reason
        self.advice = advice
        super().__init__(f"OpenSearch {url}: {reason}" + (f"; {advice}" if advice else ""))


class RebuildRefused(StoreError):
    """A rebuild that would lose articles (or hold none) was stopped before the swap."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"rebuild of {path} refused: {reason}; the index is unchanged")


class ArticleNotFound(StoreError):
    """No live article has the given id (`show`, `similar`)."""

    def __init__(self, path: str, article_id: str) -> None:
        self.path = path
        self.article_id = article_id
        super().__init__(f"no article with id {article_id!r} in {path}; "
                         "find ids with `searchlib search QUERY`")


class ConfigError(SearchlibError):
    """A missing dependency or dictionary, or a bad option value."""


class OptionError(ConfigError):
    """An option or argument value the call cannot take (unknown language, unreadable date,
    wrong type, page window too large); the CLI exits 2, as for a usage error."""
