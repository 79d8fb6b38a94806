"""The search page in a real headless Chromium (Debian's `chromium`, driven by Playwright).

One `searchlib serve --allow-write` process serves a copy of the research index, to which the
tests upload three articles of their own through the API: a Ukrainian story and its English
version (hreflang alternates), and one titled `<script>alert(1)</script>`. Expected numbers come
from the JSON API of the same server. A screenshot of the results page is saved under
`test-artifacts/` (git-ignored). The page's CSP forbids eval, so the tests wait with locators,
never with `wait_for_function`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the browser tests need playwright (the test extra)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip("the browser tests need Debian's chromium (apt-get install chromium)",
                allow_module_level=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOKEN = "browser-token-0123456789abcdef"
EVIL = "<script>alert(1)</script>"
UPLOADS = [
    {"id": "web-uk", "lang": "uk", "url": "https://example.org/uk/story",
     "alternates": [["en", "https://example.org/en/story"]],
     "title": "Міст через Дніпро відкрили для руху",
     "text": "Новий міст через Дніпро відкрили для руху після трьох років будівництва."},
    {"id": "web-en", "lang": "en", "url": "https://example.org/en/story",
     "alternates": [["uk", "https://example.org/uk/story"]],
     "title": "Bridge over the Dnipro opens to traffic",
     "text": "A new bridge over the Dnipro opened to traffic after three years of building."},
    {"id": "web-evil", "lang": "en", "title": EVIL,
     "text": "An article whose title is markup: <b>bold</b> and <img src=x onerror=alert(2)>."},
]


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as answer:
        return json.load(answer)


@pytest.fixture(scope="module")
def server(research_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    copy = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(research_index_dir, copy)
    process = subprocess.Popen(
        [sys.executable, "-m", "searchlib", "serve", "--index", str(copy), "--port", "0",
         "--allow-write"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SEARCHLIB_TOKEN": TOKEN})
    try:
        line = process.stdout.readline()
        assert " at http://" in line, process.stderr.read()
        url = line.split(" at ", 1)[1].split()[0].rstrip("/")
        body = "\n".join(json.dumps(record, ensure_ascii=False) for record in UPLOADS)
        request = urllib.request.Request(url + "/api/articles", data=body.encode(),
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert json.load(answer)["indexed"] == len(UPLOADS)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox cannot start as root (CI runs as root).
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    opened = context.new_page()
    opened.dialogs = []
    opened.errors = []
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()
    assert opened.errors == []


def _total(page: Any) -> int:
    return int(page.locator("#total").get_attribute("data-total"))


def _api_total(server: str, **params: str) -> int:
    return _get(f"{server}/api/search?{urllib.parse.urlencode(params)}")["total"]


def test_a_query_shows_hits_with_marked_words(page: Any, server: str) -> None:
    page.goto(server + "/?hl=en")
    page.fill("#q", "Brexit")
    page.press("#q", "Enter")
    page.wait_for_selector("#total")
    assert "q=Brexit" in page.url
    assert _total(page) == _api_total(server, q="Brexit") > 100
    marks = page.locator(".hit mark").all_inner_texts()
    assert marks and all(re.search(r"(?i)brexit|брекс|брекз", mark) for mark in marks)
    assert page.locator(".hit").count() == 10
    page.wait_for_selector("figure.timeline")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-results.png"), full_page=True)


def test_clicking_a_facet_filters_and_back_restores(page: Any, server: str) -> None:
    page.goto(server + "/?q=Brexit&hl=en")
    page.wait_for_selector("#total")
    before = _total(page)
    link = page.locator('.facet[data-facet="source"] a').nth(1)
    source = link.get_attribute("data-value")
    shown = int(link.locator("xpath=following-sibling::span").inner_text())
    link.click()
    sync_api.expect(page.locator("#total")).not_to_have_attribute("data-total", str(before))
    assert _total(page) == shown == _api_total(server, q="Brexit", source=source) < before
    assert "source=" in page.url
    download = page.locator("#download-csv").get_attribute("href")
    with urllib.request.urlopen(server + download, timeout=60) as answer:
        rows = list(csv.reader(io.StringIO(answer.read().decode("utf-8"))))
    assert len(rows) - 1 == shown and f"source={urllib.parse.quote(source)}" in download
    page.go_back()
    sync_api.expect(page.locator("#total")).to_have_attribute("data-total", str(before))
    assert "source=" not in page.url


def test_article_page_and_its_other_language_version(page: Any, server: str) -> None:
    page.goto(server + "/?q=Дніпро міст&hl=uk")
    page.wait_for_selector(".hit")
    page.locator('.hit[data-id="web-uk"] h2 a').click()
    page.wait_for_selector("#article-title")
    assert page.url.startswith(server + "/article/web-uk")
    assert page.inner_text("#article-title") == UPLOADS[0]["title"]
    # Opened from the results: the query's words are marked, in any form, and nothing else.
    words = re.compile(r"(?i)\bміст\w*|\bдніпр\w*")
    for selector, text in (("#article-title", UPLOADS[0]["title"]),
                           (".article .text", UPLOADS[0]["text"])):
        assert page.locator(f"{selector} mark").all_inner_texts() == words.findall(text)
    assert page.locator("#article-title").inner_html() == \
        "<mark>Міст</mark> через <mark>Дніпро</mark> відкрили для руху"
    version = page.locator('#translation a[lang="en"]')
    assert version.inner_text() == UPLOADS[1]["title"]
    version.click()
    sync_api.expect(page.locator("#article-title")).to_have_text(UPLOADS[1]["title"])
    assert page.locator('#translation a[lang="uk"]').inner_text() == UPLOADS[0]["title"]
    page.go_back()
    sync_api.expect(page.locator("#article-title")).to_have_text(UPLOADS[0]["title"])


def test_timeline_has_one_bar_per_bucket_per_language(page: Any, server: str) -> None:
    page.goto(server + "/?q=Москва&hl=ru")
    page.wait_for_selector("figure.timeline")
    total = _total(page)
    figures = page.locator("figure.timeline")
    counted = 0
    bars_by_lang = {}
    for number in range(figures.count()):
        figure = figures.nth(number)
        lang = figure.get_attribute("data-lang")
        expected = _get(f"{server}/api/timeline?q=%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0&lang={lang}")
        bars = figure.locator("rect.bar")
        assert bars.count() == len(expected["buckets"])
        bars_by_lang[lang] = bars.count()
        counts = [int(c) for c in figure.locator("rect.bar").evaluate_all(
            "bars => bars.map(b => b.dataset.count)")]
        assert counts == [b["count"] for b in expected["buckets"]]
        counted += sum(counts) + expected["undated"]
    # Dated ru and uk articles mention Москва; the English ones (Moscow, through the name
    # table) are undated BBC stories, so their chart has no bars.
    assert bars_by_lang["ru"] > 0 and bars_by_lang["uk"] > 0 and counted == total


def test_markup_in_a_title_is_shown_as_text(page: Any, server: str) -> None:
    page.goto(server + "/article/web-evil")
    page.wait_for_selector("#article-title")
    assert page.inner_text("#article-title") == EVIL
    assert "<img src=x onerror=alert(2)>" in page.inner_text(".article .text")
    page.goto(server + "/?q=" + urllib.parse.quote("title:script"))
    page.wait_for_selector(".hit")
    assert page.locator('.hit[data-id="web-evil"] h2').inner_text() == EVIL
    assert page.locator("script").count() == 1 and page.locator(".hit img").count() == 0
    # The article opened from that search: marks are added to the escaped text, nothing else.
    page.locator('.hit[data-id="web-evil"] h2 a').click()
    page.wait_for_selector("#article-title mark")
    assert page.inner_text("#article-title") == EVIL
    assert page.locator("#article-title").inner_html() == \
        "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"
    assert page.locator(".article img, .article b").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []


def test_keyboard_phone_width_and_interface_languages(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="uk-UA")
    phone = context.new_page()
    try:
        phone.goto(server + "/")
        phone.wait_for_selector(".stats")
        assert phone.inner_text("button[type=submit]") == "Шукати"
        phone.keyboard.press("/")
        assert phone.evaluate("document.activeElement.id") == "q"
        phone.keyboard.type("Brexit")
        phone.keyboard.press("Enter")
        phone.wait_for_selector(".hit")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.locator(".hit h2 a").first.focus()
        phone.keyboard.press("Enter")
        phone.wait_for_selector("#article-title")
        phone.goto(server + "/?q=Brexit&hl=ru")
        phone.wait_for_selector("#total")
        assert phone.inner_text("button[type=submit]") == "Искать"
        assert "результат" in phone.inner_text("#total")
    finally:
        context.close()


def test_the_docs_page_lists_every_endpoint_and_tries_one(page: Any, server: str) -> None:
    paths = _get(server + "/openapi.json")["paths"]
    page.goto(server + "/docs")
    page.wait_for_selector("section.endpoint")
    assert page.locator("section.endpoint").count() == sum(len(p) for p in paths.values())
    search = page.locator("#get-api-search")
    search.locator('input[name="q"]').fill("Brexit")
    search.locator("button").click()
    sync_api.expect(search.locator(".answer")).to_contain_text('"total": ')
    assert f'"total": {_api_total(server, q="Brexit")}' in search.locator(".answer").inner_text()
