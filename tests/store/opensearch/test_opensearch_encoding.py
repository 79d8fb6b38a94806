"""The token layers of real articles (`encoding.encode_tokens`) are exactly the layout the
OpenSearch engine's design defines, computed here the plain way: layer k holds, at every
position from 0 to the last, the (k+1)-th token the analyser gave there, else `FILLER`; tokens
holding a Java whitespace get ``_`` for it; too long and too deep tokens are dropped.
No cluster needed.
"""

from __future__ import annotations

import re

from searchlib.model import Article
from searchlib.store.opensearch.encoding import (
    FILLER,
    MAX_TOKEN_CHARS,
    STACK_DEPTH,
    TOKEN_FIELDS,
    _tokens,
    encode_tokens,
    layer_fields,
)
from searchlib.store.schema import article_to_document

_JAVA_SPACE = re.compile("[\t-\r\x1c-\x1f \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029"
                         "\u205f\u3000]")


def _layers_by_definition(field: str, tokens: list[tuple[str, int]]) -> tuple[dict, int]:
    at: dict[int, list[str]] = {}
    dropped = 0
    for text, pos in tokens:
        if not text or len(text) > MAX_TOKEN_CHARS or len(at.get(pos, ())) == STACK_DEPTH:
            dropped += 1
        else:
            at.setdefault(pos, []).append(_JAVA_SPACE.sub("_", text))
    if not at:
        return {}, dropped
    depth = max(len(stack) for stack in at.values())
    layers = {}
    for layer, name in enumerate(layer_fields(field)[:depth]):
        layers[name] = " ".join(at[pos][layer] if len(at.get(pos, ())) > layer else FILLER
                                for pos in range(max(at) + 1))
    return layers, dropped


def test_layers_of_real_articles_follow_the_definition(research_articles: list[Article]) -> None:
    stacked = 0
    for article in research_articles[::12]:
        document = article_to_document(article, article.content_hash())
        for field in TOKEN_FIELDS:
            if field not in document:
                continue
            tokens = list(_tokens(field, document[field]))
            encoded = encode_tokens(field, tokens)
            assert (encoded.layers, encoded.dropped) == _layers_by_definition(field, tokens), (
                article.id, field)
            stacked += len(encoded.layers) > 1
    assert stacked > 100  # hyphenated words and lemmas beside forms: deep layers were tested


def test_spaces_inside_tokens_and_dropped_tokens() -> None:
    tokens = [("a\u2003b", 0), ("x" * (MAX_TOKEN_CHARS + 1), 1), ("c", 2)]
    tokens += [(f"d{k}", 3) for k in range(STACK_DEPTH + 2)]
    encoded = encode_tokens("text_exact", tokens)
    assert (encoded.layers, encoded.dropped) == _layers_by_definition("text_exact", tokens)
    assert encoded.layers["text_exact"].split(" ")[:3] == ["a_b", FILLER, "c"]
    assert encoded.dropped == 3
    assert len(encoded.layers) == STACK_DEPTH
