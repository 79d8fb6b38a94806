"""Text to a safe lxml tree: no network, no entity expansion, bounded depth.

Part of the ingest stage. Always the HTML parser (libxml2's HTML mode reads no DTD and expands
no declared entities, so XXE and billion-laughs pages expand nothing), `no_network=True`, no
`huge_tree`: libxml2 then stops at 256 levels of nesting, which we report as an error instead of
indexing a silently truncated page. Does not extract anything.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from searchlib.errors import InputError

__all__ = ["parse_html", "LIBXML_MAX_DEPTH"]

LIBXML_MAX_DEPTH = 256
MAX_ATTRIBUTES = 2000
"""Attributes one element may have. libxml2 checks each new attribute against the element's
others, so parsing is quadratic in their number (40,000 on one <p>: over a minute across the
parser, trafilatura and htmldate); real pages have at most ~50."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A start tag with more than MAX_ATTRIBUTES attributes, read as an HTML tokenizer would (quoted
# values may hold < and >). Possessive quantifiers keep the search linear: ~5 ms per MB.
_CROWDED_TAG = re.compile(
    r"""<[A-Za-z][^\s/>]*+(?:[\s/]++(?:[^\s/>"'=]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'"""
    r"""|[^\s>]++))?+)?+)""" + f"{{{MAX_ATTRIBUTES + 1}}}")


def _new_parser() -> lxml.html.HTMLParser:
    # A parser object is not thread-safe, and creating one costs microseconds.
    return lxml.html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True,
                                remove_pis=True, huge_tree=False, recover=True)


def _depth(tree: lxml.html.HtmlElement) -> int:
    depth = deepest = 0
    for event, _element in etree.iterwalk(tree, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_html(text: str, *, source: str, max_depth: int = LIBXML_MAX_DEPTH
               ) -> lxml.html.HtmlElement:
    """Parse decoded HTML into an element tree; raise `InputError` on empty or too-deep pages."""
    if _CROWDED_TAG.search(text):
        raise InputError(source, f"an element with more than {MAX_ATTRIBUTES} attributes; "
                                 "refusing a page that would take minutes to parse")
    data = _CONTROL.sub("", text).encode("utf-8", "replace")
    parser = _new_parser()
    try:
        tree = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as err:
        raise InputError(source, f"cannot parse the HTML: {err}") from err
    for entry in parser.error_log:
        if "Excessive depth" in entry.message:
            raise InputError(source, f"HTML nested deeper than {LIBXML_MAX_DEPTH} levels; "
                                     "refusing a page the parser could only read in part")
        if entry.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise InputError(source, f"the HTML parser hit a limit ({entry.message.strip()}: "
                                     "a text or script of over 10 MB); refusing a page it "
                                     "could only read in part")
    if max_depth < LIBXML_MAX_DEPTH and _depth(tree) > max_depth:
        raise InputError(source, f"HTML nested deeper than the limit of {max_depth} levels")
    return tree
