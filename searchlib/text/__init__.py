"""Pure ``str -> str`` helpers shared by ingest and analysis: normalisation and language detection.

No Whoosh, no lxml, no dictionaries here: this layer is cheap to import and safe to call anywhere.
"""

from searchlib.text.language import detect_language, query_languages
from searchlib.text.normalise import normalise
from searchlib.text.urls import domain_of

__all__ = ["normalise", "detect_language", "query_languages", "domain_of"]
