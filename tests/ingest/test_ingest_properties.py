"""Property-based: for any bytes, extract_article returns an Article or raises InputError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchlib.errors import InputError
from searchlib.ingest import extract_article
from searchlib.model import Article

_TAGS = st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<html>", "<body>", "<title>",
                         "</title>", "<h1>", "<script type='application/ld+json'>", "</script>",
                         "<meta charset='koi8-r'>", "<!DOCTYPE html [<!ENTITY a 'b'>]>", "&a;",
                         '{"@type": "NewsArticle", "datePublished": "2025-13-45"}', "\x00"])
_HTML = st.lists(st.one_of(_TAGS, st.text(max_size=80)), max_size=60).map("".join)
_ENCODINGS = st.sampled_from(["utf-8", "cp1251", "koi8-u", "utf-16"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=_HTML, encoding=_ENCODINGS)
def test_any_markup_gives_an_article_or_input_error(html: str, encoding: str) -> None:
    data = html.encode(encoding, "replace")
    try:
        article = extract_article(data, path="fuzz.html")
    except InputError as err:
        assert err.source == "fuzz.html"
        return
    assert isinstance(article, Article) and article.text


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=2000))
def test_any_bytes_give_an_article_or_input_error(data: bytes) -> None:
    try:
        extract_article(data, path="fuzz.bin")
    except InputError as err:
        assert err.source == "fuzz.bin"


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["id", "text", "title", "lang", "published", "authors",
                                       "tags", "url", "alternates", "x"]), children, max_size=6),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(records=st.lists(_JSON_VALUES, min_size=1, max_size=5))
def test_any_jsonl_line_gives_an_article_or_a_failure_with_its_line(records: list,
                                                                    tmp_path_factory) -> None:
    import json

    from searchlib.ingest import read_articles
    from searchlib.model import Failure

    path = tmp_path_factory.mktemp("jsonl") / "fuzz.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    results = list(read_articles([path]))
    assert len(results) == len(records)
    for number, result in enumerate(results, start=1):
        assert isinstance(result, Article | Failure)
        if isinstance(result, Failure):
            assert result.line == number and result.source == str(path)


def test_random_bytes_named_html_are_refused_as_binary(tmp_path) -> None:
    import random

    from searchlib.ingest import read_articles
    from searchlib.model import Failure

    page = tmp_path / "noise.html"
    page.write_bytes(random.Random(7).randbytes(3000))
    (item,) = list(read_articles([page]))
    assert isinstance(item, Failure) and "binary" in item.reason
