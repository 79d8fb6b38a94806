"""Shared fixtures: the samples, the shared corpus (skipped when absent) and a built index."""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchlib.api import Index
from searchlib.ingest import find_inputs, read_articles

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CORPUS = Path(os.environ.get("SEARCHLIB_CORPUS") or ROOT.parent / "shared" / "corpus")
"""The shared corpus: $SEARCHLIB_CORPUS, else ../shared/corpus beside the checkout."""


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (set SEARCHLIB_CORPUS, or put it at "
                    "../shared/corpus beside the checkout)")
    return CORPUS


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only index of samples/ shared by the tests that only search."""
    path = tmp_path_factory.mktemp("samples") / "index"
    index = Index.create(path)
    report = index.add(read_articles(find_inputs([SAMPLES])))
    assert report.indexed >= 9, report
    return path


@pytest.fixture(scope="session")
def sample_index(sample_index_dir: Path) -> Index:
    return Index.open(sample_index_dir)


@pytest.fixture
def fresh_index(tmp_path: Path) -> Index:
    """An empty index for a test that writes."""
    return Index.create(tmp_path / "index")


@pytest.fixture(scope="session")
def research_articles(corpus_dir: Path) -> list:
    """~2,400 real uk/ru/en articles (`tests/research_corpus.py`) for tests that check counts
    against an expected value computed independently of searchlib."""
    from research_corpus import research_articles as load

    return load(corpus_dir)


@pytest.fixture(scope="session")
def research_index_dir(research_articles: list,
                       tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only index of `research_articles`, built once per session."""
    path = tmp_path_factory.mktemp("research") / "index"
    report = Index.create(path).add(research_articles)
    assert report.indexed + report.skipped == len(research_articles), report
    assert report.indexed > 2000, report
    return path


@pytest.fixture(scope="session")
def research_index(research_index_dir: Path) -> Index:
    return Index.open(research_index_dir)


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """The base URL of the test OpenSearch cluster (no index name), from
    $SEARCHLIB_TEST_OPENSEARCH: a URL (CI's 3-node cluster; fails if it does not answer), or
    `start` for a throw-away single node started here. Unset: the test skips."""
    from opensearch_cluster import (
        ENV,
        LocalCluster,
        answers,
        cannot_start,
        cluster_folder,
        free_port,
    )

    if importlib.util.find_spec("opensearchpy") is None:
        pytest.skip("opensearch-py is not installed (pip install -e '.[opensearch]')")
    wanted = os.environ.get(ENV, "").strip()
    if not wanted:
        pytest.skip(f"no OpenSearch cluster: set {ENV} to its URL (e.g. http://127.0.0.1:9200, "
                    "see scripts/opensearch) or to 'start' to start a node for the session")
    if wanted != "start":
        if not answers(wanted):
            pytest.fail(f"{ENV}={wanted} does not answer")
        yield wanted.rstrip("/")
        return
    if reason := cannot_start():
        pytest.skip(reason)
    cluster = LocalCluster(folder=cluster_folder(), nodes=1, http_port=free_port(),
                           transport_port=free_port())
    try:
        cluster.start()
        yield cluster.url
    finally:
        if (cluster.folder / "cluster.json").exists():
            cluster.stop()
        shutil.rmtree(cluster.folder)


@pytest.fixture
def opensearch_index_url(opensearch_url: str) -> Iterator[str]:
    """A fresh index URL on the test cluster; the alias and every concrete index made under
    its name are deleted after the test."""
    from opensearchpy import OpenSearch

    name = f"test-{uuid.uuid4().hex[:12]}"
    yield f"{opensearch_url}/{name}"
    client = OpenSearch(opensearch_url, timeout=60)
    client.indices.delete(index=f"{name}*", expand_wildcards="all", ignore_unavailable=True)
