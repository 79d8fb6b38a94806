"""The ingest stage: bytes in, `Article` out.

Reads HTML pages (also gzipped), JSONL records and WARC archives; decodes legacy charsets;
extracts body text, title, dates, authors, tags, outlet, canonical URL, language and hreflang
alternates. Yields a `Failure` for every input it cannot read instead of raising. Does not index.
"""

from searchlib.ingest.extract import extract_article
from searchlib.ingest.options import IngestOptions
from searchlib.ingest.sources import (
    article_schema,
    find_inputs,
    input_size,
    read_articles,
    read_jsonl,
)

__all__ = ["find_inputs", "input_size", "read_articles", "read_jsonl", "extract_article",
           "IngestOptions", "article_schema"]
