"""Snippets: the passages of an article around the matched words, as data.

A `Snippet` is plain text plus the character ranges to mark. Rendering is elsewhere:
`Snippet.to_html()` escapes the text and adds only `<mark>`; colour on a terminal is the CLI's job.
The stored text is re-analysed with the field's own analyzer, so inflected forms are marked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from whoosh.analysis import Analyzer, Token
from whoosh.highlight import ContextFragmenter, Fragment

__all__ = ["Snippet", "make_snippet"]

ELLIPSIS = "\u2026"
FRAGMENT_CHARS = 220
CONTEXT_CHARS = 60
FRAGMENTS = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Snippet:
    """A passage of an article and the (start, end) character ranges of matched words in it."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def to_html(self) -> str:
        """The snippet as HTML: the text escaped, matches wrapped in `<mark>`, nothing else.

        >>> Snippet(text="a <b> c", highlights=((2, 5),)).to_html()
        'a <mark>&lt;b&gt;</mark> c'
        """
        parts: list[str] = []
        cursor = 0
        for start, end in self.highlights:
            parts.append(html.escape(self.text[cursor:start], quote=False))
            parts.append(f"<mark>{html.escape(self.text[start:end], quote=False)}</mark>")
            cursor = end
        parts.append(html.escape(self.text[cursor:], quote=False))
        return "".join(parts)

    def marked(self, before: str, after: str) -> str:
        """The text with each match wrapped in `before`/`after` (for terminals and plain text)."""
        parts: list[str] = []
        cursor = 0
        for start, end in self.highlights:
            parts.extend((self.text[cursor:start], before, self.text[start:end], after))
            cursor = end
        parts.append(self.text[cursor:])
        return "".join(parts)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "highlights": [list(span) for span in self.highlights]}


def make_snippet(text: str, matchers: Iterable[tuple[Iterable[str], Analyzer]]) -> Snippet:
    """The best passages of `text` that contain any of the matched terms.

    `matchers` pairs each set of indexed terms with the analyzer of the field they come from
    (lemmas, exact forms, name keys): each analyzer re-reads the text in index mode, so every
    form the index holds is marked where it stands. The whole text is considered (no character
    limit), but an analyzer stops at the paragraph where it has found all of its terms. Falls
    back to the opening of the text.
    """
    spans: dict[tuple[int, int], str] = {}
    for terms, analyzer in matchers:
        termset = frozenset(terms)
        if termset and text:
            # A word another field already matched keeps that field's term, so one word
            # counts as one query word.
            for span, term in _matched_spans(text, termset, analyzer):
                spans.setdefault(span, term)
    if spans:
        fragmenter = ContextFragmenter(maxchars=FRAGMENT_CHARS, surround=CONTEXT_CHARS,
                                       charlimit=None)
        fragments = _best_fragments(fragmenter.fragment_tokens(text, _words(text, spans)))
        if fragments:
            return _join(text, fragments)
    return _opening(text)


_PARAGRAPH = re.compile(r"[^\n]+")
_WORD = re.compile(r"\w+(?:['\u2019\u02bc`\u00b4\u0301\u00ad-]+\w+)*")


def _matched_spans(text: str, terms: frozenset[str],
                   analyzer: Analyzer) -> Iterator[tuple[tuple[int, int], str]]:
    """((start, end), term) of every token of `text` whose indexed form is in `terms`."""
    missing = set(terms)
    for paragraph in _PARAGRAPH.finditer(text):
        base = paragraph.start()
        for token in analyzer(paragraph.group(), chars=True, mode="index", removestops=False):
            if token.text in terms:
                missing.discard(token.text)
                yield (base + token.startchar, base + token.endchar), token.text
        if not missing:
            return


def _words(text: str, spans: dict[tuple[int, int], str]) -> Iterator[Token]:
    """Word tokens of `text`, `matched` where a matched span overlaps them; `text` set to the
    matched term, so passages count different query words, not different forms."""
    ordered = sorted(spans.items())
    cursor = 0
    for word in _WORD.finditer(text):
        start, end = word.span()
        while cursor < len(ordered) and ordered[cursor][0][1] <= start:
            cursor += 1
        hit = cursor < len(ordered) and ordered[cursor][0][0] < end
        token = Token(text=ordered[cursor][1] if hit else word.group().lower(),
                      startchar=start, endchar=end)
        token.matched = hit
        yield token


def _best_fragments(fragments: Iterable[Fragment]) -> list[Fragment]:
    """Up to `FRAGMENTS` passages, chosen greedily to show as many different query words as
    possible (then the most matches), in text order: a two-word query shows both words."""
    candidates = [f for f in fragments if f.matches]
    chosen: list[Fragment] = []
    shown: set[str] = set()
    while candidates and len(chosen) < FRAGMENTS:
        best = max(candidates, key=lambda f: (len({t.text for t in f.matches} - shown),
                                              len(f.matches), -f.startchar))
        if chosen and not {t.text for t in best.matches} - shown and len(best.matches) < 2:
            break
        chosen.append(best)
        shown |= {t.text for t in best.matches}
        candidates.remove(best)
    return sorted(chosen, key=lambda f: f.startchar)


def _join(text: str, fragments) -> Snippet:
    pieces: list[str] = []
    highlights: list[tuple[int, int]] = []
    length = 0
    for number, fragment in enumerate(fragments):
        if number:
            prefix = f" {ELLIPSIS} "
        else:
            prefix = ELLIPSIS if fragment.startchar > 0 else ""
        start = fragment.startchar
        body = text[start:fragment.endchar]
        base = length + len(prefix)
        spans = sorted({(t.startchar, t.endchar) for t in fragment.matches})
        last_end = -1
        for s, e in spans:
            if s >= last_end:
                highlights.append((base + s - start, base + e - start))
                last_end = e
        pieces.append(prefix + body)
        length += len(prefix) + len(body)
    if fragments and fragments[-1].endchar < len(text):
        pieces.append(ELLIPSIS)
    return Snippet(text=_flat("".join(pieces)), highlights=tuple(highlights))


def _flat(piece: str) -> str:
    # Newlines become spaces one for one, so highlight offsets stay valid.
    return piece.replace("\n", " ").replace("\r", " ").replace("\t", " ")


def _opening(text: str) -> Snippet:
    if len(text) <= FRAGMENT_CHARS:
        return Snippet(text=_flat(text))
    cut = text.rfind(" ", 0, FRAGMENT_CHARS)
    return Snippet(text=_flat(text[: cut if cut > 0 else FRAGMENT_CHARS]) + ELLIPSIS)
