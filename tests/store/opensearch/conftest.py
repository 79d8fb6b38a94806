"""Fixtures of the OpenSearch store tests: the test cluster and fresh index URLs.

Interim copies of osops's session fixtures (`opensearch_url`, `opensearch_index_url` in
tests/conftest.py, same names and environment variable) until those land on main.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator

import pytest

ENV = "SEARCHLIB_TEST_OPENSEARCH"


@pytest.fixture(scope="session")
def opensearch_url() -> str:
    """The test cluster's base URL from $SEARCHLIB_TEST_OPENSEARCH; skips when it is unset,
    the client is missing or the cluster does not answer."""
    if importlib.util.find_spec("opensearchpy") is None:
        pytest.skip("opensearch-py is not installed (pip install -e '.[opensearch]')")
    url = os.environ.get(ENV, "").strip().rstrip("/")
    if not url:
        pytest.skip(f"no OpenSearch cluster: set {ENV} to its base URL "
                    "(e.g. http://127.0.0.1:9200)")
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import OpenSearchException

    try:
        OpenSearch(url, timeout=10).cluster.health()
    except OpenSearchException as err:
        pytest.skip(f"{ENV}={url} does not answer: {err}")
    return url


def _drop(base: str, name: str) -> None:
    from opensearchpy import OpenSearch

    OpenSearch(base, timeout=60).indices.delete(index=f"{name}*", expand_wildcards="all",
                                                ignore_unavailable=True)


@pytest.fixture
def opensearch_index_url(opensearch_url: str) -> Iterator[str]:
    """A fresh index URL on the test cluster, deleted (alias and concrete indexes) after."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield f"{opensearch_url}/{name}"
    _drop(opensearch_url, name)


@pytest.fixture(scope="module")
def module_index_url(opensearch_url: str) -> Iterator[str]:
    """An index URL shared by one module's tests, deleted after them."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield f"{opensearch_url}/{name}"
    _drop(opensearch_url, name)
