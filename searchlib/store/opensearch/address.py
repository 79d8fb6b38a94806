"""Where an OpenSearch-backed index lives: its URL, alias and credentials.

An index location is a folder (the Whoosh engine) or an ``http(s)://host:port/name`` URL (the
OpenSearch engine; ``name`` is the alias searchlib reads and writes, any path before it a proxy
prefix). Credentials never come from the command line: `credentials` reads them from the
environment. This module imports no OpenSearch client, so choosing an engine costs nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from searchlib.errors import OptionError

__all__ = [
    "OpenSearchAddress",
    "is_url",
    "parse_address",
    "credentials",
    "USER_ENV",
    "PASSWORD_ENV",
    "API_KEY_ENV",
    "CA_CERTS_ENV",
    "TIMEOUT_ENV",
]

USER_ENV = "SEARCHLIB_OPENSEARCH_USER"
PASSWORD_ENV = "SEARCHLIB_OPENSEARCH_PASSWORD"
API_KEY_ENV = "SEARCHLIB_OPENSEARCH_API_KEY"
CA_CERTS_ENV = "SEARCHLIB_OPENSEARCH_CA_CERTS"
TIMEOUT_ENV = "SEARCHLIB_OPENSEARCH_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
"""Seconds one request may take before it fails with a timeout (bulk requests included)."""

_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
# OpenSearch index names: lowercase, none of \ / * ? " < > | , # : or space, not starting with
# - _ +, not . or .. (https://opensearch.org/docs/latest/api-reference/index-apis/create-index/).
_NAME = re.compile(r"^(?![-_+.])[^A-Z\\/*?\"<>|,#: ]{1,200}$")


def is_url(location: object) -> bool:
    """True when `location` names an OpenSearch index (an http or https URL), not a folder.

    >>> is_url("http://127.0.0.1:9200/news"), is_url("./index"), is_url(Path("http:/x"))
    (True, False, False)
    """
    return isinstance(location, str | OpenSearchAddress) and (
        isinstance(location, OpenSearchAddress) or bool(_SCHEME.match(location)))


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenSearchAddress:
    """An OpenSearch index: the cluster's base URL, the alias, and how to trust its TLS."""

    url: str
    """The location as given (shown in messages): ``http://127.0.0.1:9200/news``."""
    hosts: tuple[str, ...]
    """The nodes' base URLs: ``http://127.0.0.1:9200`` (``http://a:9200,b:9200/news`` lists
    two nodes; requests go to any live one)."""
    url_prefix: str
    """A path before the alias (a proxy's), else empty."""
    alias: str
    ca_certs: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def __str__(self) -> str:
        return self.url


def parse_address(location: str | OpenSearchAddress, *, ca_certs: str | Path | None = None,
                  timeout: float | None = None) -> OpenSearchAddress:
    """The address of an ``http(s)://host:port[,host:port...][/prefix]/name`` location.

    `ca_certs` (a PEM file to verify the cluster's certificate) defaults to the environment's
    ``SEARCHLIB_OPENSEARCH_CA_CERTS``, `timeout` to ``SEARCHLIB_OPENSEARCH_TIMEOUT`` (seconds),
    else 30. Raises `OptionError` naming the URL when it holds no valid index name, or
    credentials in it (they belong in the environment).

    >>> a = parse_address("http://127.0.0.1:9200/news")
    >>> a.hosts, a.alias, a.url_prefix
    (('http://127.0.0.1:9200',), 'news', '')
    >>> parse_address("https://a:9200,b:9201/proxy/news").hosts
    ('https://a:9200', 'https://b:9201')
    """
    if isinstance(location, OpenSearchAddress):
        return location
    parts = urlsplit(location.strip())
    if "@" in parts.netloc:
        raise OptionError(f"{parts.scheme}://***@{parts.netloc.rpartition('@')[2]}{parts.path}: "
                          f"put credentials in {USER_ENV} / {PASSWORD_ENV} (or {API_KEY_ENV}), "
                          "never in the URL")
    hosts = tuple(_node(parts.scheme.lower(), node, location)
                  for node in parts.netloc.split(","))
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        raise OptionError(f"{location}: no index name; give it as the URL's last path segment, "
                          f"e.g. {parts.scheme}://{parts.netloc}/news")
    alias = segments[-1]
    if not _NAME.match(alias) or alias in (".", ".."):
        raise OptionError(f"{location}: {alias!r} is not a valid OpenSearch index name "
                          "(lowercase, no spaces or \\ / * ? \" < > | , # :, not starting "
                          "with - _ + .)")
    certs = ca_certs if ca_certs is not None else os.environ.get(CA_CERTS_ENV) or None
    return OpenSearchAddress(
        url=location.strip(), hosts=hosts,
        url_prefix="/".join(segments[:-1]), alias=alias,
        ca_certs=str(certs) if certs else None,
        timeout=timeout if timeout is not None else _timeout_from_env())


def _timeout_from_env() -> float:
    value = os.environ.get(TIMEOUT_ENV)
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise OptionError(f"{TIMEOUT_ENV}={value!r}: expected a number of seconds above 0")
    return seconds


def _node(scheme: str, netloc: str, location: str) -> str:
    """The base URL of one node of `location`; `OptionError` when it is no host[:port]."""
    parts = urlsplit(f"{scheme}://{netloc}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise OptionError(f"{location}: invalid port in {netloc!r}; expected "
                          "http(s)://HOST:PORT/NAME") from None
    if not parts.hostname:
        raise OptionError(f"{location}: no host; expected http(s)://HOST:PORT/NAME")
    return f"{scheme}://{netloc}"


def credentials() -> dict[str, object]:
    """Client options for the credentials in the environment: ``http_auth`` from
    ``SEARCHLIB_OPENSEARCH_USER`` / ``_PASSWORD``, or an ``Authorization: ApiKey`` header from
    ``SEARCHLIB_OPENSEARCH_API_KEY``; none when neither is set.

    Raises `OptionError` when only one of user and password is set, or both kinds are.
    """
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    api_key = os.environ.get(API_KEY_ENV)
    if api_key and (user or password):
        raise OptionError(f"set either {API_KEY_ENV} or {USER_ENV} and {PASSWORD_ENV}, not both")
    if api_key:
        return {"headers": {"Authorization": f"ApiKey {api_key}"}}
    if bool(user) != bool(password):
        raise OptionError(f"set both {USER_ENV} and {PASSWORD_ENV} (only one is set)")
    return {"http_auth": (user, password)} if user else {}
