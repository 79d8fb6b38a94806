"""The OpenSearch engine's query stage (issue 22): our parsed query compiled to OpenSearch DSL
(`compile`), and every read operation on an OpenSearch index with the Whoosh engine's answers
(`searching`: search and count; `timelines`; `exporting`; `related`: did-you-mean, similar
articles, top terms). One `Cluster` (client, alias, error mapping) is what they all read.

Importing it needs the ``opensearch`` extra (opensearch-py), as `searchlib.api_opensearch`
does; the Whoosh engine never imports it.
"""

from searchlib.query.opensearch.cluster import Cluster
from searchlib.query.opensearch.compile import Compiled, compile_query
from searchlib.query.opensearch.exporting import OpenSearchExport, export
from searchlib.query.opensearch.related import similar, suggest, top_terms
from searchlib.query.opensearch.searching import count, highlight, prepare, search
from searchlib.query.opensearch.timelines import timeline

__all__ = [
    "Cluster",
    "Compiled",
    "OpenSearchExport",
    "compile_query",
    "count",
    "export",
    "highlight",
    "prepare",
    "search",
    "similar",
    "suggest",
    "timeline",
    "top_terms",
]
