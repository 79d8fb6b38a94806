"""The web layer's fixtures: an in-process client over the shared research index (read-only)
and a writable server over a fresh index. Skipped without the ``serve`` extra."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web tests need the serve extra: "
                                      "pip install -e '.[serve,test]'")
pytest.importorskip("httpx2", reason="the web tests need httpx2 (the test extra)")

from starlette.testclient import TestClient  # noqa: E402

from searchlib.web import WebSettings, create_app  # noqa: E402

TOKEN = "test-token-0123456789abcdef"
"""The bearer token of `write_client` (the same literal is in the tests that send it)."""


@pytest.fixture(scope="session")
def client(research_index_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(index=research_index_dir))) as test_client:
        yield test_client


@pytest.fixture
def write_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = WebSettings(index=tmp_path / "index", allow_write=True, token=TOKEN)
    with TestClient(create_app(settings)) as test_client:
        yield test_client
