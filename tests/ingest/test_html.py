"""extract_article on pages written for the tests: metadata, charsets, language, non-articles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ingest_pages import EN_TEXT, RU_TEXT, UK_TEXT, article_page

from searchlib.errors import NotAnArticle
from searchlib.ingest import extract_article
from searchlib.model import Lang, make_article_id

NEWS_LD = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebSite", "name": "Daily News"},
        {
            "@type": "NewsArticle",
            "headline": "Bridge repair approved by the council",
            "datePublished": "2025-08-24T10:30:00+03:00",
            "dateModified": "2025-08-25T08:00:00Z",
            "author": [{"@type": "Person", "name": "Jane Doe"}, {"name": "John Roe"}],
            "publisher": {"@type": "Organization", "name": "Daily News"},
            "keywords": "bridge, council, transport",
            "description": "Repairs start next spring.",
            "inLanguage": "en",
        },
    ],
}
HEAD = (
    '<link rel="canonical" href="https://news.example.com/2025/08/bridge">'
    '<link rel="alternate" hreflang="uk" href="https://news.example.com/uk/2025/08/bridge">'
    '<link rel="alternate" hreflang="ru" href="/ru/2025/08/bridge">'
    '<link rel="alternate" hreflang="en" href="https://news.example.com/2025/08/bridge">'
    '<meta property="og:title" content="OG title">'
    '<meta property="article:tag" content="ignored when JSON-LD has keywords">'
)


def test_structured_data_fills_every_field() -> None:
    page = article_page(head=HEAD, json_ld=NEWS_LD).encode("utf-8")
    article = extract_article(page, url="https://www.news.example.com/2025/08/bridge?utm=x",
                              path="page.html")
    assert article.title == "Bridge repair approved"  # the visible <h1>, same story as JSON-LD
    assert article.published == datetime(2025, 8, 24, 7, 30, tzinfo=UTC)
    assert article.modified == datetime(2025, 8, 25, 8, 0, tzinfo=UTC)
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.tags == ("bridge", "council", "transport")
    assert article.source == "Daily News"
    assert article.lead == "Repairs start next spring."
    assert article.canonical_url == "https://news.example.com/2025/08/bridge"
    assert article.alternates == (("uk", "https://news.example.com/uk/2025/08/bridge"),
                                  ("ru", "https://www.news.example.com/ru/2025/08/bridge"))
    assert article.lang is Lang.EN
    assert article.path == "page.html"
    assert article.id == make_article_id(canonical_url=article.canonical_url, url=article.url,
                                         title=article.title, text=article.text)
    assert "engineers said the work would start" in article.text.lower()
    assert "All rights reserved" not in article.text
    assert not article.text.startswith("Bridge repair approved")


def test_meta_tags_when_there_is_no_json_ld() -> None:
    head = ('<meta property="og:title" content="Мости відремонтують">'
            '<meta property="article:published_time" content="2024-02-01T09:00:00+02:00">'
            '<meta name="author" content="Олена Коваль">'
            '<meta property="article:tag" content="мости">'
            '<meta property="article:tag" content="Київ">'
            '<meta name="description" content="Ремонт почнеться навесні.">')
    page = article_page(title="Мости", text=UK_TEXT, lang="ru", head=head).encode("utf-8")
    article = extract_article(page, url="https://www.example.ua/news/1")
    assert article.title == "Мости відремонтують"
    assert article.published == datetime(2024, 2, 1, 7, 0, tzinfo=UTC)
    assert article.authors == ("Олена Коваль",)
    assert article.tags == ("мости", "Київ")
    assert article.lead == "Ремонт почнеться навесні."
    assert article.source == "example.ua"
    # <html lang="ru"> is only a hint: the text is Ukrainian.
    assert article.lang is Lang.UK


@pytest.mark.parametrize("codec", ["windows-1251", "koi8-r", "koi8-u", "utf-8"])
@pytest.mark.parametrize("declared", [True, False], ids=["declared", "detected"])
def test_legacy_cyrillic_encodings(codec: str, declared: bool) -> None:
    text = RU_TEXT if codec == "koi8-r" else UK_TEXT
    title = "Новини дня" if codec != "koi8-r" else "Новости дня"
    html = article_page(title=title, text=text, lang="", charset=codec if declared else None)
    article = extract_article(html.encode(codec), path=f"page-{codec}.html")
    assert article.title.startswith(title)
    assert text.split(". ")[1] in article.text
    assert article.lang is (Lang.RU if codec == "koi8-r" else Lang.UK)


def test_http_charset_wins_over_a_wrong_meta() -> None:
    html = article_page(text=RU_TEXT, title="Новости", charset="iso-8859-1")
    article = extract_article(html.encode("cp1251"), charset="windows-1251")
    assert "льготные кредиты" in article.text


def test_utf8_page_declaring_windows_1251_is_read_as_utf8() -> None:
    html = article_page(text=RU_TEXT, title="Новости", charset="windows-1251")
    assert "льготные кредиты" in extract_article(html.encode("utf-8")).text


def test_bom_wins() -> None:
    html = article_page(text=UK_TEXT, title="Новини", charset="windows-1251")
    data = "\ufeff".encode("utf-16-le") + html.encode("utf-16-le")
    assert "генератори" in extract_article(data).text


def test_language_from_text_not_html_lang() -> None:
    for text, lang in ((UK_TEXT, Lang.UK), (RU_TEXT, Lang.RU), (EN_TEXT, Lang.EN)):
        page = article_page(title="Title", text=text, lang="en" if lang is not Lang.EN else "uk")
        assert extract_article(page.encode()).lang is lang


@pytest.mark.parametrize(("html", "url", "reason"), [
    (article_page(title="404 Not Found", text="Sorry, the page you asked for is gone."),
     "https://example.com/x", "error page"),
    (article_page(title="Сторінку не знайдено", text="Вибачте."), None, "error page"),
    (article_page(title="Daily News", text=EN_TEXT), "https://www.example.com/", "home page"),
    (article_page(title="Bridge", text="Subscribe to read the rest of this story.",
                  json_ld={"@type": "NewsArticle", "headline": "Bridge",
                           "isAccessibleForFree": "False"}), None, "paywall"),
    (article_page(title="World", text="Short teaser."), "https://example.com/world/",
     "no article body"),
    (article_page(title="World news", text=EN_TEXT,
                  json_ld={"@type": "CollectionPage", "name": "World"}),
     "https://example.com/world/", "section/listing page"),
])
def test_not_an_article_is_reported(html: str, url: str | None, reason: str) -> None:
    with pytest.raises(NotAnArticle, match=reason) as caught:
        extract_article(html.encode(), url=url, path="p.html")
    assert caught.value.source == "p.html"


def test_json_ld_article_body_when_extractor_keeps_too_little() -> None:
    body = " ".join([EN_TEXT] * 4)
    ld = {"@type": "NewsArticle", "headline": "Bridge", "articleBody": body}
    html = article_page(title="Bridge", text=EN_TEXT.split(". ")[0], json_ld=ld)
    article = extract_article(html.encode())
    assert len(article.text) >= len(body) * 0.9


def test_related_stories_tail_and_signup_lines_are_dropped() -> None:
    tail = ("More from Daily News. Ferry fares rise again. Council elections set for May. "
            "Weather warning for the weekend")
    html = article_page(text=f"{EN_TEXT} Sign up for our daily briefing. {tail}")
    article = extract_article(html.encode())
    assert "The mayor promised regular updates" in article.text
    assert "Ferry fares" not in article.text
    assert "Sign up" not in article.text


def test_embedded_social_posts_are_not_article_text() -> None:
    tweet = ('<blockquote class="twitter-tweet"><p>Someone else tweeted this loudly</p>'
             "&mdash; Somebody (@somebody) July 18, 2026</blockquote>")
    html = article_page().replace("</article>", f"{tweet}</article>")
    article = extract_article(html.encode())
    assert "tweeted" not in article.text
    assert "The mayor promised regular updates" in article.text


def test_a_story_about_something_not_found_is_still_an_article() -> None:
    html = article_page(title="Missing hiker not found after 404 km search", text=EN_TEXT * 4)
    assert extract_article(html.encode()).title.startswith("Missing hiker")


@pytest.mark.parametrize(("declared", "actual"), [("koi8-r", "cp1251"), ("windows-1251", "koi8-r"),
                                                  ("iso-8859-1", "cp1251")])
def test_wrongly_declared_cyrillic_charset(declared: str, actual: str) -> None:
    html = article_page(title="Новости дня", text=RU_TEXT, charset=declared)
    article = extract_article(html.encode(actual))
    assert "льготные кредиты" in article.text and article.lang is Lang.RU


def test_latin1_page_stays_latin1() -> None:
    text = ("Le conseil municipal a approuvé un nouveau plan pour réparer le vieux pont. "
            "Les ingénieurs ont déclaré que les travaux débuteraient au printemps prochain. ") * 4
    html = article_page(title="Le pont sera réparé", text=text, charset="iso-8859-1")
    article = extract_article(html.encode("latin-1"))
    assert "approuvé" in article.text and "réparer" in article.text


def test_related_links_list_is_cut_even_after_a_short_story() -> None:
    story = UK_TEXT
    links = "".join(f"<li><a href='/n/{i}'>12 січня, 2016 Новина номер {i}</a></li>"
                    for i in range(12))
    html = article_page(title="Новини", text=story).replace(
        "</article>", f"<h3>До теми</h3><ul>{links}</ul></article>")
    article = extract_article(html.encode())
    assert "генератори" in article.text
    assert "Новина номер" not in article.text and "До теми" not in article.text


def test_relative_hreflang_resolves_against_the_canonical_url() -> None:
    head = ('<link rel="canonical" href="https://news.example.ua/uk/2025/08/story">'
            '<link rel="alternate" hreflang="ru" href="/ru/2025/08/story">'
            '<link rel="alternate" hreflang="uk" href="/uk/2025/08/story">'
            '<link rel="alternate" hreflang="x-default" href="/2025/08/story">')
    article = extract_article(article_page(text=UK_TEXT, title="Новини", head=head).encode())
    assert article.url == article.canonical_url == "https://news.example.ua/uk/2025/08/story"
    assert article.alternates == (("ru", "https://news.example.ua/ru/2025/08/story"),)
    assert article.source == "news.example.ua"


def test_undeclared_latin1_page_is_not_taken_for_cyrillic() -> None:
    text = ("Le café de la place a rouvert après les travaux. Les élèves y préparent leurs "
            "thèses, et le propriétaire a présenté un menu élaboré avec des producteurs de la "
            "région. ") * 6
    html = article_page(title="Café rénové", text=text, charset=None)
    article = extract_article(html.encode("latin-1"))
    assert "café" in article.text and "élèves" in article.text
