"""The site of a URL: its domain, for grouping an outlet's articles (`Lenta.ru` and `lenta.ru`
are one outlet). Pure string work, no network."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["domain_of"]

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_REPEATED_START = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*://[^/?#\s]*?(?=[a-z][a-z0-9+.-]*://))+",
                             re.IGNORECASE)
"""A scheme and host glued before another full URL, as some feeds write them
(``https://russian.rt.comhttps://russian.rt.com/...``): everything before the last start."""


def domain_of(url: str | None) -> str | None:
    """The lowercased host of `url` without ``www.``, or None when there is none.

    >>> domain_of("https://www.Lenta.ru/news/2024/01/01/x/")
    'lenta.ru'
    >>> domain_of("https://russian.rt.comhttps://russian.rt.com/world/news/1-x")
    'russian.rt.com'
    >>> domain_of("https://amp.ng.ru/?p=http://www.ng.ru/politics/2018-03-05/1_x.html")
    'amp.ng.ru'
    >>> domain_of("lenta.ru/news/1"), domain_of("not a url"), domain_of("")
    ('lenta.ru', None, None)
    """
    if not url or not url.strip():
        return None
    text = _REPEATED_START.sub("", url.strip())
    if not _SCHEME.match(text) and not text.startswith("//"):
        text = "//" + text  # a bare host and path
    try:
        host = (urlsplit(text).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    host = host.removeprefix("www.")
    if not host or "." not in host or any(c.isspace() for c in host):
        return None
    return host
