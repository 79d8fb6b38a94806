"""Snippets: the passages of an article around the matched words, as data.

A `Snippet` is plain text plus the character ranges to mark. Rendering is elsewhere:
`Snippet.to_html()` escapes the text and adds only `<mark>`; colour on a terminal is the CLI's job.
The stored text is re-analysed with the field's own analyzer, so inflected forms are marked;
what each analyzer makes of a whitespace-free chunk is remembered (`_ChunkTokens`), so a snippet
costs a few set and dictionary lookups once the chunks of the text have been seen (issue 7:
query latency, 10 snippets per search). A chunk not seen yet is analysed only if cheap exact
tests say it may make a matched term, and only up to the paragraph where the scan stops, so a
fresh process does not lemmatise whole articles to mark a few words (issue 7: cold start).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import filterfalse
from typing import Any

from whoosh.analysis import Analyzer, LowercaseFilter

from searchlib.analysis.filters import (
    CompoundFilter,
    LemmaFilter,
    NormaliseFilter,
    StopWordFilter,
    TranslitFilter,
    lowercase_name_key,
)
from searchlib.analysis.morph import lemma_sources
from searchlib.analysis.tokenizers import HYPHENS, WORD_PATTERN, WordTokenizer
from searchlib.model import Lang
from searchlib.text.normalise import normalise_word
from searchlib.text.translit import learnt_sources, skeleton_key

__all__ = ["Snippet", "make_snippet", "mark_all"]

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
    (lemmas, exact forms, name keys): each analyzer reads the text in index mode, so every
    form the index holds is marked where it stands. The whole text is considered (no character
    limit), but an analyzer stops at the paragraph where it has found all of its terms. Falls
    back to the opening of the text.
    """
    spans: dict[tuple[int, int], str] = {}
    chunks = _Chunks(text)
    for terms, analyzer in matchers:
        termset = frozenset(terms)
        if termset and text:
            # A word another field already matched keeps that field's term, so one word
            # counts as one query word.
            for span, term in _matched_spans(chunks, termset, analyzer):
                spans.setdefault(span, term)
    if spans:
        fragments = _best_fragments(_fragments(text, spans))
        if fragments:
            return _join(text, fragments)
    return _opening(text)


def mark_all(text: str, matchers: Iterable[tuple[Iterable[str], Analyzer]]) -> Snippet:
    """All of `text` with every word marked that `make_snippet` would mark in a passage: the
    same analyzers read every paragraph, and a word is marked where a matched span overlaps
    it (an article page opened from a search)."""
    spans: set[tuple[int, int]] = set()
    for terms, analyzer in matchers:
        termset = frozenset(terms)
        if termset and text:
            spans.update(span for span, _ in _matched_spans_by_paragraph(
                text, termset, analyzer, whole=True))
    ordered = sorted(spans)
    marked: list[tuple[int, int]] = []
    cursor = 0
    for word in _WORD.finditer(text):
        start, end = word.span()
        while cursor < len(ordered) and ordered[cursor][1] <= start:
            cursor += 1
        if cursor == len(ordered):
            break
        if ordered[cursor][0] < end:
            marked.append((start, end))
    return Snippet(text=text, highlights=tuple(marked))


_PARAGRAPH = re.compile(r"[^\n]+")
_SURE_CHARS = re.compile(
    "[!-_a-~\u0402-\u040c\u040e-\u044f\u0452-\u045c\u045e-\u0482\u048a-\u04ff"
    "\u00ab\u00bb\u201e\u201c\u201d\u2013\u2014\u2026\u2116]*")
"""Characters `normalise_word` leaves alone and `str.lower` maps to one character: printable
ASCII (but the backtick, an apostrophe), Cyrillic letters other than ё and the stressed ѐ ѝ, and
some punctuation."""
_LATIN_LETTER = re.compile("[A-Za-z]")
_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff]")
_NOT_CYRILLIC_WORD = re.compile("[^\\W\u0400-\u04ff]")
_PLAIN: dict[str, bool] = {}
"""Chunk -> whether `normalise_word` leaves each of its words as it is (`_plain`); at most
`_PLAIN_LIMIT` chunks (~150 bytes each, so ~15 MB), then forgotten all at once."""
_PLAIN_LIMIT = 100_000
_PLAIN_CHUNKS: set[str] = set()
"""The chunks of `_PLAIN` that are plain (emptied with it)."""
_WORD = re.compile(r"\w+(?:['\u2019\u02bc`\u00b4\u0301\u00ad-]+\w+)*")
_SURFACE_PARTS = (WordTokenizer, CompoundFilter, NormaliseFilter, LowercaseFilter, StopWordFilter)
"""Parts that only cut a chunk into words (and parts of words), fold them and mark stop words:
each token is a substring of the chunk, folded."""
_Tokens = tuple[tuple[str, int, int], ...]
"""(indexed text, start, end) of the tokens an analyzer makes of one chunk, offsets in it."""


class _ChunkTokens:
    """What one analyzer makes of each whitespace-free chunk of text, remembered.

    No token of our analyzers spans whitespace and every filter maps one token to its forms
    without looking at its neighbours, so the tokens of a text are the tokens of its chunks
    (`tests/query/test_highlight.py` checks this on real articles). News text repeats its
    chunks, so after a few queries almost every chunk is known and a snippet costs dictionary
    lookups instead of a pass through the morphological chain. New chunks are analysed
    together, by the analyzer itself, in one call.
    """

    LIMIT = 50_000
    """Chunks remembered per analyzer (then forgotten all at once): ~300 bytes each, so at most
    ~15 MB per analyzer; the 24 benchmark queries on a 2k index meet 23k chunks of Russian."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.known: dict[str, _Tokens] = {}
        self.chunks_of: dict[str, set[str]] = {}
        """Indexed form -> the known chunks that make it."""
        self.words: _ChunkTokens | None = None
        """For a chain that ends in a `LemmaFilter`: the same cache for the chain without it."""
        self.lang: Lang | None = None
        self.capitalised_only = False
        self._sources_of: dict[frozenset[str], tuple[frozenset[str], set[str]]] = {}
        """A `TranslitFilter` chain (no stop words) makes tokens of capitalised words only."""
        items: list[Any] = list(getattr(analyzer, "items", ()))
        # The tests of `wanted` hold for chains of these parts only.
        if len(items) > 1 and all(isinstance(i, _SURFACE_PARTS) for i in items[:-1]):
            last = items[-1]
            if isinstance(last, LemmaFilter) and any(isinstance(i, LowercaseFilter)
                                                     for i in items):
                self.words = _ChunkTokens(type(analyzer)(*items[:-1]))
                self.lang = last.lang
            elif isinstance(last, TranslitFilter):
                self.capitalised_only = not any(isinstance(i, StopWordFilter) for i in items)

    def wanted(self, chunks: _Chunks, terms: frozenset[str]) -> set[str] | None:
        """The chunks of the text that may make any of `terms` (None: analyse whole paragraphs).

        Cheap, exact tests skip the chunks that cannot, so the morphology runs on few words
        (issue 7: a cold search analysed every word of its ten hits to mark a few). A lemma
        chain makes a term only from a word that `lemma_sources` lists for it, and a chunk whose
        characters normalisation leaves alone holds that word only as part of its lowercase
        text; the other chunks are read by the chain without its lemma filter. A name-key chain
        keys capitalised words, and normalisation makes no letter uppercase, plus the lowercase
        words whose key the learnt table holds (`lowercase_name_key`).
        """
        if self.capitalised_only:
            initials = _source_initials(terms)
            return {chunk for chunk in chunks.distinct
                    if not chunk.islower() or (
                        initials and _may_start(chunk, initials)
                        and not terms.isdisjoint(_lowercase_name_keys(chunk)))}
        words = self.words
        if words is None or self.lang is None:
            return chunks.distinct
        # A term without Cyrillic letters is an English stem of a Latin-script word, which
        # only a chunk with a non-Cyrillic letter or digit can make (normalisation turns a
        # word Cyrillic only when it has Cyrillic letters).
        latin = {chunk for chunk in chunks.distinct if _NOT_CYRILLIC_WORD.search(chunk)} if any(
            not _CYRILLIC_LETTER.search(term) for term in terms) else set()
        sources, prefixes = self._sources(terms, self.lang)
        read = chunks.holding(prefixes)
        found, unsure = (set(), chunks.distinct) if read is None else read
        if not unsure:
            return found | latin
        if not words.learn(unsure):
            return None
        return found | latin | words.matching(unsure, sources)

    def _sources(self, terms: frozenset[str], lang: Lang) -> tuple[frozenset[str], set[str]]:
        """The words that can make `terms` (`lemma_sources`) and their distinct beginnings
        (a lowercase text holds a word only where it holds its first three letters: a few
        searches of the text instead of one per inflected form), remembered per term set."""
        known = self._sources_of.get(terms)
        if known is None:
            if len(self._sources_of) >= 1000:
                self._sources_of.clear()
            sources = frozenset().union(*(lemma_sources(term, lang) for term in terms))
            known = self._sources_of[terms] = (sources, {word[:3] for word in sources})
        return known

    def matching(self, chunks: set[str], terms: Iterable[str]) -> set[str]:
        """The chunks (all known) that make any of `terms`."""
        found: set[str] = set()
        for term in terms:
            having = self.chunks_of.get(term)
            if having:
                found |= having & chunks
        return found

    def learn(self, chunks: set[str]) -> bool:
        """Analyse the chunks not yet known; False if the analyzer made a token that spans two
        chunks (an analyzer unlike ours: the caller must analyse whole paragraphs)."""
        known = self.known
        new = list(filterfalse(known.__contains__, chunks))
        if not new:
            return True
        if len(known) + len(new) > self.LIMIT:
            known.clear()
            self.chunks_of.clear()
            new = list(chunks)  # the caller reads each of its chunks from the cache
        starts: list[int] = []
        position = 0
        for chunk in new:
            starts.append(position)
            position += len(chunk) + 1
        found: list[list[tuple[str, int, int]]] = [[] for _ in new]
        for token in self.analyzer(" ".join(new), chars=True, mode="index",
                                   removestops=False):
            number = bisect_right(starts, token.startchar) - 1
            base = starts[number]
            if token.endchar > base + len(new[number]):
                return False
            found[number].append((token.text, token.startchar - base, token.endchar - base))
        chunks_of = self.chunks_of
        for chunk, tokens in zip(new, found, strict=True):
            known[chunk] = tuple(tokens)
            for form, _, _ in tokens:
                chunks_of.setdefault(form, set()).add(chunk)
        return True


_CHUNK_TOKENS: list[_ChunkTokens] = []
"""One cache per distinct analyzer (searchers unpickle their own copies of the schema's
analyzers, so they are found by equality)."""


def _chunk_tokens(analyzer: Analyzer) -> _ChunkTokens:
    for cache in _CHUNK_TOKENS:
        if cache.analyzer is analyzer:
            return cache
    for cache in _CHUNK_TOKENS:
        if cache.analyzer == analyzer:
            cache.analyzer = analyzer
            return cache
    cache = _ChunkTokens(analyzer)
    _CHUNK_TOKENS.append(cache)
    return cache


class _Chunks:
    """The whitespace-free chunks of one text (`str.split` and `\\S+` agree on whitespace)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.distinct = set(text.split())
        self._unsure: set[str] | None = None

    def holding(self, words: set[str]) -> tuple[set[str], set[str]] | None:
        """(found, unsure): the chunks whose lowercase text contains one of `words`, among
        those whose words `normalise_word` leaves as they are (one script, no look-alike
        apostrophe, stress mark, invisible character or ``ё``), and the other chunks, which
        this cannot tell. None when lowercasing changes the length of the text."""
        text = self.text
        lowered = text.lower()
        if len(lowered) != len(text) or any(word.split() != [word] for word in words):
            return None
        unsure = self.unsure()
        found: set[str] = set()
        for word in words:
            at = lowered.find(word)
            while at >= 0:
                found.add(_chunk_at(text, at))
                at = lowered.find(word, at + 1)
        return found - unsure, unsure

    def unsure(self) -> set[str]:
        """The chunks some word of which `normalise_word` may change (not `_plain`).

        The chunks known to be plain are taken out first (a set difference, in C): looking
        each of a text's ~700 chunks up in Python cost more than the rest of `holding`."""
        if self._unsure is None:
            self._unsure = {chunk for chunk in self.distinct.difference(_PLAIN_CHUNKS)
                            if not _is_plain(chunk)}
        return self._unsure

    def placed(self, chunks: set[str], begin: int = 0,
               until: int | None = None) -> list[tuple[int, str]]:
        """(start, chunk) of every occurrence of the given chunks in text[begin:until], in text
        order."""
        text = self.text
        size = len(text)
        until = size if until is None else until
        found: list[tuple[int, str]] = []
        for chunk in chunks:
            start = text.find(chunk, begin, until)
            while start >= 0:
                end = start + len(chunk)
                if (start == 0 or text[start - 1].isspace()) and (
                        end == size or text[end].isspace()):
                    found.append((start, chunk))
                start = text.find(chunk, end if end > start else start + 1, until)
        found.sort()
        return found


_HYPHENATED = re.compile("[" + re.escape(HYPHENS) + "]")
_LOWERCASE_KEYS: dict[str, frozenset[str]] = {}
"""Chunk -> the name keys its lowercase words make (`_lowercase_name_keys`), at most
`_PLAIN_LIMIT` chunks, then forgotten all at once."""


def _key_initials(letter: str) -> frozenset[str]:
    """The first letters a skeleton key can have when its word starts with `letter`
    (``к`` -> ``k`` or ``g``, as ``кх`` -> ``h`` -> ``g``; ``п`` -> ``p`` or ``f``, as ``пх``
    -> ``ph`` -> ``f``); empty when that is not known (the word is then read in full)."""
    key = skeleton_key(normalise_word(letter).lower())
    initials = {key[:1]} if key and _CYRILLIC_LETTER.match(letter) else set()
    initials |= {"g"} if letter == "к" else {"f"} if letter == "п" else set()
    return frozenset(initials)


_INITIALS: dict[str, frozenset[str]] = {}
_WORD_STARTS = re.compile(r"(?:^|\W)(\w)")


def _may_start(chunk: str, initials: frozenset[str]) -> bool:
    """False only when no word or hyphenated part of the chunk can have a key starting with
    one of `initials` (a cheap test before `_lowercase_name_keys`, ~30x dearer)."""
    starts = _STARTS.get(chunk)
    if starts is None:
        starts = _chunk_starts(chunk)
    return starts is _ANY_START or not initials.isdisjoint(starts)


_ANY_START: frozenset[str] = frozenset({"any"})
"""The key initials of a chunk with a word whose initials are not known (`_key_initials`
empty): it may start any key."""
_STARTS: dict[str, frozenset[str]] = {}
"""Chunk -> the initials the keys of its words and hyphenated parts can have (`_ANY_START`:
any), at most `_PLAIN_LIMIT` chunks, then forgotten all at once."""
_STARTS_SHARED: dict[frozenset[str], frozenset[str]] = {}


def _chunk_starts(chunk: str) -> frozenset[str]:
    """The `_STARTS` value of a chunk, remembered: the union of its word starts' initials."""
    found: set[str] = set()
    for letter in _WORD_STARTS.findall(chunk):
        known = _INITIALS.get(letter)
        if known is None:
            known = _INITIALS[letter] = _key_initials(letter)
        if not known:
            found = set(_ANY_START)
            break
        found |= known
    starts = _ANY_START if found == _ANY_START else frozenset(found)
    starts = _STARTS_SHARED.setdefault(starts, starts)
    if len(_STARTS) >= _PLAIN_LIMIT:
        _STARTS.clear()
    _STARTS[chunk] = starts
    return starts


def _source_initials(terms: frozenset[str]) -> frozenset[str]:
    """The first letters of the skeleton keys the learnt table turns into any of `terms`."""
    return frozenset(source[:1] for term in terms for source in learnt_sources(term))


def _lowercase_name_keys(chunk: str) -> frozenset[str]:
    """The keys a name-key chain makes of a lowercase chunk: its words and their hyphenated
    parts, normalised, through `lowercase_name_key`."""
    keys = _LOWERCASE_KEYS.get(chunk)
    if keys is None:
        found = set()
        if _CYRILLIC_LETTER.search(chunk):
            for word in WORD_PATTERN.findall(chunk):
                for piece in (word, *_HYPHENATED.split(word)):
                    key = lowercase_name_key(normalise_word(piece).lower())
                    if key is not None:
                        found.add(key)
        if len(_LOWERCASE_KEYS) >= _PLAIN_LIMIT:
            _LOWERCASE_KEYS.clear()
        keys = _LOWERCASE_KEYS[chunk] = frozenset(found)
    return keys


def _is_plain(chunk: str) -> bool:
    """`_plain`, looked up in `_PLAIN` first."""
    plain = _PLAIN.get(chunk)
    return _plain(chunk) if plain is None else plain


def _plain(chunk: str) -> bool:
    """Whether `normalise_word` leaves every word of the chunk as it is: only `_SURE_CHARS`,
    one script (else look-alike letters may be repaired). Remembered in `_PLAIN`."""
    if chunk.isascii():
        plain = "`" not in chunk
    else:
        plain = _SURE_CHARS.fullmatch(chunk) is not None and not (
            _LATIN_LETTER.search(chunk) and _CYRILLIC_LETTER.search(chunk))
    if len(_PLAIN) >= _PLAIN_LIMIT:
        _PLAIN.clear()
        _PLAIN_CHUNKS.clear()
    _PLAIN[chunk] = plain
    if plain:
        _PLAIN_CHUNKS.add(chunk)
    return plain


def _chunk_at(text: str, position: int) -> str:
    """The whitespace-free chunk of `text` around the (non-space) character at `position`."""
    start = end = position
    while start and not text[start - 1].isspace():
        start -= 1
    size = len(text)
    while end < size and not text[end].isspace():
        end += 1
    return text[start:end]


def _matched_spans(chunks: _Chunks, terms: frozenset[str],
                   analyzer: Analyzer) -> Iterator[tuple[tuple[int, int], str]]:
    """((start, end), term) of every token of the text whose indexed form is in `terms`, up to
    the end of the paragraph where the last missing term was found."""
    text = chunks.text
    cache = _chunk_tokens(analyzer)
    wanted = cache.wanted(chunks, terms)
    if wanted is None:
        yield from _matched_spans_by_paragraph(text, terms, analyzer)
        return
    # A dict's keys view looks each wanted chunk up; `set.issubset(dict)` would first copy all
    # of the cache's keys (up to `_ChunkTokens.LIMIT`) into a new set, on every call.
    if not cache.known.keys() >= wanted:
        yield from _matched_spans_learning(chunks, wanted, terms, cache)
        return
    known = cache.known
    matching = cache.matching(wanted, terms)
    if not matching:
        return
    missing = set(terms)
    stop = len(text)
    for start, chunk in chunks.placed(matching):
        if start >= stop:
            return
        for form, first, last in known[chunk]:
            if form in terms:
                yield (start + first, start + last), form
                if missing:
                    missing.discard(form)
                    if not missing:
                        newline = text.find("\n", start)
                        stop = newline if newline >= 0 else len(text)


def _matched_spans_learning(chunks: _Chunks, wanted: set[str], terms: frozenset[str],
                            cache: _ChunkTokens) -> Iterator[tuple[tuple[int, int], str]]:
    """`_matched_spans` for a text with wanted chunks the cache does not know yet: paragraph
    by paragraph, each analysed when the scan reaches it, so the paragraphs after the one
    where the last missing term is found cost nothing (about four fifths of the text of the
    benchmark queries' hits)."""
    text = chunks.text
    known = cache.known
    missing = set(terms)
    for paragraph in _PARAGRAPH.finditer(text):
        here = wanted.intersection(paragraph.group().split())
        if not here:
            continue
        base, end = paragraph.span()
        if not cache.learn(here):
            yield from _matched_spans_by_paragraph(text, frozenset(missing), cache.analyzer,
                                                   start=base, marked=terms)
            return
        for start, chunk in chunks.placed(cache.matching(here, terms), base, end):
            for form, first, last in known[chunk]:
                if form in terms:
                    yield (start + first, start + last), form
                    missing.discard(form)
        if not missing:
            return


def _matched_spans_by_paragraph(text: str, terms: frozenset[str], analyzer: Analyzer, *,
                                start: int = 0, marked: frozenset[str] | None = None,
                                whole: bool = False) -> Iterator[tuple[tuple[int, int], str]]:
    """`_matched_spans` for any analyzer: each paragraph from `start` through the whole chain,
    up to the paragraph where the last of `terms` is found (to the end if `whole`), marking
    `terms` (or `marked`)."""
    marked = terms if marked is None else marked
    missing = set(terms)
    for paragraph in _PARAGRAPH.finditer(text, start):
        base = paragraph.start()
        for token in analyzer(paragraph.group(), chars=True, mode="index", removestops=False):
            if token.text in marked:
                missing.discard(token.text)
                yield (base + token.startchar, base + token.endchar), token.text
        if not missing and not whole:
            return


@dataclass(slots=True)
class _Fragment:
    """A passage [start, end) of the text and its matched words as (start, end, term)."""

    start: int
    end: int
    matches: list[tuple[int, int, str]]

    def terms(self) -> set[str]:
        return {term for _, _, term in self.matches}


def _fragments(text: str, spans: dict[tuple[int, int], str]) -> Iterator[_Fragment]:
    """The passages of Whoosh's `ContextFragmenter(maxchars=FRAGMENT_CHARS,
    surround=CONTEXT_CHARS, charlimit=None)` over the words of `text`, a word being matched
    (with the term of its span) where a matched span overlaps it.

    The same algorithm, quirks included, on plain tuples instead of a `Token` per word; it stops
    after the last passage with a match. Passages count different query words, not forms.
    """
    ordered = sorted(spans.items())
    count = len(ordered)
    cursor = 0
    maxchars, surround = FRAGMENT_CHARS, CONTEXT_CHARS
    first: int | None = None
    firsts: deque[int] = deque()
    countdown = -1
    matches: list[tuple[int, int, str]] = []
    end = 0
    length = 0
    for word in _WORD.finditer(text):
        start, end = word.span()
        while cursor < count and ordered[cursor][0][1] <= start:
            cursor += 1
        if cursor == count and not matches:
            return
        matched = cursor < count and ordered[cursor][0][0] < end
        size = end - start
        if countdown < 0 and not matched:
            firsts.append(start)
            while firsts and end - firsts[0] > surround:
                firsts.popleft()
        elif length + size > maxchars:
            countdown = 0
        elif matched:
            countdown = surround
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = start
                    countdown += surround
            matches.append((start, end, ordered[cursor][1]))
        if countdown >= 0:
            length += size
            countdown -= size
            if countdown <= 0:
                if matches and first is not None:
                    yield _Fragment(first, end, matches)
                matches = []
                firsts = deque()
                first = None
                length = 0
    if matches and first is not None:
        yield _Fragment(first, end, matches)


def _best_fragments(fragments: Iterable[_Fragment]) -> list[_Fragment]:
    """Up to `FRAGMENTS` passages, chosen greedily to show as many different query words as
    possible (then the most matches), in text order: a two-word query shows both words."""
    candidates = [f for f in fragments if f.matches]
    chosen: list[_Fragment] = []
    shown: set[str] = set()
    while candidates and len(chosen) < FRAGMENTS:
        best = max(candidates, key=lambda f: (len(f.terms() - shown), len(f.matches),
                                              -f.start))
        if chosen and not best.terms() - shown and len(best.matches) < 2:
            break
        chosen.append(best)
        shown |= best.terms()
        candidates.remove(best)
    return sorted(chosen, key=lambda f: f.start)


def _join(text: str, fragments: list[_Fragment]) -> Snippet:
    pieces: list[str] = []
    highlights: list[tuple[int, int]] = []
    length = 0
    for number, fragment in enumerate(fragments):
        if number:
            prefix = f" {ELLIPSIS} "
        else:
            prefix = ELLIPSIS if fragment.start > 0 else ""
        start = fragment.start
        body = text[start:fragment.end]
        base = length + len(prefix)
        spans = sorted({(s, e) for s, e, _ in fragment.matches})
        last_end = -1
        for s, e in spans:
            if s >= last_end:
                highlights.append((base + s - start, base + e - start))
                last_end = e
        pieces.append(prefix + body)
        length += len(prefix) + len(body)
    if fragments and fragments[-1].end < len(text):
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
