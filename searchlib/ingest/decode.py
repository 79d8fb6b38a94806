"""Bytes to text for HTML pages: charset from a BOM, the HTTP header, `<meta>`, or detection.

Part of the ingest stage. Order: a byte-order mark (unambiguous, and browsers let it win over
the header too), the HTTP ``Content-Type`` charset (WARC), ``<meta charset>`` / ``http-equiv`` /
XML declaration, then detection (a Cyrillic case-pattern score for windows-1251 / KOI8-U / KOI8-R,
then charset-normalizer). Two measured exceptions: bytes that are valid UTF-8 and contain
non-ASCII characters are read as UTF-8 even when a single-byte charset is declared, because
windows-1251/KOI8 Cyrillic text is practically never valid UTF-8 while sites that moved to UTF-8
often keep an old ``windows-1251`` declaration; and a declared single-byte charset that turns
Cyrillic bytes into junk is replaced by the Cyrillic code page that reads them as prose.
Does not parse HTML.
"""

from __future__ import annotations

import codecs
import re

from searchlib.errors import InputError

__all__ = ["decode_html", "charset_from_content_type", "normalise_charset"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,400}?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([a-z0-9_.\-]+)""", re.I)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)""", re.I)
# WHATWG: labels for Latin-1 and ASCII mean windows-1252; KOI8-U is KOI8-R plus the Ukrainian
# letters (the positions differ only in box-drawing characters), so it decodes both correctly.
_ALIASES = {"latin_1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252", "koi8-r": "koi8-u"}
# Codecs Python knows that no web page is in: "undefined" raises on every byte, the escape codecs
# and UTF-7 can make lone surrogates, idna/punycode are for host names. A page declaring one is
# decoded as if it declared nothing.
_NOT_PAGE_CHARSETS = {"undefined", "unicode-escape", "raw-unicode-escape", "utf-7", "idna",
                      "punycode", "palmos"}
_SNIFF_BYTES = 16384
# cp866, mac-cyrillic and iso8859-5 are left out: almost unused on the web, and on short texts
# they out-score windows-1251 (its lower case read as cp866 is half lower-case letters too).
_CYRILLIC_CANDIDATES = ("utf-8", "cp1251", "koi8-u")
_LOWER = re.compile(r"[а-яёіїєґ]")
# A capital right after another letter: rare in real text ("НАТО"), the norm when windows-1251
# is read as KOI8 or the other way round (the two swap the cases).
_UPPER = re.compile(r"(?<=[а-яёіїєґА-ЯЁІЇЄҐ])[А-ЯЁІЇЄҐ]")
_MARKUP = re.compile(r"<[^>]*>|<script.*?</script>|<style.*?</style>", re.S | re.I)
_JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u2500-\u259f\ufffd]")


def normalise_charset(name: str | None) -> str | None:
    """The Python codec for a charset label, or None when the label is unknown.

    >>> normalise_charset("Windows-1251"), normalise_charset("KOI8-R"), normalise_charset("x-bogus")
    ('cp1251', 'koi8-u', None)
    """
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    if codec in _NOT_PAGE_CHARSETS:
        return None
    return _ALIASES.get(codec, codec)


def charset_from_content_type(value: str | None) -> str | None:
    """The charset parameter of an HTTP ``Content-Type`` value.

    >>> charset_from_content_type("text/html; charset=KOI8-U")
    'KOI8-U'
    """
    if not value:
        return None
    match = _CT_CHARSET.search(value)
    return match.group(1) if match else None


def _declared_in_page(data: bytes) -> str | None:
    head = data[:_SNIFF_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError):  # UnicodeError: codecs such as "undefined" refuse all
        return None


def _cyrillic_score(text: str) -> int:
    """How much a decoding looks like real Cyrillic prose: lower-case letters dominate."""
    sample = text[:50000]
    return (len(_LOWER.findall(sample)) - 2 * len(_UPPER.findall(sample))
            - 20 * len(_JUNK.findall(sample)))


def _mostly_utf8(data: bytes) -> str | None:
    """The text when `data` is UTF-8 with a few broken bytes (a damaged or spliced page)."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return text if broken <= 0.02 * non_ascii else None


def _mostly_cyrillic(text: str) -> bool:
    """Whether Cyrillic letters make up a real share of the letters outside the markup.

    Keeps a latin-1 French or Spanish page (a few "й" when read as windows-1251) from being
    taken for Cyrillic.
    """
    sample = _MARKUP.sub(" ", text[:100000])
    letters = sum(1 for ch in sample if ch.isalpha())
    return len(_LOWER.findall(sample)) > 0.3 * letters


def _detect(data: bytes) -> tuple[str, str]:
    utf8 = _strict(data, "utf-8")
    if utf8 is None:
        utf8 = _mostly_utf8(data)
    if utf8 is not None:
        return utf8, "utf-8"
    best: tuple[int, str, str] | None = None
    for codec in _CYRILLIC_CANDIDATES[1:]:
        text = data.decode(codec, "replace")
        score = _cyrillic_score(text)
        if best is None or score > best[0]:
            best = (score, codec, text)
    if best is not None and best[0] > 0 and _mostly_cyrillic(best[2]):
        return best[2], best[1]
    from charset_normalizer import from_bytes  # noqa: PLC0415 - heavy, rarely needed

    guess = from_bytes(data[:200000]).best()
    guessed = normalise_charset(guess.encoding) if guess is not None else None
    # Between single-byte Latin code pages charset-normalizer guesses poorly on short pages
    # (French read as cp1250: "è" -> "č"); our non-Cyrillic pages are English, for which
    # windows-1252 (the WHATWG default) is right. Other guesses (CJK, UTF-16...) are kept.
    latin = guessed is not None and guessed.startswith(("cp125", "iso8859", "latin", "mac-"))
    # UTF-16/32 without a BOM (handled above) would be NUL-heavy, which `sniff_binary` refuses
    # as binary; on short 8-bit text charset-normalizer sometimes still guesses them.
    wide = guessed is not None and guessed.startswith(("utf-16", "utf-32"))
    if guessed and not wide and (not latin or guessed in _CYRILLIC_CANDIDATES):
        return data.decode(guessed, "replace"), guessed
    return data.decode("cp1252", "replace"), "cp1252"


def decode_html(data: bytes, *, charset: str | None = None, source: str = "<html>") -> str:
    """Decode an HTML page; `charset` is the HTTP header's, if any.

    >>> decode_html("<p>Привіт, світе</p>".encode("koi8-u"), charset="koi8-u")
    '<p>Привіт, світе</p>'
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is None:
                raise InputError(source, f"the page starts with a {codec} BOM but is not {codec}")
            return text
    has_non_ascii = not data.isascii()
    if has_non_ascii:
        utf8 = _strict(data, "utf-8")
        if utf8 is not None:
            return utf8
    for label in (charset, _declared_in_page(data)):
        declared = normalise_charset(label)
        if declared is None or declared.startswith(("utf-16", "utf-32")):
            continue
        decoded = _strict(data, declared)
        if decoded is not None:
            return _fix_mislabelled_cyrillic(data, decoded, declared)
    return _detect(data)[0]


def _fix_mislabelled_cyrillic(data: bytes, text: str, codec: str) -> str:
    """Re-decode a page whose single-byte declaration is wrong for its Cyrillic bytes.

    Old Russian/Ukrainian sites often declare koi8-r or latin-1 on windows-1251 bytes (and the
    other way round). Another Cyrillic codec wins only when it turns mostly-upper-case or Latin
    junk into mostly lower-case Cyrillic prose, so a French latin-1 page stays French.
    """
    if data.isascii():
        return text
    declared_score = _cyrillic_score(text)
    for candidate in ("cp1251", "koi8-u"):
        if candidate == codec:
            continue
        other = data.decode(candidate, "replace")
        if _cyrillic_score(other) > max(2 * declared_score, 20) and _mostly_cyrillic(other):
            return other
    return text
