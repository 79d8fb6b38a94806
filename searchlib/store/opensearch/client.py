"""The OpenSearch client of one index address, and the one place its errors become ours.

Every call to the cluster runs inside `cluster_errors`, which turns opensearch-py's exceptions
(and the urllib3 ones it wraps) into one-line `ClusterError`s naming the URL: cluster down or
wrong host, timeout, TLS, credentials refused, a request refused. Nothing else in searchlib
catches opensearch-py exceptions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy import exceptions as os_errors

from searchlib.errors import ClusterError, ConfigError, IndexNotFound
from searchlib.store.opensearch.address import (
    API_KEY_ENV,
    CA_CERTS_ENV,
    USER_ENV,
    OpenSearchAddress,
    credentials,
)

__all__ = ["connect", "cluster_errors", "error_reason"]

# opensearch-py logs every failed request as a warning; with no logging configured Python
# would print those on stderr beside our one-line error. An application's own logging
# configuration still receives them (they propagate to the root logger).
logging.getLogger("opensearch").addHandler(logging.NullHandler())


def connect(address: OpenSearchAddress) -> OpenSearch:
    """A client for the nodes of `address` (no request is made yet).

    Connection failures are retried on the other nodes listed (up to 3 times); timeouts are
    not retried (a slow cluster should not get the same work twice at once).
    """
    prefix = f"/{address.url_prefix}" if address.url_prefix else ""
    options: dict[str, Any] = {
        "hosts": [f"{host}{prefix}" for host in address.hosts],
        "timeout": address.timeout,
        "max_retries": 3,
        "retry_on_timeout": False,
        "http_compress": False,
        **credentials(),
    }
    if any(host.startswith("https://") for host in address.hosts):
        options.update(verify_certs=True, ca_certs=address.ca_certs)
    try:
        return OpenSearch(**options)
    except os_errors.ImproperlyConfigured as err:
        raise ConfigError(f"OpenSearch {address.url}: {err}") from err


_OS_ERROR = re.compile(r"\[Errno -?\d+\] [^'\")]+")


def error_reason(err: BaseException) -> str:
    """A short reason for an opensearch-py error: its type and reason, no stack or JSON."""
    if isinstance(err, os_errors.ConnectionError) and (found := _OS_ERROR.search(str(err))):
        return found.group(0).strip()
    if isinstance(err, os_errors.TransportError) and isinstance(err.info, dict):
        error = err.info.get("error")
        if isinstance(error, dict):
            root = (error.get("root_cause") or [error])[0]
            return f"{root.get('type', 'error')}: {root.get('reason', '')}".strip()
        if error:
            return str(error)
    if isinstance(err, os_errors.TransportError) and err.error not in (None, "N/A"):
        return str(err.error)
    cause = err.__cause__ or err.__context__
    return f"{type(cause or err).__name__}: {cause or err}"


@contextmanager
def cluster_errors(address: OpenSearchAddress, *, missing_ok: bool = False) -> Iterator[None]:
    """Run cluster calls; their failures raise `ClusterError` (or `IndexNotFound` for a
    missing index unless `missing_ok`, in which case a 404 passes through unchanged)."""
    url = address.url
    try:
        yield
    except os_errors.ConnectionTimeout as err:
        raise ClusterError(url, f"no answer within {address.timeout:g} s",
                           advice="the cluster may be overloaded; retry, or raise "
                                  "SEARCHLIB_OPENSEARCH_TIMEOUT (seconds)") from err
    except os_errors.SSLError as err:
        raise ClusterError(url, f"TLS failed ({error_reason(err)})",
                           advice=f"give the cluster's CA file with --ca-certs FILE (or "
                                  f"{CA_CERTS_ENV})") from err
    except os_errors.ConnectionError as err:
        raise ClusterError(url, f"cannot connect ({error_reason(err)})",
                           advice="is the cluster running and the URL right?") from err
    except os_errors.AuthenticationException as err:
        raise ClusterError(url, "credentials refused (401)",
                           advice=f"set {USER_ENV} and SEARCHLIB_OPENSEARCH_PASSWORD, or "
                                  f"{API_KEY_ENV}") from err
    except os_errors.AuthorizationException as err:
        raise ClusterError(url, f"not allowed (403: {error_reason(err)})",
                           advice="the user needs rights on this index") from err
    except os_errors.NotFoundError as err:
        if missing_ok:
            raise
        raise IndexNotFound(url) from err
    except os_errors.TransportError as err:
        status = err.status_code
        if status == 503:
            raise ClusterError(url, f"unavailable (503: {error_reason(err)})",
                               advice=f"shards may be missing (a red index): `searchlib check "
                                      f"--index {url}` tells more") from err
        raise ClusterError(url, f"request refused ({status}: {error_reason(err)})") from err
    except os_errors.OpenSearchException as err:
        raise ClusterError(url, error_reason(err)) from err
