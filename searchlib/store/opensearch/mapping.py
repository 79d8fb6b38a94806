"""The settings and mapping of a searchlib index in OpenSearch, and its versions.

Token fields (`encoding.TOKEN_FIELDS` and their layers) use the built-in whitespace analyser,
no filters (it cuts tokens longer than 255 characters: `encoding.MAX_TOKEN_CHARS`), so
OpenSearch indexes our tokens as they are, with BM25 at the k1 and b of our Whoosh ranking
(`searchlib.query.scoring.LuceneBM25F` keeps Whoosh's defaults) and the title boost folded
into the titles' k1 (`TITLE_K1`, `TITLE_QUERY_BOOST`). Keyword fields hold exact values;
``source`` is lowercased by the built-in ``lowercase`` normalizer, as the Whoosh schema's
IDAnalyzer does. The mapping is strict: a field it does not name is refused.

``_meta.searchlib`` records the schema, analyser and encoding versions; an index made by
another version is refused (`check_versions`), as a Whoosh index is.

Field lengths: Lucene's BM25 norm counts every position of a layer, FILLERs included, while
Whoosh counts the tokens (stop words left out). A text with many stop words or hyphenated
compounds so looks slightly longer to OpenSearch; this shifts scores a little, never matches.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from whoosh.scoring import BM25F

from searchlib.analysis import ANALYZER_VERSION
from searchlib.errors import IndexIncompatible
from searchlib.store.opensearch.encoding import (
    KEYWORD_FIELDS,
    STORED_ONLY_FIELDS,
    TOKEN_FIELDS,
    layer_fields,
)
from searchlib.store.schema import SCHEMA_VERSION, TITLE_BOOST

__all__ = [
    "ENCODING_VERSION",
    "TOKENS_ANALYZER",
    "SIMILARITY",
    "TITLE_SIMILARITY",
    "TITLE_FIELDS",
    "TITLE_K1",
    "TITLE_QUERY_BOOST",
    "K1",
    "B",
    "SHARDS_ENV",
    "REPLICAS_ENV",
    "DEFAULT_SHARDS",
    "DEFAULT_REPLICAS",
    "new_meta",
    "index_body",
    "check_versions",
    "mapping_problems",
    "versions_of",
]

ENCODING_VERSION = "searchlib-opensearch@2"
"""Bump when the mapping or the document encoding changes; other versions are refused.
@2: ``source_name`` (the source name as given, copied from ``source``)."""
TOKENS_ANALYZER = "whitespace"
"""The built-in whitespace analyser: custom analysers and a configurable tokenizer need the
analysis-common module, which OpenSearch's minimal distribution lacks."""
SIMILARITY = "searchlib_bm25"
"""BM25 of the body-like token fields: Whoosh's (and `LuceneBM25F`'s) k1 and b."""
TITLE_SIMILARITY = "searchlib_bm25_title"
"""BM25 of the title token fields (``title_<lang>``, ``title_exact`` and their layers)."""
K1 = BM25F().K1
B = BM25F().B
TITLE_FIELDS = ("title_uk", "title_ru", "title_en", "title_exact")
TITLE_K1 = K1 / TITLE_BOOST
"""Whoosh's title ``field_boost`` multiplies a title term's frequency (2.5n), not its score:
idf*(k1+1)*2.5n/(2.5n + k1*N) = (k1+1)*idf*n/(n + (k1/2.5)*N), so titles get k1/2.5."""
TITLE_QUERY_BOOST = (K1 + 1) / (TITLE_K1 + 1)
"""OpenSearch 2.x's BM25 keeps Lucene's legacy (k1+1) factor (checked with ``explain`` on
2.19.6: ``boost 1.48`` for k1 0.48), so a title clause needs this query boost (1.486) for title
and body scores to stand in Whoosh's proportion."""
MAX_RESULTS_WINDOW = 100_000
"""`searchlib.query.search.MAX_RESULTS_WINDOW` (the store does not import the query stage)."""
DEFAULT_SHARDS = 1
DEFAULT_REPLICAS = 1
SHARDS_ENV = "SEARCHLIB_OPENSEARCH_SHARDS"
REPLICAS_ENV = "SEARCHLIB_OPENSEARCH_REPLICAS"


def new_meta(**extra: Any) -> dict[str, Any]:
    """The ``_meta.searchlib`` of a new index: versions, a build id and the creation time."""
    return {
        "schema": SCHEMA_VERSION,
        "analyzer": ANALYZER_VERSION,
        "encoding": ENCODING_VERSION,
        "build_id": uuid.uuid4().hex,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
    }


def versions_of(meta: dict[str, Any]) -> str:
    return f"{meta.get('schema')} + {meta.get('analyzer')} + {meta.get('encoding')}"


def check_versions(url: str, meta: dict[str, Any] | None) -> None:
    """Raise `IndexIncompatible` unless `meta` (``_meta.searchlib``) names this version."""
    expected = versions_of(new_meta())
    found = versions_of(meta) if meta else "no searchlib versions (not a searchlib index)"
    if found != expected:
        raise IndexIncompatible(url, found, expected)


def _properties() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name in TOKEN_FIELDS:
        for layer in layer_fields(name):
            properties[layer] = {
                "type": "text", "analyzer": TOKENS_ANALYZER,
                "similarity": TITLE_SIMILARITY if name in TITLE_FIELDS else SIMILARITY}
            if name == "names":  # without positions in Whoosh too (no phrases on it)
                properties[layer]["index_options"] = "freqs"
    for name in KEYWORD_FIELDS:
        properties[name] = {"type": "keyword"}
    properties["source"].update(normalizer="lowercase", copy_to="source_name")
    # The source name as articles give it, for `stats` (``source`` holds it lowercased).
    properties["source_name"] = {"type": "keyword"}
    properties["published"] = {"type": "date"}
    properties["dup_copy"] = {"type": "boolean"}
    for name in STORED_ONLY_FIELDS:
        properties[name] = {"type": "object", "enabled": False}
    return properties


def mapping_problems(mappings: dict[str, Any]) -> list[str]:
    """How a live index's ``mappings`` differ from the ones this version creates: fields
    missing, or of another type, analyser, similarity or normalizer."""
    actual = mappings.get("properties", {})
    problems = []
    for name, expected in _properties().items():
        found = actual.get(name)
        if found is None:
            problems.append(f"mapping: field {name} is missing")
            continue
        for setting in ("type", "analyzer", "similarity", "normalizer", "index_options",
                        "enabled"):
            if setting in expected and found.get(setting, "object" if setting == "type"
                                                 else None) != expected[setting]:
                problems.append(f"mapping: field {name} has {setting} "
                                f"{found.get(setting)!r}, expected {expected[setting]!r}")
    unexpected = sorted(set(actual) - set(_properties()))
    if unexpected:
        problems.append(f"mapping: unexpected field(s) {', '.join(unexpected[:5])}")
    return problems


def index_body(meta: dict[str, Any], *, shards: int = DEFAULT_SHARDS,
               replicas: int = DEFAULT_REPLICAS) -> dict[str, Any]:
    """The body of the create-index request of a new concrete index."""
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # Pages reach offset + limit 100,000 on both engines (the query stage's
                # MAX_RESULTS_WINDOW; `export` streams past it); OpenSearch's default is 10,000.
                "max_result_window": MAX_RESULTS_WINDOW,
                "similarity": {SIMILARITY: {"type": "BM25", "k1": K1, "b": B},
                               TITLE_SIMILARITY: {"type": "BM25", "k1": TITLE_K1, "b": B}},
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"searchlib": meta},
            # The token layers are rebuilt from the article by our analysers, never read back.
            "_source": {"excludes": [f"{name}*" for name in TOKEN_FIELDS]},
            "properties": _properties(),
        },
    }
