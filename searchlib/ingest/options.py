"""Ingest options: the limits and switches shared by `read_articles` and `extract_article`.

Part of the ingest stage (bytes in, `Article` out). Holds values only; reading happens elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from searchlib.errors import ConfigError
from searchlib.model import Lang

__all__ = ["IngestOptions"]

_MB = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestOptions:
    """Limits and switches for reading inputs.

    Attributes:
        max_file_bytes: largest HTML page (file, decompressed ``.gz`` page, WARC payload) and
            largest JSONL line we read; bigger inputs become a `Failure`.
        max_decompressed_bytes: cap on the bytes one ``.gz`` file may expand to (gzip bombs).
        max_html_depth: deepest element nesting accepted. libxml2 stops parsing at 256 levels
            without ``huge_tree`` (which we never set), so values above 256 act as 256.
        min_text_chars: an extracted body shorter than this is "not an article" (skipped).
        favor_recall: passed to trafilatura; keeps more borderline text.
        source: the outlet of every article read (overrides what the input says).
        lang: the language of every article read (overrides detection and the input).
        tags: tags added to every article read.
        url_prefix: for HTML pages without a URL, the URL is this prefix plus the file's path
            relative to the folder given (its name, for a file given by name).
    """

    max_file_bytes: int = 50 * _MB
    max_decompressed_bytes: int = 200 * _MB
    max_html_depth: int = 256
    min_text_chars: int = 150
    favor_recall: bool = False
    source: str | None = None
    lang: Lang | None = None
    tags: tuple[str, ...] = ()
    url_prefix: str | None = None

    def __post_init__(self) -> None:
        if self.lang is not None and self.lang not in set(Lang):
            raise ConfigError(f"IngestOptions.lang must be one of uk, ru, en, got {self.lang!r}")
        for option in fields(self):
            value = getattr(self, option.name)
            if option.type in ("int", int) and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"IngestOptions.{option.name} must be a positive integer, "
                                  f"got {value!r}")
