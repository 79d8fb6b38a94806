"""Did-you-mean: a corrected query from the words the index actually holds.

Each plain word of the query (not operators, fields, phrases or wildcards) is looked up in the
surface-form field ``text_exact`` (all languages, lowercased, no lemmas: what is suggested is a
word as written). A word the index does not hold, or holds far more rarely than a word one or
two edits away, is replaced by that word, keeping the user's capitalisation. A word whose own
search finds `ENOUGH` articles is never replaced (``Трюдо`` is not a typo of ``трудно``), and
the replacement must be frequent in the articles of a language the query and the word may be in
(`query_languages`, `_frequency_in`: a Ukrainian question gets no Russian word).

Not here: deciding when to ask (`search` asks when there are few hits; `Index.suggest` always).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from whoosh.codec.base import Automata
from whoosh.searching import Searcher

from searchlib.analysis import build_exact_analyzer
from searchlib.errors import QueryError
from searchlib.model import Lang
from searchlib.query.parse import parse_query, query_words
from searchlib.store import text_field, title_field
from searchlib.text.language import query_languages

__all__ = ["Suggestion", "suggest", "suggest_query"]

FIELD = "text_exact"
RARER = 10
"""A known word is still corrected when a close word is this many times more frequent (a typo
that made it into a few articles); calibrated on the samples and babel-ua."""
ENOUGH = 3
"""Articles holding a word (in any of its forms) that make it a word, never a typo: a search
asks for did-you-mean below 3 hits, so a word with 3 is worth its own results (issue 18)."""
MIN_LENGTH = 3
MAX_CANDIDATES = 5000
"""Close words examined per query word and edit distance."""

MAX_WORDS = 12
"""Distinct words of one query checked for a correction: each costs a Levenshtein walk of the
index words (~0.1 s on the research index), so a long query of many words stays bounded
(issue 19: 150 repeated words took 15 s)."""
_EXACT = build_exact_analyzer()


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestion:
    """A corrected query (None when every word looks right) and the corrections made."""

    query: str
    suggestion: str | None
    corrections: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "suggestion": self.suggestion,
                "corrections": [list(pair) for pair in self.corrections]}


Within = Callable[[Any, str, int], Iterable[str]]
"""(reader, word, edit distance) -> the index words of `FIELD` within that many edits of the
word (the first letter kept), at most `MAX_CANDIDATES` of them."""


def suggest(searcher: Searcher, text: str, *, within: Within | None = None) -> Suggestion:
    """Check the plain words of `text` against the index and propose corrections (each
    distinct word once, at most `MAX_WORDS` of them).

    `searcher` needs `schema`, `reader()` (`doc_frequency`, `doc_count_all`) and
    `docs_for_query`; `within` lists the close words (default: a Levenshtein automaton over
    the Whoosh segments' words)."""
    corrections: list[tuple[int, str, str]] = []
    checked: dict[str, str | None] = {}
    langs = frozenset(query_languages(text))
    for offset, word in query_words(text):
        if word not in checked:
            if len(checked) >= MAX_WORDS:
                continue
            checked[word] = _correct(searcher, word, langs, within or _within)
        better = checked[word]
        if better:
            corrections.append((offset, word, better))
    if not corrections:
        return Suggestion(query=text, suggestion=None)
    pieces: list[str] = []
    cursor = 0
    for offset, word, better in corrections:
        pieces.extend((text[cursor:offset], better))
        cursor = offset + len(word)
    pieces.append(text[cursor:])
    return Suggestion(query=text, suggestion="".join(pieces),
                      corrections=tuple((word, better) for _, word, better in corrections))


def suggest_query(searcher: Searcher, text: str) -> str | None:
    """The corrected query, or None."""
    return suggest(searcher, text).suggestion


def _term(word: str) -> str | None:
    tokens = [t.text for t in _EXACT(word, mode="query")]
    return tokens[0] if len(tokens) == 1 else None


def _correct(searcher: Searcher, word: str, langs: frozenset[Lang],
             within: Within) -> str | None:
    term = _term(word)
    if term is None or len(term) < MIN_LENGTH or term.isdigit():
        return None
    reader = searcher.reader()
    own = _known(searcher, word, term)
    if own * RARER >= reader.doc_count_all() or _hits(searcher, word) >= ENOUGH:
        return None  # none can be RARER times as frequent, or a word with results of its own
    langs = langs & frozenset(query_languages(word)) or frozenset(query_languages(word))
    best: tuple[int, int, str] | None = None
    for maxdist in (1, 2):
        if maxdist == 2 and len(term) < 5:
            break
        for candidate in within(reader, term, maxdist):
            if candidate == term:
                continue
            frequency = reader.doc_frequency(FIELD, candidate)
            if frequency <= own * RARER or frequency < 1 or _frequency_in(
                    searcher, candidate, langs) <= own * RARER:
                continue
            key = (maxdist, -frequency, candidate)
            if best is None or key < (best[0], -best[1], best[2]):
                best = (maxdist, frequency, candidate)
        if best is not None:
            break
    return _same_case(word, best[2]) if best else None


def _frequency_in(searcher: Searcher, word: str, langs: frozenset[Lang]) -> int:
    """How many articles of the given languages hold the word in any of its forms (its lemma
    or stem in their own fields): ``только`` is frequent in Russian articles, not Ukrainian."""
    reader = searcher.reader()
    frequency = 0
    for lang in langs:
        for field in (text_field(lang), title_field(lang)):
            if field in searcher.schema:
                for token in searcher.schema[field].analyzer(word, mode="query"):
                    frequency = max(frequency, reader.doc_frequency(field, token.text))
    return frequency


def _hits(searcher: Searcher, word: str) -> int:
    """The articles a search for the word alone finds (every form, language and script: what
    the user would get), counted up to `ENOUGH`."""
    try:
        query = parse_query(word, searcher.schema)
    except QueryError:
        return 0
    return sum(1 for _ in islice(searcher.docs_for_query(query), ENOUGH))


def _known(searcher: Searcher, word: str, term: str) -> int:
    """How often the index holds the word: as written (titles, bodies) or, through the analyzer
    of each language it may be in, any of its forms (so `Канада` is known when articles say
    `Канади`). Other languages' analyzers leave the word as written (counted already), and
    skipping them spares loading their dictionaries (cold start, issue 7)."""
    reader = searcher.reader()
    frequency = reader.doc_frequency(FIELD, term) + reader.doc_frequency("title_exact", term)
    for lang in query_languages(word):
        field = text_field(lang)
        for token in searcher.schema[field].analyzer(word, mode="query"):
            frequency = max(frequency, reader.doc_frequency(field, token.text),
                            reader.doc_frequency(title_field(lang), token.text))
    return frequency


def _within(reader: Any, term: str, maxdist: int):
    # Per segment: a segment's term cursor is walked with a Levenshtein automaton, while the
    # multi-segment reader computes the distance to every word in Python (100x slower). The
    # automaton is built once for all segments (Whoosh's `terms_within` builds it per segment).
    dfa = Automata.levenshtein_dfa(term, maxdist, prefix=1)
    seen: set[str] = set()
    for leaf, _offset in reader.leaf_readers():
        if FIELD not in leaf.schema:
            continue
        for candidate in Automata.find_matches(dfa, _MemoCursor.wrap(leaf.cursor(FIELD))):
            word = candidate.decode("utf-8") if isinstance(candidate, bytes) else candidate
            if word not in seen:
                seen.add(word)
                if len(seen) > MAX_CANDIDATES:
                    return
                yield word


class _MemoCursor:
    """A Whoosh term cursor (whoosh3 codec) whose `find` remembers the keys its binary search
    reads. An automaton walk looks up words in increasing order, so successive searches share
    most of their path: ~3x fewer reads of the term index (did-you-mean is most of the time of
    a search with few hits)."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self._index = cursor._tindex
        self._keys: dict[int, bytes] = {}

    @classmethod
    def wrap(cls, cursor: Any) -> Any:
        index = getattr(cursor, "_tindex", None)
        if index is None or not all(hasattr(index, name) for name in (
                "indexbase", "indexsize", "indexlen", "_get_pos", "key_at")):
            return cursor  # another codec: its own find
        return cls(cursor)

    def text(self) -> Any:
        return self._cursor.text()

    def find(self, term: Any) -> Any:
        cursor, index, keys = self._cursor, self._index, self._keys
        if not isinstance(term, bytes):
            term = cursor._fieldobj.to_bytes(term)
        key = cursor._keycoder(cursor._fieldname, term)
        base, size, get_pos, key_at = index.indexbase, index.indexsize, index._get_pos, index.key_at
        lo, hi = 0, index.indexlen
        while lo < hi:  # OrderedHashReader.closest_key_pos, with the keys remembered
            mid = (lo + hi) // 2
            midkey = keys.get(mid)
            if midkey is None:
                midkey = keys[mid] = key_at(get_pos(base + mid * size))
            if midkey < key:
                lo = mid + 1
            else:
                hi = mid
        cursor._pos = None if lo == index.indexlen else get_pos(base + lo * size)
        return cursor.next()


def _same_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
