"""The HTTP API over a real index of ~2,400 shared-corpus articles, through an in-process client.

Counts are checked against values computed without searchlib (regexes and counters over the
same `research_articles`), and every answer against the library's own `to_json()`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from research_corpus import outlet
from starlette.testclient import TestClient

from searchlib.api import Index
from searchlib.errors import ConfigError
from searchlib.model import Article, Lang
from searchlib.web import WebSettings, create_app

TOKEN = "test-token-0123456789abcdef"


def _regex_count(articles: list, pattern: str, lang: Lang) -> int:
    return sum(1 for a in articles
               if a.lang == lang and re.search(pattern, f"{a.title}\n{a.text}"))


# -- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "lang", "pattern"), [
    ("economy", "en", r"(?i)\beconom(y|ies)\b"),
    ("Лондон", "uk", r"(?i)\bлондон"),
])
def test_search_total_equals_an_independent_regex_count(client: TestClient, research_articles,
                                                        query, lang, pattern) -> None:
    expected = _regex_count(research_articles, pattern, Lang(lang))
    answer = client.get("/api/search", params={"q": query, "lang": lang, "collapse": "false"})
    assert answer.status_code == 200
    assert answer.json()["total"] == expected > 10


def test_language_and_source_facets_equal_counters_of_the_articles(client: TestClient,
                                                                   research_articles) -> None:
    langs = Counter(str(a.lang) for a in research_articles)
    sources = Counter(outlet(a) for a in research_articles)
    record = client.get("/api/search", params={"q": "*", "facets": "true",
                                               "collapse": "false"}).json()
    assert record["total"] == len(research_articles)
    assert record["facets"]["lang"] == dict(langs)
    assert record["facets"]["source"] == dict(sources.most_common(len(record["facets"]["source"])))
    # Clicking a facet value: the filtered total is that value's count.
    source, count = sources.most_common(2)[1]
    filtered = client.get("/api/search", params={"q": "*", "source": source,
                                                 "collapse": "false"}).json()
    assert filtered["total"] == count


def test_search_json_is_the_libraries(client: TestClient, research_index: Index) -> None:
    answer = client.get("/api/search", params={"q": "Brexit", "lang": "ru", "page": 2,
                                               "limit": 5, "facets": "true"})
    expected = research_index.search("Brexit", lang="ru", offset=5, limit=5, facets=True)
    assert answer.json() == json.loads(json.dumps(expected.to_json(), ensure_ascii=False))
    hit = answer.json()["hits"][0]
    assert hit["snippet"].count("<mark>") == len(hit["highlights"]) > 0


def test_pages_sort_and_dates(client: TestClient, research_articles) -> None:
    dated = [a for a in research_articles if a.lang == Lang.UK and a.published
             and "2020-01-01" <= a.published.date().isoformat() <= "2020-12-31"]
    record = client.get("/api/search", params={
        "q": "*", "lang": "uk", "since": "2020-01-01", "until": "2020-12-31", "sort": "-date",
        "collapse": "false", "limit": 100}).json()
    assert record["total"] == len(dated)
    dates = [h["published"] for h in record["hits"]]
    assert dates == sorted(dates, reverse=True)


# -- the other reading endpoints ---------------------------------------------------------------


def test_article_similar_suggest_stats_and_top_terms(client: TestClient,
                                                     research_index: Index,
                                                     research_articles) -> None:
    article = research_articles[0]
    assert client.get(f"/api/articles/{article.id}").json() == \
        research_index.get(article.id).to_json()
    similar = client.get(f"/api/similar/{article.id}", params={"limit": 5}).json()
    assert similar == research_index.similar(article.id, limit=5).to_json()
    # `Лодон` finds nothing (`Лондонн` would: its name key is London's, so it is not corrected)
    suggestion = client.get("/api/suggest", params={"q": "Лодон"}).json()
    assert suggestion == research_index.suggest("Лодон").to_json()
    assert suggestion["suggestion"] == "Лондон"
    stats = client.get("/api/stats").json()
    assert stats["articles"] == len({a.id for a in research_articles})
    terms = client.get("/api/top-terms", params={"q": "Brexit", "limit": 5}).json()
    assert terms == research_index.top_terms("Brexit", limit=5).to_json()


_LONDON_FORMS = {"Лондон", "Лондона", "Лондону", "Лондоном", "Лондоне"}


def test_an_article_marks_every_form_of_the_query_words(client: TestClient,
                                                        research_articles) -> None:
    """`?q=` marks each inflected form of the word wherever it stands (ranges found here with a
    regex over the same articles: Russian articles that mention London only in noun forms)."""
    def london_nouns_only(article: Article) -> bool:
        found = re.findall(r"(?i)лондон[\w-]*", f"{article.title}\n{article.lead}\n{article.text}")
        return len(found) >= 2 and set(found) <= _LONDON_FORMS

    chosen = [a for a in research_articles if a.lang == Lang.RU and london_nouns_only(a)]
    assert len(chosen) >= 10
    for article in chosen[:10]:
        record = client.get(f"/api/articles/{article.id}", params={"q": "Лондон"}).json()
        marks = record.pop("highlights")
        assert record == client.get(f"/api/articles/{article.id}").json()
        for name in ("title", "lead", "text"):
            expected = [list(m.span()) for m in re.finditer(r"\bЛондон(?:а|у|ом|е)?\b",
                                                            getattr(article, name) or "")]
            assert marks[name] == expected, (article.id, name)
        assert marks["id"] == article.id and marks["query"] == "Лондон"
    assert client.get(f"/api/articles/{chosen[0].id}", params={"q": 'title:"x'}).status_code == 400


@pytest.mark.parametrize("collapse", ["true", "false"])
def test_timeline_sum_equals_search_total(client: TestClient, collapse: str) -> None:
    params = {"q": "Brexit OR Лондон", "collapse": collapse}
    total = client.get("/api/search", params=params).json()["total"]
    timeline = client.get("/api/timeline", params={**params, "by": "week"}).json()
    assert sum(b["count"] for b in timeline["buckets"]) + timeline["undated"] == total > 100
    assert timeline["matches"] == total


# -- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("collapse", ["true", "false"])
def test_export_rows_equal_search_total(client: TestClient, collapse: str) -> None:
    params = {"q": "Brexit", "collapse": collapse}
    total = client.get("/api/search", params=params).json()["total"]
    jsonl = client.get("/api/export", params={**params, "fields": "id,published,title"})
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    provenance = lines[0]["provenance"]
    assert provenance["total"] == total == len(lines) - 1 > 100
    assert provenance["query"] == "Brexit" and provenance["build_id"]
    assert all(set(row) == {"id", "published", "title"} for row in lines[1:])
    assert len({row["id"] for row in lines[1:]}) == total
    answer = client.get("/api/export", params={**params, "format": "csv"})
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:3] == ["id", "published", "lang"] and len(rows) - 1 == total
    assert json.loads(answer.headers["x-searchlib-provenance"])["total"] == total
    assert answer.headers["content-disposition"].startswith("attachment; filename=")


# -- errors ------------------------------------------------------------------------------------


def test_invalid_query_is_400_with_message_and_position(client: TestClient) -> None:
    answer = client.get("/api/search", params={"q": 'Brexit title:"deal'})
    assert answer.status_code == 400
    record = answer.json()
    assert record["error"] == "invalid_query" and record["position"] == 13
    assert "never closed" in record["message"] and "Traceback" not in answer.text


@pytest.mark.parametrize("params", [
    {"q": "x", "limit": "1000"}, {"q": "x", "since": "yesterday"}, {"q": ""},
    {"q": "x" * 1001}, {"q": "x", "page": "2", "offset": "3"}, {"q": "x", "lang": "de"},
    {"q": "x", "page": "5000"}, {},
])
def test_bad_parameters_are_400(client: TestClient, params: dict) -> None:
    answer = client.get("/api/search", params=params)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_parameter" and answer.json()["message"]


@pytest.mark.parametrize("path", ["/api/articles/no-such-id", "/api/similar/no-such-id",
                                  "/api/articles/..%2F..%2Fetc%2Fpasswd", "/api/nothing"])
def test_unknown_ids_and_paths_are_404(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404 and answer.json()["status"] == 404


def test_an_index_that_cannot_be_opened_is_503_with_retry_after(tmp_path: Path) -> None:
    with TestClient(create_app(WebSettings(index=tmp_path / "missing"))) as missing:
        answer = missing.get("/api/search", params={"q": "x"})
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        assert "no index at" in answer.json()["message"]
        Index.create(tmp_path / "missing").add([Article(id="a", title="t", text="hello world")])
        assert missing.get("/api/search", params={"q": "hello"}).json()["total"] == 1


def test_a_slow_request_is_504(research_index_dir: Path) -> None:
    settings = WebSettings(index=research_index_dir, timeout=0.001)
    with TestClient(create_app(settings)) as slow:
        answer = slow.get("/api/export", params={"q": "*"})
    assert answer.status_code == 504 and answer.json()["error"] == "timeout"


def test_writing_is_off_by_default(client: TestClient, research_articles) -> None:
    answer = client.post("/api/articles", content=b'{"text": "x"}\n')
    assert answer.status_code == 405 and "--allow-write" in answer.json()["message"]
    assert client.delete(f"/api/articles/{research_articles[0].id}").status_code == 405


def test_security_headers_and_openapi(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<script" in page.text and "<script>" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert client.get("/api/stats").headers["x-content-type-options"] == "nosniff"
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/articles/{article_id}", "/api/timeline", "/api/top-terms",
            "/api/similar/{article_id}", "/api/suggest", "/api/stats",
            "/api/export"} <= set(spec["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs.js" in docs.text and "http" not in \
        "".join(re.findall(r'(?:src|href)="([^"]*)"', docs.text))


# -- writing -----------------------------------------------------------------------------------


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_post_and_delete_articles_with_a_token(write_client: TestClient) -> None:
    body = "\n".join([
        json.dumps({"id": "w1", "title": "Перший", "text": "Київ оголосив новий план.",
                    "lang": "uk"}, ensure_ascii=False),
        '{"id": "bad", "title": "no text"}',
        json.dumps({"id": "w2", "title": "Second", "text": "London announced a plan.",
                    "lang": "en"}),
    ]).encode()
    assert write_client.post("/api/articles", content=body).status_code == 401
    wrong = write_client.post("/api/articles", content=body, headers=_auth("x" * 30))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    report = write_client.post("/api/articles", content=body, headers=_auth()).json()
    assert report["indexed"] == 2 and report["failed"] == 1
    assert report["failures"][0]["line"] == 2 and "text" in report["failures"][0]["reason"]
    assert write_client.get("/api/search", params={"q": "план"}).json()["total"] == 1
    assert write_client.delete("/api/articles/w1").status_code == 401
    deleted = write_client.delete("/api/articles/w1", headers=_auth())
    assert deleted.status_code == 200 and deleted.json()["deleted"] == ["w1"]
    assert write_client.get("/api/articles/w1").status_code == 404
    assert write_client.delete("/api/articles/w1", headers=_auth()).status_code == 404
    nothing = write_client.post("/api/articles", content=b"not json\n", headers=_auth())
    assert nothing.status_code == 400 and nothing.json()["failed"] == 1


def test_uploads_have_a_size_limit(tmp_path: Path) -> None:
    settings = WebSettings(index=tmp_path / "index", allow_write=True, token=TOKEN,
                           max_upload_bytes=1000)
    with TestClient(create_app(settings)) as small:
        answer = small.post("/api/articles", content=b" " * 2000, headers=_auth())
    assert answer.status_code == 413


def test_writing_needs_a_long_enough_token(tmp_path: Path) -> None:
    for token in (None, "", "short"):
        with pytest.raises(ConfigError, match="SEARCHLIB_TOKEN"):
            WebSettings(index=tmp_path, allow_write=True, token=token)


def test_the_server_follows_new_commits(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    index.add([Article(id="a", title="one", text="first article about Odesa")])
    with TestClient(create_app(WebSettings(index=tmp_path / "index"))) as live:
        first = live.get("/api/search", params={"q": "Odesa"})
        again = live.get("/api/search", params={"q": "Odesa"})
        assert first.json()["total"] == again.json()["total"] == 1
        assert (first.headers["x-searchlib-cache"], again.headers["x-searchlib-cache"]) == \
            ("miss", "hit")
        index.add([Article(id="b", title="two", text="second article about Odesa")])
        after = live.get("/api/search", params={"q": "Odesa"})
        assert after.json()["total"] == 2 and after.headers["x-searchlib-cache"] == "miss"
        index.delete(["b"])
        assert live.get("/api/search", params={"q": "Odesa"}).json()["total"] == 1
        Index.rebuild(tmp_path / "index", [Article(id="c", title="three", text="Odesa port")],
                      allow_shrink=True)
        hits = live.get("/api/search", params={"q": "Odesa"}).json()["hits"]
        assert [h["id"] for h in hits] == ["c"]


def test_the_answer_cache_stays_within_its_memory() -> None:
    from searchlib.web.app import _AnswerCache

    cache = _AnswerCache(max_bytes=8000)
    for number in range(100):
        cache.put(("stamp", "/api/search", (("q", str(number)),)), b"x" * 900)
    kept = [n for n in range(100) if cache.get(("stamp", "/api/search", (("q", str(n)),)))]
    assert kept == list(range(92, 100))  # the least recently used went first
    cache.put(("stamp", "/big", ()), b"x" * 1001)  # over an eighth: not kept
    assert cache.get(("stamp", "/big", ())) is None
