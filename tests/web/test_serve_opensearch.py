"""`searchlib serve --index URL`: the server opens an OpenSearch index through the same
`Index.open` as a folder (issue 22's engine seam) and answers from it; a cluster that does not
answer gives 503 with Retry-After, as a folder that cannot be opened does."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from starlette.testclient import TestClient

from searchlib.api import Index
from searchlib.ingest import find_inputs, read_articles
from searchlib.web import WebSettings, create_app

pytest.importorskip("opensearchpy", reason="the OpenSearch tests need the opensearch extra")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from searchlib.store.opensearch.address import parse_address  # noqa: E402


@pytest.mark.parametrize("processes", [0, 1], ids=["threads", "library process"])
def test_a_cluster_that_does_not_answer_is_503_with_retry_after(processes: int) -> None:
    settings = WebSettings(index=parse_address("http://127.0.0.1:1/news", timeout=5),
                           processes=processes, cache_bytes=0)
    with TestClient(create_app(settings)) as client:
        for path in ("/api/stats", "/api/search?q=x", "/api/articles/a1"):
            answer = client.get(path)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.headers["retry-after"].isdigit()
            assert "127.0.0.1:1" in answer.json()["message"]


def test_serve_answers_from_an_opensearch_index(opensearch_index_url: str, samples_dir) -> None:
    index = Index.create(opensearch_index_url, replicas=0)
    report = index.add(read_articles(find_inputs([samples_dir])))
    assert report.indexed >= 9
    article = next(index.articles())
    server = subprocess.Popen(
        [sys.executable, "-m", "searchlib", "serve", "--index", opensearch_index_url,
         "--port", "0", "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        line = server.stdout.readline()
        assert f"searchlib serving {opensearch_index_url} at http://" in line, \
            server.stderr.read()
        url = line.split(" at ", 1)[1].split()[0]

        def get(path: str):  # type: ignore[no-untyped-def]
            with urllib.request.urlopen(url + path, timeout=60) as answer:
                return json.load(answer)

        assert get("api/stats")["articles"] == len(index) == report.indexed
        assert get(f"api/articles/{article.id}") == article.to_json()
        with pytest.raises(urllib.error.HTTPError) as missing:
            get("api/articles/no-such-id")
        assert missing.value.code == 404
        query = urllib.parse.quote("Canada OR Канада")
        found = get(f"api/search?q={query}&limit=100")
        assert found["total"] == index.search("Canada OR Канада", limit=100).total > 0
        hit = found["hits"][0]["id"]
        assert get(f"api/articles/{hit}?q={query}")["highlights"] == \
            index.highlight(hit, "Canada OR Канада").to_json()
        timeline = get(f"api/timeline?q={query}&collapse=false")
        with urllib.request.urlopen(f"{url}api/export?q={query}&collapse=false&format=csv",
                                    timeout=60) as answer:
            rows = len(list(csv.reader(io.StringIO(answer.read().decode("utf-8"))))) - 1
        total = get(f"api/search?q={query}&collapse=false&limit=1")["total"]
        assert rows == total == sum(b["count"] for b in timeline["buckets"]) + \
            timeline["undated"]
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0
