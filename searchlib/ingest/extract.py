"""One HTML page to one `Article`: decode, parse once, read metadata, extract the body.

Part of the ingest stage. The body comes from trafilatura, given the tree we already parsed (the
page is parsed once); title, dates, authors, tags, outlet, canonical URL and hreflang alternates
come from structured data first (`metadata.py`), the date from htmldate only when the page
declares none. Language is detected from the text; ``<html lang>`` is only a hint. Raises
`InputError` / `NotAnArticle`; never reads files or the network.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from searchlib.errors import InputError, NotAnArticle
from searchlib.ingest.decode import decode_html
from searchlib.ingest.metadata import PageMetadata, host_of, read_metadata, to_datetime
from searchlib.ingest.options import IngestOptions
from searchlib.ingest.parse import parse_html
from searchlib.model import Article, make_article_id
from searchlib.text import detect_language

__all__ = ["extract_article", "sniff_binary"]

_DEFAULTS = IngestOptions()
_MAGIC = {
    b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image", b"PK\x03\x04": "a ZIP archive", b"\x1f\x8b": "gzip data",
    b"\x7fELF": "an executable", b"RIFF": "a RIFF media file", b"BZh": "bzip2 data",
    b"\xfd7zXZ": "xz data", b"OggS": "an Ogg media file",
}
_NOT_FOUND = re.compile(
    r"\b404\b|page not found|not found|страница не найдена|сторінку не знайдено"
    r"|сторінка не знайдена|ошибка 404|помилка 404", re.I)
_WORDS = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\u00a0]+")
# Headings that start the page furniture after an article (related stories, comments, sign-up
# boxes); see `_strip_page_furniture` for where they cut. Measured on the gold pages: these lines
# were never part of a gold body and trailed 6 of the 8 lowest-precision pages.
_TAIL_HEADINGS = re.compile(
    r"^(?:more from\b|more stories\b|related(?: articles| stories| coverage| news)?$|"
    r"read more$|recommended$|popular$|most (?:read|popular|viewed)\b|comments?$|"
    r"join our commenting forum|you must confirm your public display name|"
    r"sign up (?:for|to)\b|subscribe to our newsletter|"
    r"читайте также|читайте також|читайте нас|новости партн[её]ров|новини партнерів|"
    r"по теме$|до теми$|на тему$|загрузка\.\.\.$|"
    r"комментарии$|коментарі$|популярное$|популярне$|похожие новости|схожі новини)",
    re.I)
_TAIL_LINES = re.compile(
    r"^(?:follow .{1,40} on (?:google news|twitter|facebook|x)\b|"
    r"this is a breaking news? story\b|share this (?:article|story)\b|"
    r"photo: [^.]{1,40}$|фото: [^.]{1,40}$)", re.I)
# Body text that JSON-LD ``articleBody`` beats: when trafilatura keeps less than this share of the
# declared body it has cut the article short (measured on the gold pages: The New Yorker splits
# its story over many containers and trafilatura keeps 47%; pages where both agree are >= 0.85).
_BODY_SHARE = 0.6
# Embedded social-media posts quote other people's posts, not the article (gatewaypundit.com:
# precision 0.69 with them).
_EMBEDS = (
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')"
    " or contains(@class, 'tiktok-embed') or contains(@class, 'twitter-video')]"
)
# Share of the page's <p> text below which trafilatura's fast mode is re-run in full mode.
_FAST_SHARE = 0.6


def sniff_binary(data: bytes) -> str | None:
    """What a byte string is, when it is plainly not text (else None).

    >>> sniff_binary(b"%PDF-1.7 ..."), sniff_binary(b"<html></html>")
    ('a PDF document', None)
    """
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    # Text in any charset we read has (almost) no C0 control bytes besides whitespace and ESC.
    if len(head.translate(None, _TEXT_BYTES)) > len(head) // 100:
        return "binary data"
    return None


_TEXT_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in b"\t\n\v\f\r\x1b")


def extract_article(data: bytes, *, url: str | None = None, path: str | None = None,
                    charset: str | None = None, options: IngestOptions | None = None) -> Article:
    """Extract the article of one HTML page.

    Args:
        data: the page bytes (already decompressed).
        url: the page URL when known (WARC target URI); otherwise the canonical URL is used.
        path: where the bytes came from; names the input in errors and becomes `Article.path`.
        charset: the HTTP ``Content-Type`` charset, when known.
        options: limits; defaults to `IngestOptions()`.

    Raises:
        InputError: empty, binary, oversized, undecodable or unparseable page.
        NotAnArticle: a readable page that is no article (404, home/section page, paywall stub,
            no body text).
    """
    options = options or _DEFAULTS
    source = path or url or "<html>"
    if len(data) > options.max_file_bytes:
        raise InputError(source, f"page is {len(data)} bytes, over the limit of "
                                 f"{options.max_file_bytes} (IngestOptions.max_file_bytes)")
    if not data.strip():
        raise InputError(source, "empty file, no HTML in it")
    kind = sniff_binary(data)
    if kind:
        raise InputError(source, f"this is {kind}, not an HTML page")
    text = decode_html(data, charset=charset, source=source)
    try:
        tree = parse_html(text, source=source, max_depth=options.max_html_depth)
        meta = read_metadata(tree, url=url)
    except RecursionError as err:
        raise InputError(source, "HTML nested too deeply to read") from err
    page_url = meta.page_url
    body = _extract_body(tree, meta, page_url, source, options)
    title = meta.title or ""
    body = _strip_repeated_head(body, (title, meta.h1, meta.html_title))
    body = _strip_page_furniture(body)
    _refuse_non_articles(meta, page_url, source, body)
    if len(body) < options.min_text_chars:
        if meta.free is False:
            raise NotAnArticle(source, "paywall stub: the page marks the article as not free "
                                       f"and shows only {len(body)} characters of it")
        raise NotAnArticle(source, f"no article body found ({len(body)} characters of text, "
                                   f"need {options.min_text_chars})")
    if not title:
        title = body.split("\n", 1)[0][:200]
    published = meta.published or _find_date(tree, page_url)
    lang = detect_language(f"{title}\n{body}", hint=meta.lang_hint)
    canonical = meta.canonical_url
    return Article(
        id=make_article_id(canonical_url=canonical, url=page_url, title=title, text=body),
        title=title,
        text=body,
        url=page_url,
        canonical_url=canonical,
        lead=meta.lead,
        authors=_drop_outlet_names(meta.authors, meta, page_url),
        published=published,
        modified=meta.modified,
        lang=lang,
        source=meta.publisher or host_of(page_url) or meta.site_name,
        tags=_drop_outlet_names(meta.tags, meta, page_url),
        alternates=meta.alternates,
        path=path,
    )


def _drop_outlet_names(authors: tuple[str, ...], meta: PageMetadata, url: str | None
                       ) -> tuple[str, ...]:
    """Names without the outlet itself (pages name the publisher as author, or as a tag)."""
    host = host_of(url) or host_of(meta.canonical_url)
    outlets = {n.casefold() for n in (meta.publisher, meta.site_name, host) if n}
    if host:
        outlets.add(host.split(".")[0])
    return tuple(a for a in authors if a.casefold() not in outlets)


def _refuse_non_articles(meta: PageMetadata, url: str | None, source: str, body: str) -> None:
    heading = " ".join(t for t in (meta.html_title, meta.h1) if t)
    # Only short pages: a real story may well be titled "... not found in the river".
    if heading and len(body) < 1500 and _NOT_FOUND.search(heading) and len(heading) < 120:
        raise NotAnArticle(source, f"error page ({heading[:80]!r}), not an article")
    if meta.is_article_type or meta.og_type == "article" or meta.published is not None:
        return
    if url:
        try:
            path = urlsplit(url).path
        except ValueError:
            path = ""
        if path.strip("/") in ("", "index.html", "index.php", "index.htm"):
            raise NotAnArticle(source, f"home page ({url}), not an article")
    if meta.is_listing_type:
        raise NotAnArticle(source, "section/listing page (JSON-LD CollectionPage/ItemList), "
                                   "not an article")


def _extract_body(tree: lxml.html.HtmlElement, meta: PageMetadata, url: str | None, source: str,
                  options: IngestOptions) -> str:
    import trafilatura  # noqa: PLC0415 - ~0.3 s import, only when a page is extracted

    def run(fast: bool) -> str:
        try:
            # trafilatura works on a copy of the tree, so `tree` stays usable for htmldate.
            return trafilatura.extract(
                tree, url=url, fast=fast, include_comments=False, include_tables=True,
                favor_recall=options.favor_recall, deduplicate=False, output_format="txt",
            ) or ""
        except RecursionError as err:
            raise InputError(source, "HTML nested too deeply for the extractor") from err
        except Exception as err:  # noqa: BLE001 - a third-party bug on one page must not stop
            raise InputError(source, f"body extraction failed: {type(err).__name__}: {err}"
                             ) from err

    # trafilatura's fast mode skips its readability/jusText comparison, which costs ~30% of the
    # time and changed F1 on 5 of 87 gold pages; on the 2 where fast mode lost the article it
    # kept less than a fifth (politico.eu) and half (washingtontimes.com) of the <p> text.
    for embed in tree.xpath(_EMBEDS):
        embed.drop_tree()
    extracted = run(fast=True)
    paragraph_chars = len("".join(tree.xpath("//p//text()")))
    if len(extracted) < _FAST_SHARE * paragraph_chars:
        extracted = run(fast=False)
    declared = meta.body
    if declared and len(declared) >= 500 and len(extracted) < _BODY_SHARE * len(declared):
        return declared
    return extracted.strip()


def _norm(text: str) -> list[str]:
    return _WORDS.findall(text.casefold())


def _strip_repeated_head(body: str, headings: tuple[str | None, ...]) -> str:
    """Drop leading lines that only repeat the headline (extractors keep the ``<h1>``)."""
    lines = body.split("\n")
    heads = [words for words in (_norm(h) for h in headings if h) if words]
    while len(lines) > 1 and heads and _norm(lines[0]) in heads:
        lines.pop(0)
    return "\n".join(lines).strip()


def _strip_page_furniture(body: str) -> str:
    """Cut the related-stories / comments tail and drop sign-up and photo-credit lines.

    A tail heading cuts the text when it sits in the last 30% of it, or when only short lines
    (a link list) follow it; a "most read" box in the middle of a story is followed by the
    story's own paragraphs and is left alone.
    """
    lines = [_SPACES.sub(" ", line).strip() for line in body.split("\n")]
    lines = [line for line in lines if line.strip("-•* ")]
    total = sum(len(line) for line in lines)
    seen = 0
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.lstrip("-•* ").strip()
        if len(stripped) < 120 and _TAIL_HEADINGS.match(stripped):
            rest = lines[index + 1:]
            if seen > 0.7 * total or not rest or max(len(r) for r in rest) < 100:
                break
        seen += len(line)
        if len(stripped) < 200 and _TAIL_LINES.match(stripped):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _find_date(tree: lxml.html.HtmlElement, url: str | None) -> datetime | None:
    import htmldate  # noqa: PLC0415 - heavy, and only needed for pages that declare no date

    try:
        found: Any = htmldate.find_date(tree, url=url, original_date=True,
                                        outputformat="%Y-%m-%dT%H:%M:%S", extensive_search=False)
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError):
        # htmldate's guesses fail on odd markup; a date we cannot find is a missing date.
        return None
    return to_datetime(found) if found else None
