"""The engine seam: both engines offer the whole `Engine` surface; the location picks one."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.engine import Engine, engine_class, open_index

_MEMBERS = sorted(name for name, value in vars(Engine).items()
                  if callable(value) and (not name.startswith("_") or name == "__len__"))


def test_the_protocol_names_every_command_s_call() -> None:
    for name in ("add", "remove", "get", "search", "count", "timeline", "top_terms",
                 "similar", "suggest", "export", "stats", "optimize", "highlight"):
        assert name in _MEMBERS


def test_the_whoosh_index_is_an_engine(sample_index: Index) -> None:
    assert isinstance(sample_index, Engine)
    assert open_index(sample_index.path).get(next(sample_index.articles()).id) is not None
    assert engine_class(sample_index.path) is Index


def test_the_opensearch_index_offers_every_member() -> None:
    pytest.importorskip("opensearchpy")
    from searchlib.api_opensearch import OpenSearchIndex

    missing = [name for name in _MEMBERS if not callable(getattr(OpenSearchIndex, name, None))]
    assert missing == []
    for name in ("create", "open", "open_or_create", "exists", "add_to", "rebuild", "check"):
        assert callable(getattr(OpenSearchIndex, name))
    assert engine_class("http://127.0.0.1:9200/news") is OpenSearchIndex


def test_a_url_opens_the_opensearch_engine(opensearch_index_url: str, tmp_path: Path) -> None:
    from searchlib.api_opensearch import OpenSearchIndex

    created = Index.create(opensearch_index_url, replicas=0)
    assert isinstance(created, OpenSearchIndex) and isinstance(created, Engine)
    opened = open_index(opensearch_index_url)
    assert isinstance(opened, OpenSearchIndex) and opened.concrete == created.concrete
    assert isinstance(Index.open_or_create(tmp_path / "index"), Index)


def test_serve_workers_get_the_url_and_its_ca_file(tmp_path: Path) -> None:
    """`serve --workers`' library processes are spawned with the index's location as their
    argument, which multiprocessing pickles: the address keeps its URL and CA file."""
    import pickle

    pytest.importorskip("fastapi")
    from searchlib.store.opensearch.address import parse_address
    from searchlib.web import WebSettings

    ca = tmp_path / "ca.pem"
    address = parse_address("https://a:9200,b:9201/news", ca_certs=ca)
    again = pickle.loads(pickle.dumps(WebSettings(index=address).index))
    assert again == address and again.ca_certs == str(ca)
    assert pickle.loads(pickle.dumps(WebSettings(index=tmp_path).index)) == tmp_path
