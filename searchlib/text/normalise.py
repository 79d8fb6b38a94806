"""Text normalisation for metadata and language detection (not offset-preserving)."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u2018": "'"})
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\u0301\u0300]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalise(text: str) -> str:
    """NFC, one apostrophe, no stress marks, soft hyphens or zero-width characters, single spaces.

    >>> normalise("Прем\u2019єр-міні\u0301стр\u00a0 Канади")
    "Прем'єр-міністр Канади"
    """
    text = unicodedata.normalize("NFC", text)
    text = unicodedata.normalize("NFD", text) if "\u0301" in text or "\u0300" in text else text
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text.translate(_APOSTROPHES)).strip()
