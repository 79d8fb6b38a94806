"""Structured metadata of a parsed page: JSON-LD, OpenGraph / ``article:*`` meta, canonical URL,
hreflang alternates, ``<html lang>``.

Part of the ingest stage: reads the lxml tree, returns plain values (`PageMetadata`). Does not
extract the body text and does not guess dates from the visible text (htmldate does that later,
only when nothing here gives a date).
"""

from __future__ import annotations

import email.utils
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from searchlib.model import Lang, parse_datetime
from searchlib.text import domain_of

__all__ = ["PageMetadata", "read_metadata", "to_datetime", "clean_names", "clean_tags", "host_of"]

_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "report",
    "scholarlyarticle", "socialmediaposting", "techarticle", "advertisercontentarticle",
}
_LISTING_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage"}
_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^<>]{0,500}>")
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")
_JUNK_TAG = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # UUIDs
    r"|[\w .&-]{1,30}:\s*\S.*)$")  # "Category: Travel", "RSBI:HUMAN-RIGHTS" (CMS key: value)
_BY = re.compile(r"^(?:by|автор|авторы|автори|от|від)[:\s]+", re.I)
_NAME_SPLIT = re.compile(r"\s*(?:;|\||\band\b|&|\bи\b|\bі\b|\bта\b)\s*", re.I)
MAX_NAMES = 100
"""Authors, and tags, kept per article: bounds the work a record of 100,000 names makes
(issue 19; real bylines and keyword lists are far shorter)."""
MAX_JSON_LD_OBJECTS = 1000
"""JSON-LD objects read per page: a page's own objects are few; a `@graph` of 20,000 is not
metadata worth reading, and each object costs work."""
_TITLE_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ", " « ", " » ")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageMetadata:
    """What the page says about itself, before any body extraction."""

    title: str | None = None
    html_title: str | None = None
    h1: str | None = None
    lead: str | None = None
    body: str | None = None
    """JSON-LD ``articleBody``, when the page ships one."""
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    publisher: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    page_url: str | None = None
    tags: tuple[str, ...] = ()
    alternates: tuple[tuple[str, str], ...] = ()
    lang_hint: Lang | None = None
    is_article_type: bool = False
    is_listing_type: bool = False
    og_type: str | None = None
    free: bool | None = None


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = _valid_unicode(value)
    if "<" in value and ">" in value:
        value = _TAG.sub(" ", value)
    if "&" in value:
        # JSON-LD and meta values are often HTML-escaped twice ("&#8216;" in the JSON string).
        value = html.unescape(value)
    text = _SPACE.sub(" ", value).strip()
    return text or None


def _valid_unicode(value: str) -> str:
    """Lone surrogates (JSON-LD ``"\\ud800"``) replaced by U+FFFD, as a UTF-8 decoder would."""
    return _SURROGATE.sub("\ufffd", value)


def host_of(url: str | None) -> str | None:
    """The host of a URL without ``www.`` (`domain_of`: copes with a repeated scheme and host).

    >>> host_of("https://www.Pravda.com.ua/news/1/")
    'pravda.com.ua'
    """
    return domain_of(url)


def to_datetime(value: Any) -> datetime | None:
    """A tz-aware UTC datetime from the date strings pages use (ISO 8601, RFC 2822, ...).

    Returns None for anything unparseable or implausible (before 1990 or in the future).

    >>> to_datetime("2024-04-27T15:56:35+0100").isoformat()
    '2024-04-27T14:56:35+00:00'
    >>> to_datetime("Tue, 03 Sep 2024 04:03:19 GMT").isoformat()
    '2024-09-03T04:03:19+00:00'
    """
    text = _clean(value)
    if text is None or len(text) > 64:
        return None
    parsed: datetime | None = None
    try:
        parsed = parse_datetime(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is None:
            parsed = _parse_loose(text)
        try:
            parsed = parse_datetime(parsed)
        except ValueError:  # out of range in UTC (year 1 or 9999 with a time zone)
            return None
    if parsed is None:
        return None
    if parsed.year < 1990 or parsed > datetime.now(UTC) + timedelta(days=2):
        return None
    return parsed


def _parse_loose(text: str) -> datetime | None:
    from dateutil import parser as dateutil_parser  # noqa: PLC0415 - only for odd formats

    try:
        return dateutil_parser.parse(text)
    except (ValueError, OverflowError, TypeError):
        return None


def clean_names(values: Any) -> tuple[str, ...]:
    """Author names as a tuple of clean, distinct strings (the first `MAX_NAMES`).

    >>> clean_names(["By Jane Doe and John Roe", {"name": "Jane Doe"}, "https://x.org/jane"])
    ('Jane Doe', 'John Roe')
    >>> clean_names(["Ann Lee, Bo Ray", "sophie-foster", "Олена_Коваль"])
    ('Ann Lee', 'Bo Ray', 'Олена Коваль')
    """
    names: list[str] = []
    seen: set[str] = set()
    for raw in _flatten(values):
        if isinstance(raw, dict):
            raw = raw.get("name")
        text = _clean(raw)
        if not text or "://" in text or text.startswith("www."):
            continue
        for part in _NAME_SPLIT.split(_BY.sub("", text)):
            part = part.strip(" ,.")
            if _SLUG.match(part):
                continue
            pieces = [p.strip() for p in part.split(",")]
            if len(pieces) > 1 and not all(len(p.split()) >= 2 for p in pieces):
                pieces = [part]  # "Doe, Jane" style, keep as one
            for name in pieces:
                name = name.replace("_", " ")
                if 1 < len(name) <= 80 and name.casefold() not in seen:
                    seen.add(name.casefold())
                    names.append(name)
                    if len(names) == MAX_NAMES:
                        return tuple(names)
    return tuple(names)


def clean_tags(values: Any) -> tuple[str, ...]:
    """Tags/keywords as a tuple of clean, distinct strings (comma-separated strings are split;
    the first `MAX_NAMES`).

    >>> clean_tags(["Ukraine, energy", "energy", "  ", "Category: Travel", "NATO"])
    ('Ukraine', 'energy', 'NATO')
    """
    tags: list[str] = []
    seen: set[str] = set()
    for raw in _flatten(values):
        if isinstance(raw, dict):
            raw = raw.get("name")
        text = _clean(raw)
        if not text:
            continue
        for part in text.split(","):
            part = part.strip()
            if 0 < len(part) <= 100 and part.casefold() not in seen and not _JUNK_TAG.match(part):
                seen.add(part.casefold())
                tags.append(part)
                if len(tags) == MAX_NAMES:
                    return tuple(tags)
    return tuple(tags)


def _flatten(values: Any) -> Iterator[Any]:
    if isinstance(values, list | tuple):
        for value in values:
            yield from _flatten(value)
    elif values is not None:
        yield values


def _json_ld_objects(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.iterfind(".//script[@type]"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = (script.text or "").strip()
        if not raw or len(raw) > 5_000_000:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:
                data = json.loads(raw.replace("\n", " ").replace("\t", " "), strict=False)
            except (ValueError, RecursionError):
                continue
        except RecursionError:  # "[[[[..." : structured data nested too deeply to use
            continue
        yield from _walk(data, 0)


def _walk(node: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if isinstance(node.get(key), list | dict):
                yield from _walk(node[key], depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    return {t.lower() for t in _flatten(obj.get("@type")) if isinstance(t, str)}


def _lang(value: str | None) -> Lang | None:
    code = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return Lang(code) if code in {"uk", "ru", "en"} else None


def _meta(tree: lxml.html.HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in tree.iterfind(".//meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if key and content is not None:
            found.setdefault(key.strip().lower(), []).append(content)
    return found


def _first(meta: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        for value in meta.get(key, ()):
            text = _clean(value)
            if text:
                return text
    return None


def _first_date(meta: dict[str, list[str]], *keys: str) -> datetime | None:
    for key in keys:
        for value in meta.get(key, ()):
            parsed = to_datetime(value)
            if parsed is not None:
                return parsed
    return None


def clean_title(title: str | None, site_name: str | None = None) -> str | None:
    """A page ``<title>`` without the site name some outlets append or prepend.

    >>> clean_title("Uikend v gorah - Gazeta.Ru | Foto")
    'Uikend v gorah'
    """
    text = _clean(title)
    if not text:
        return None
    for separator in _TITLE_SEPARATORS:
        if separator in text:
            parts = [p.strip() for p in text.split(separator)]
            text = max(parts, key=len)
    if site_name and text.endswith(site_name) and len(text) > len(site_name) + 10:
        text = text[: -len(site_name)].rstrip(" -|—–:")
    return text or None


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _pick_title(declared: str | None, h1: str | None, html_title: str | None,
                site_name: str | None) -> str | None:
    """The visible headline: the ``<h1>`` when it tells the same story as the declared (SEO)
    headline, else the declared one; measured on the fundus gold titles, which follow the page.
    """
    if declared and site_name and declared.endswith(site_name) and len(declared) > len(site_name):
        declared = clean_title(declared) or declared
    if h1 and 10 <= len(h1) <= 300:
        for other in (declared, html_title):
            if other:
                shared = _words(h1) & _words(other)
                if len(shared) >= 0.5 * min(len(_words(h1)), len(_words(other))):
                    return h1
    return declared or html_title or h1


def _absolute(base: str | None, href: str | None) -> str | None:
    href = _clean(href)
    if not href or href.startswith(("javascript:", "data:", "#")):
        return None
    try:
        absolute = urljoin(base, href) if base else href
    except ValueError:
        return None
    return absolute if absolute.startswith(("http://", "https://")) else None


def read_metadata(tree: lxml.html.HtmlElement, *, url: str | None = None) -> PageMetadata:
    """Everything the page declares about itself: structured data first, then meta tags."""
    meta = _meta(tree)
    article: dict[str, Any] = {}
    article_body = 0
    listing = False
    for obj in islice(_json_ld_objects(tree), MAX_JSON_LD_OBJECTS):
        types = _types(obj)
        if types & _ARTICLE_TYPES:
            # Each body is cleaned once (cleaning the best one again for every object was
            # quadratic: 18 s for one page with a big body and 20,000 small objects).
            body = len(_clean(obj.get("articleBody")) or "")
            if not article or body > article_body:
                article, article_body = obj, body
        elif types & _LISTING_TYPES:
            listing = True

    canonical = None
    hreflang: list[tuple[str, str]] = []
    for link in tree.iterfind(".//link[@rel]"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and canonical is None:
            canonical = _absolute(url, link.get("href"))
        elif "alternate" in rel and link.get("hreflang"):
            hreflang.append(((link.get("hreflang") or "").strip().lower(), link.get("href") or ""))
    og_url = _absolute(url, _first(meta, "og:url"))
    page_url = url or canonical or og_url
    canonical = canonical or og_url
    own = {u for u in (url, canonical) if u}
    alternates: list[tuple[str, str]] = []
    for code, href in hreflang:
        target = _absolute(page_url, href)
        if (code and code != "x-default" and target and target not in own
                and (code, target) not in alternates):
            alternates.append((code, target))

    publisher = article.get("publisher")
    publisher_name = _clean(publisher.get("name")) if isinstance(publisher, dict) else (
        _clean(publisher) if isinstance(publisher, str) else None)
    html_title = _clean(tree.findtext(".//title"))
    h1_element = tree.find(".//h1")
    h1 = _clean(h1_element.text_content()) if h1_element is not None else None
    site_name = _first(meta, "og:site_name")
    declared = (_clean(article.get("headline")) or _clean(article.get("name"))
                or _first(meta, "og:title", "twitter:title"))
    title = _pick_title(declared, h1, clean_title(html_title, site_name), site_name)

    authors = clean_names(article.get("author"))
    if not authors:
        keys = ("author", "article:author", "byl", "sailthru.author", "parsely-author",
                "dc.creator")
        authors = clean_names([value for key in keys for value in meta.get(key, ())])
    tags = clean_tags(article.get("keywords"))
    if not tags:
        tags = clean_tags(meta.get("article:tag") or meta.get("news_keywords")
                          or meta.get("keywords"))

    published = to_datetime(article.get("datePublished")) or _first_date(
        meta, "article:published_time", "og:published_time", "datepublished", "pubdate",
        "publishdate", "publish-date", "parsely-pub-date", "sailthru.date", "dc.date",
        "dc.date.issued", "dcterms.created", "date", "article.published", "published_time")
    modified = to_datetime(article.get("dateModified")) or _first_date(
        meta, "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
        "last-modified")

    root_lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    in_language = article.get("inLanguage")
    lang_hint = (_lang(in_language if isinstance(in_language, str) else None)
                 or _lang(_first(meta, "og:locale", "content-language", "language"))
                 or _lang(root_lang))
    free = article.get("isAccessibleForFree")
    if isinstance(free, str):
        free = free.strip().lower() not in {"false", "0", "no"}

    return PageMetadata(
        title=title,
        html_title=html_title,
        h1=h1,
        lead=(_clean(article.get("description"))
              or _first(meta, "og:description", "description", "twitter:description")),
        body=_clean_body(article.get("articleBody")),
        authors=authors,
        published=published,
        modified=modified,
        publisher=publisher_name,
        site_name=site_name,
        canonical_url=canonical,
        page_url=page_url,
        tags=tags,
        alternates=tuple(alternates),
        lang_hint=lang_hint,
        is_article_type=bool(article),
        is_listing_type=listing,
        og_type=(_first(meta, "og:type") or "").lower() or None,
        free=free if isinstance(free, bool) else None,
    )


def _clean_body(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = _valid_unicode(value)
    if "<" in value and ">" in value:
        try:
            value = lxml.html.fragment_fromstring(value, create_parent="div").text_content()
        except (ValueError, etree.ParserError):
            return None
    lines = (_SPACE.sub(" ", line).strip() for line in value.splitlines())
    return "\n".join(line for line in lines if line) or None
