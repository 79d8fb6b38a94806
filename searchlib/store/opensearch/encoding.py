"""The OpenSearch document of an article: our tokens, laid out so positions survive.

OpenSearch does not analyse text here: our analysers (`searchlib.analysis`, the same chains as
the Whoosh schema's fields) make the tokens in Python, and the index splits the encoded field
on whitespace and nothing else. Our chains put several tokens at one position (a hyphenated
word and its parts: ``нью-йорк``, ``нью``, ``йорк`` all at 0) and leave gaps (stop words), which
a whitespace-separated string cannot say. So a token field ``F`` becomes layers (os-design.md):

- ``F`` holds, for every position 0..last, the first token at that position;
- ``F__s1`` ... ``F__s{STACK_DEPTH - 1}`` the second, third ... token at each position;
- `FILLER` (U+2063, which no analyser emits) stands wherever a layer has no token.

Every layer has one token per position, so a token's position in its layer is its position in
the article, and ``span_near`` over ``span_or(F, span_field_masking(F__sK as F))`` matches
phrases across layers. Layers deeper than `STACK_DEPTH` are dropped (the deepest stack in 800
real articles was 6: a hyphenated compound of four parts and its lemmas), as are tokens longer
than `MAX_TOKEN_CHARS` (the whitespace tokenizer would cut them, shifting positions); both are
counted in `EncodedTokens.dropped`.

Not here: the mapping (`mapping.py`), queries (`searchlib.query.opensearch`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from searchlib.model import Article
from searchlib.store.schema import article_to_document, build_schema, document_to_article

__all__ = [
    "FILLER",
    "STACK_DEPTH",
    "LAYER_SEPARATOR",
    "MAX_TOKEN_CHARS",
    "TOKEN_FIELDS",
    "KEYWORD_FIELDS",
    "STORED_ONLY_FIELDS",
    "EncodedTokens",
    "layer_fields",
    "encode_tokens",
    "article_to_source",
    "source_to_article",
    "source_to_stored",
]

FILLER = "\u2063"
"""INVISIBLE SEPARATOR: the token of an empty position. No analyser emits it (the tokenizer's
words are letters and digits), and OpenSearch's whitespace tokenizer keeps it as a token."""
STACK_DEPTH = 8
"""Tokens kept per position: ``F`` and the layers ``F__s1`` .. ``F__s7``."""
LAYER_SEPARATOR = "__s"
MAX_TOKEN_CHARS = 255
"""Longest token kept: OpenSearch's built-in whitespace tokenizer cuts longer ones in pieces,
which would shift every later position (the longest of 800 real articles had 38)."""

TOKEN_FIELDS: tuple[str, ...] = (
    "title_uk", "title_ru", "title_en", "text_uk", "text_ru", "text_en",
    "title_exact", "text_exact", "names", "author_keys",
)
"""The Whoosh schema's TEXT fields: analysed by our chains, encoded as layers."""
KEYWORD_FIELDS: tuple[str, ...] = (
    "id", "url", "canonical_url", "content_hash", "lang", "source", "domain", "outlet",
    "author", "tag", "dup_group", "dup_sketch",
)
"""Exact values (``source``, ``author``, ``tag`` lowercased as Whoosh indexes them). Beside
them: ``published`` (a date) and ``dup_copy`` (a boolean: ``dup_group`` is another article's
id, so this article is a copy in a near-duplicate group, for the query side's collapse)."""
STORED_ONLY_FIELDS: tuple[str, ...] = (
    "title", "lead", "text", "authors", "tags", "alternates", "path", "modified", "dup_values",
)
"""Kept in ``_source`` for `source_to_article` and duplicate scoring, never searched."""

# Java's Character.isWhitespace, what the whitespace tokenizer splits on: a token holding one
# would become two terms. Our tokenizer's words never hold one (checked in `encode_tokens`).
_JAVA_SPACE = re.compile("[\t-\r\x1c-\x1f \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029"
                         "\u205f\u3000]")


def layer_fields(field: str) -> list[str]:
    """The OpenSearch fields holding token field `field`: itself, then its layers.

    >>> layer_fields("text_uk")[:3]
    ['text_uk', 'text_uk__s1', 'text_uk__s2']
    >>> len(layer_fields("names")) == STACK_DEPTH
    True
    """
    return [field] + [f"{field}{LAYER_SEPARATOR}{k}" for k in range(1, STACK_DEPTH)]


@dataclass(frozen=True, slots=True, kw_only=True)
class EncodedTokens:
    """One token field's layers (``F``, ``F__s1`` ...; only the layers holding a token) and
    the tokens that could not be kept (deeper than `STACK_DEPTH`, or too long)."""

    layers: dict[str, str]
    dropped: int = 0


def encode_tokens(field: str, tokens: Iterable[tuple[str, int]]) -> EncodedTokens:
    """Layer strings of `field` for (token, position) pairs in the order the analyser gave.

    >>> encode_tokens("text_exact", [("нью-йорк", 0), ("нью", 0), ("йорк", 0), ("таймс", 2)]
    ...               ).layers == {"text_exact": "нью-йорк \\u2063 таймс",
    ...                           "text_exact__s1": "нью \\u2063 \\u2063",
    ...                           "text_exact__s2": "йорк \\u2063 \\u2063"}
    True
    """
    stacks: dict[int, list[str]] = {}
    dropped = 0
    for text, pos in tokens:
        if len(text) > MAX_TOKEN_CHARS or not text:
            dropped += 1
            continue
        stack = stacks.setdefault(pos, [])
        if len(stack) == STACK_DEPTH:
            dropped += 1
            continue
        # A word of letters and digits holds no space; only the others need the (slower) regex.
        stack.append(text if text.isalnum() else _JAVA_SPACE.sub("_", text))
    if not stacks:
        return EncodedTokens(layers={}, dropped=dropped)
    length = max(stacks) + 1
    # Each layer starts as FILLERs and gets its tokens put in place: the deeper layers hold
    # few tokens, so this reads each token once instead of every position once per layer.
    columns: list[list[str]] = [[FILLER] * length]
    for pos, stack in stacks.items():
        for layer, token in enumerate(stack):
            if layer == len(columns):
                columns.append([FILLER] * length)
            columns[layer][pos] = token
    names = layer_fields(field)
    return EncodedTokens(layers={names[layer]: " ".join(column)
                                 for layer, column in enumerate(columns)}, dropped=dropped)


@cache
def _schema():  # type: ignore[no-untyped-def]
    return build_schema()


def _tokens(name: str, value: Any) -> Iterable[tuple[str, int]]:
    """(text, position) of each token the Whoosh field `name` indexes for `value`, exactly as
    its posting format gathers them (stopped tokens left out, their positions kept)."""
    analyzer = _schema()[name].analyzer
    for t in analyzer(value, positions=True, boosts=True, mode="index"):
        if not t.stopped:
            yield t.text, t.pos


def _keywords(name: str, value: str) -> list[str]:
    """The terms the Whoosh KEYWORD field `name` makes of `value` (split on commas,
    lowercased), distinct, in order."""
    analyzer = _schema()[name].analyzer
    return list(dict.fromkeys(t.text for t in analyzer(value, mode="index")))


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def article_to_source(article: Article, content_hash: str,
                      duplicates: dict[str, str]) -> tuple[dict[str, Any], int]:
    """The OpenSearch document of `article` and how many tokens it could not keep.

    `duplicates` are `DuplicateFinder.fields` (``dup_group``, ``dup_sketch``, ``dup_values``).
    Built from the Whoosh document (`article_to_document`), so both engines index the same
    fields with the same tokens.
    """
    document = article_to_document(article, content_hash)
    document.update(duplicates)
    source: dict[str, Any] = {}
    dropped = 0
    for name, value in document.items():
        if name in TOKEN_FIELDS:
            encoded = encode_tokens(name, _tokens(name, value))
            source.update(encoded.layers)
            dropped += encoded.dropped
        elif name in ("author", "tag"):
            source[name] = _keywords(name, value)
        elif name == "dup_sketch":
            source[name] = value.split()
        elif name in ("published", "modified"):
            source[name] = _iso(getattr(article, name))
        elif name in ("authors", "tags"):
            source[name] = list(value)
        elif name == "alternates":
            source[name] = [list(pair) for pair in value]
        else:
            source[name] = value
    source["dup_copy"] = source.get("dup_group", article.id) != article.id
    return source, dropped


def _datetime(value: str | None) -> datetime | None:
    """A stored ISO date as the naive UTC datetime Whoosh's stored fields hold."""
    return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None) if value else None


def source_to_stored(source: dict[str, Any]) -> dict[str, Any]:
    """The stored fields of an OpenSearch document's ``_source`` as a Whoosh document holds
    them (dates as naive UTC datetimes): what the query stage makes hits and rows of."""
    stored = {name: source.get(name) for name in (*KEYWORD_FIELDS, *STORED_ONLY_FIELDS)}
    stored["published"] = _datetime(source.get("published"))
    stored["modified"] = _datetime(source.get("modified"))
    return stored


def source_to_article(source: dict[str, Any]) -> Article:
    """The `Article` of an OpenSearch document's ``_source`` (as `document_to_article` reads
    a Whoosh document's stored fields)."""
    return document_to_article(source_to_stored(source))

