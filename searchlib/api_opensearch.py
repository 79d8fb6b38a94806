"""`OpenSearchIndex`: the library's front door for an index kept in OpenSearch (issue 22).

The same operations as `searchlib.api.Index` on a cluster: `OpenSearchStore` (create, open,
add, remove, get, stats, rebuild, check, optimize) plus the query stage's operations, which
the OpenSearch query builder (`searchlib.query.opensearch`) adds. Open it with
``Index.open("http://127.0.0.1:9200/news")`` or `searchlib.engine.open_index`; a folder opens
the Whoosh engine instead.

Needs the ``opensearch`` extra (opensearch-py); importing it without raises `ConfigError`.
"""

from __future__ import annotations

try:
    import opensearchpy  # noqa: F401 - fail here, with advice, rather than deep inside
except ImportError as err:  # pragma: no cover - the extra is installed in tests and CI
    from searchlib.errors import ConfigError

    raise ConfigError("an http(s):// index needs the OpenSearch client: "
                      'pip install "searchlib[opensearch]"') from err

from searchlib.store.opensearch.store import OpenSearchStore

__all__ = ["OpenSearchIndex"]


class OpenSearchIndex(OpenSearchStore):
    """A searchlib index in OpenSearch, reached through an alias.

    >>> OpenSearchIndex.open("http://127.0.0.1:1/news")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    searchlib.errors.ClusterError: OpenSearch http://127.0.0.1:1/news: cannot connect (...
    """
