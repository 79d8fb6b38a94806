"""Library calls in library processes (`WebSettings.processes`, what `serve --workers N` runs):
every answer byte for byte the one a thread of the HTTP process gives, errors as JSON, calls
from many clients at once, a time limit, and a killed process replaced."""

from __future__ import annotations

import multiprocessing
import os
import signal
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from searchlib.web import WebSettings, create_app


@pytest.fixture(scope="module")
def processes_client(research_index_dir: Path) -> Iterator[TestClient]:
    settings = WebSettings(index=research_index_dir, processes=2, cache_bytes=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _library_processes() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "searchlib-serve-library"]


def _paths(research_articles) -> list[str]:
    ids = [a.id for a in research_articles[:: max(1, len(research_articles) // 6)]]
    searches = [{"q": "Лондон"}, {"q": "economy", "facets": "true", "page": "2"},
                {"q": "Brexit OR Лондон", "since": "2015-01-01", "sort": "-date"},
                {"q": "*", "lang": "ru", "collapse": "false", "facets": "true"}]
    paths = ["/api/search?" + urllib.parse.urlencode(p) for p in searches]
    paths += [f"/api/articles/{i}" for i in ids]
    paths += [f"/api/articles/{i}?q=%D0%9B%D0%BE%D0%BD%D0%B4%D0%BE%D0%BD" for i in ids]
    paths += [f"/api/similar/{i}?limit=5" for i in ids]
    paths += ["/api/timeline?q=Brexit&by=week&normalize=true", "/api/timeline?q=Лондон",
              "/api/top-terms?q=Brexit&limit=5", "/api/suggest?q=Лодон", "/api/stats"]
    return paths


def test_every_answer_is_the_threads_answer(client: TestClient, processes_client: TestClient,
                                            research_articles) -> None:
    assert len(_library_processes()) == 2
    for path in _paths(research_articles):
        threads, processes = client.get(path), processes_client.get(path)
        assert processes.status_code == threads.status_code == 200, path
        assert processes.content == threads.content, path


@pytest.mark.parametrize("path", [
    "/api/search?q=Brexit+title%3A%22deal", "/api/articles/no-such-id",
    "/api/similar/no-such-id", "/api/articles/no-such-id?q=x",
])
def test_errors_are_the_threads_errors(client: TestClient, processes_client: TestClient,
                                       path: str) -> None:
    threads, processes = client.get(path), processes_client.get(path)
    assert processes.status_code == threads.status_code >= 400
    assert processes.json() == threads.json() and "Traceback" not in processes.text


def test_many_clients_at_once_get_the_sequential_answers(processes_client: TestClient,
                                                         research_articles) -> None:
    paths = _paths(research_articles) * 3
    expected = {path: processes_client.get(path).content for path in set(paths)}
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(processes_client.get, paths))
    assert [a.status_code for a in answers] == [200] * len(paths)
    assert [a.content for a in answers] == [expected[p] for p in paths]


def test_a_slow_call_is_504(research_index_dir: Path) -> None:
    settings = WebSettings(index=research_index_dir, processes=1, timeout=0.001, cache_bytes=0)
    with TestClient(create_app(settings)) as slow:
        answer = slow.get("/api/search", params={"q": "*", "facets": "true"})
    assert answer.status_code == 504 and answer.json()["error"] == "timeout"


def test_a_killed_library_process_is_replaced(research_index_dir: Path) -> None:
    others = {p.pid for p in _library_processes()}  # the module's client's

    def mine() -> list[multiprocessing.process.BaseProcess]:
        return [p for p in _library_processes() if p.pid not in others]

    settings = WebSettings(index=research_index_dir, processes=1, cache_bytes=0)
    with TestClient(create_app(settings)) as one:
        assert one.get("/api/stats").status_code == 200
        [process] = mine()
        os.kill(process.pid, signal.SIGKILL)
        process.join(10)
        failed = one.get("/api/stats")  # the call that finds the pipe closed
        assert failed.status_code == 500 and failed.json()["error"] == "internal"
        assert one.get("/api/stats").json()["articles"] > 1000
        [replacement] = mine()
        assert replacement.pid != process.pid
    assert not mine()  # the lifespan's end stops them
