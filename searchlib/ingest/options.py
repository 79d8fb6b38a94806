"""Ingest options: the limits and switches shared by `read_articles` and `extract_article`.

Part of the ingest stage (bytes in, `Article` out). Holds values only; reading happens elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from searchlib.errors import ConfigError

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
    """

    max_file_bytes: int = 50 * _MB
    max_decompressed_bytes: int = 200 * _MB
    max_html_depth: int = 256
    min_text_chars: int = 150
    favor_recall: bool = False

    def __post_init__(self) -> None:
        for option in fields(self):
            value = getattr(self, option.name)
            if option.type in ("int", int) and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"IngestOptions.{option.name} must be a positive integer, "
                                  f"got {value!r}")
