"""The word tokenizer shared by every searchlib analyzer.

A word is a run of letters and digits that may hold, *inside* it:

- apostrophes and their look-alikes between letters (``м'ясо``, ``прем’єр``, ``O'Brien``);
- stress marks, soft hyphens and zero-width characters (``міні́стр``, ``Ки\u00adїв``);
- hyphens between pieces (``прем'єр-міністр``, ``Ростов-на-Дону``): the whole word is one
  token here and `CompoundFilter` adds its parts.

The tokenizer never changes the text it matches: a token's text is exactly
``value[t.startchar:t.endchar]``; `NormaliseFilter` folds it afterwards.

>>> [(t.text, t.pos, t.startchar, t.endchar)
...  for t in WordTokenizer()("м’ясо, прем'єр-міністр", positions=True, chars=True)]
[('м’ясо', 0, 0, 5), ("прем'єр-міністр", 1, 7, 22)]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from whoosh.analysis import Token, Tokenizer

from searchlib.text.normalise import APOSTROPHE_CHARS, INVISIBLE_CHARS

__all__ = ["WordTokenizer", "WORD_PATTERN", "HYPHENS", "TokenisedText"]

HYPHENS = "-\u2010\u2011"
_ALNUM = r"[^\W_]"
_INSIDE = "[" + re.escape(INVISIBLE_CHARS) + "\u0300-\u036f]"
_APOS = "[" + re.escape(APOSTROPHE_CHARS) + "]"
_PIECE = rf"{_ALNUM}(?:{_ALNUM}|{_INSIDE}|{_APOS}(?={_ALNUM}))*"
WORD_PATTERN = re.compile(rf"{_PIECE}(?:[{re.escape(HYPHENS)}]{_PIECE})*")


class WordTokenizer(Tokenizer):
    """Words with inner apostrophes, hyphens, stress marks and invisible characters."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__.__name__)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        for pos, match in enumerate(WORD_PATTERN.finditer(value), start_pos):
            t.text = match.group(0)
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = t.text
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            yield t


class TokenisedText(str):
    """A text that carries its words (`WORD_PATTERN` matches), found once for every field and
    chain it feeds (issue 24): an article's body goes to ``text_<lang>``, ``text_exact`` and
    ``names``, and each chain (`MemoAnalyzer`) takes `words` instead of scanning the text again.
    Equal to the plain string in every other way, so the tokens are the same.

    >>> title, body = TokenisedText("Візит до Канади"), TokenisedText("Прем’єр-міністр")
    >>> TokenisedText.join(title, body).words
    ['Візит', 'до', 'Канади', 'Прем’єр-міністр']
    """

    words: list[str]
    joint: Any = None
    """The analysis of all the chains this text feeds, in one pass (`memo.JointAnalysis`), if
    one was set up; `role` says which of its texts this is."""
    role = ""

    def __new__(cls, text: str, words: list[str] | None = None) -> TokenisedText:
        self = super().__new__(cls, text)
        self.words = WORD_PATTERN.findall(text) if words is None else words
        return self

    @cached_property
    def distinct(self) -> set[str]:
        """The distinct words."""
        return set(self.words)

    def __getnewargs__(self) -> tuple[str, list[str]]:  # type: ignore[override]
        return str(self), self.words  # unpickled without a scan (documents sent to workers)

    @classmethod
    def join(cls, first: TokenisedText, second: TokenisedText) -> TokenisedText:
        """``first + "\\n" + second``, its words found without a scan (no word spans a line
        break)."""
        return cls(f"{first}\n{second}", first.words + second.words)
