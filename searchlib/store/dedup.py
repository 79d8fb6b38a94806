"""Near-duplicates (wire copies, reprints): shingle fingerprints and groups, at index time.

Each article body (lead + text, not the headline, which reprints reword) becomes a set of word
4-shingles; its fingerprint is a bottom-k MinHash sketch: the `SKETCH_SIZE` smallest 64-bit
hashes of its shingles. One hash per shingle keeps this cheap (about 0.2 ms for a 2,000-character
article), and the `_LOOKUP` smallest values double as index terms (field ``dup_sketch``; the
whole sketch is stored in ``dup_values``), so finding the candidates of a new article is a few
term lookups instead of a scan.

Two articles are near-duplicates when the estimated Jaccard similarity of their shingle sets is
at least `THRESHOLD`. Each article is given the group key (``dup_group``) of the most similar
earlier-indexed duplicate, else its own id. The group *id* users see is the id of the group's
earliest published article; it is resolved at query time (`searchlib.query`), so an original
indexed after its reprint still heads the group without rewriting stored documents.

Not here: collapsing groups in results (`searchlib.query.search`).
"""

from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Iterable
from contextlib import ExitStack
from typing import Any

from searchlib.model import Article

__all__ = [
    "SHINGLE_WORDS",
    "SKETCH_SIZE",
    "THRESHOLD",
    "DuplicateFinder",
    "sketch",
    "similarity",
]

SHINGLE_WORDS = 4
SKETCH_SIZE = 64
THRESHOLD = 0.7
"""Estimated Jaccard of 4-shingles. Calibrated on the samples' two reprint pairs (reworded lead,
added source note: 0.81 and 0.86) against the three translations of one story (< 0.05) and the
595 babel-ua articles, whose most similar pair (two templated daily casualty reports of
different days) scores 0.63 and the next 0.39; re-run `tests/store/test_dedup.py` after changing
any of these constants."""
MIN_SHINGLES = 8
"""Bodies shorter than this (about a dozen words) are never grouped: too little to judge."""
_CANDIDATES = 10
_MIN_SHARED = 4
_LOOKUP = 16
"""Smallest sketch values indexed and looked up. Of the union's 16 smallest values, a share of
about the Jaccard similarity lies in both bottom-16 sets (about 11 at 0.7), so requiring
`_MIN_SHARED` of them finds duplicates; fewer terms, faster indexing."""
_RELEASE_EVERY = 10
"""Articles looked up between two releases of the mapped index pages they read. On the 100k
index, 400 lookups (then still reading term tables) held at most 269 MB of mapped pages
releasing every 50 articles, 160 MB every 10, for no more CPU (pages read again come from the
page cache)."""

_WORD = re.compile(r"\w+", re.UNICODE)


def _shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {
        " ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8")
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def sketch(text: str) -> tuple[int, ...]:
    """The bottom-k MinHash sketch of a text: its smallest shingle hashes, ascending.

    Empty when the text has fewer than `MIN_SHINGLES` shingles.

    >>> len(sketch("one two three four five six seven eight nine ten eleven twelve"))
    9
    >>> sketch("too short")
    ()
    """
    shingles = _shingles(text)
    if len(shingles) < MIN_SHINGLES:
        return ()
    hashes = {
        int.from_bytes(hashlib.blake2b(s, digest_size=8).digest(), "big") for s in shingles
    }
    return tuple(sorted(hashes)[:SKETCH_SIZE])


def similarity(a: Iterable[int], b: Iterable[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two bottom-k sketches.

    Of the k smallest hashes of the union, the share found in both sketches.
    """
    first, second = set(a), set(b)
    if not first or not second:
        return 0.0
    k = min(len(first), len(second), SKETCH_SIZE)
    union = sorted(first | second)[:k]
    both = first & second
    return sum(1 for h in union if h in both) / k


def _body(article: Article) -> str:
    return "\n".join(part for part in (article.lead, article.text) if part)


def _tokens(values: Iterable[int]) -> str:
    return " ".join(f"{v:016x}" for v in values)


def _values(tokens: str | None) -> tuple[int, ...]:
    return tuple(int(t, 16) for t in (tokens or "").split())


class DuplicateFinder:
    """Assigns duplicate groups to the articles of one `Store.add` call.

    Looks for candidates in the committed index (a searcher reopened every `batch_size`
    articles, as often as the store commits) and among the articles of this call that may not
    be committed yet (the last ``2 * batch_size``, kept in memory).
    """

    def __init__(self, store: Any, *, batch_size: int) -> None:
        self._store = store
        self._batch_size = max(1, batch_size)
        self._searcher: Any = None
        self._context = ExitStack()
        self._since_refresh = 0
        self._recent: OrderedDict[str, tuple[tuple[int, ...], str]] = OrderedDict()
        self._by_value: dict[int, set[str]] = {}
        self._values_of: dict[str, array] = {}
        """Each segment's indexed sketch values (`_indexed_values`), by segment id."""

    def fields(self, article: Article) -> dict[str, str]:
        """The duplicate fields of an article's document: ``dup_group``, ``dup_sketch`` (the
        smallest values, indexed) and ``dup_values`` (the whole sketch, stored)."""
        values = sketch(_body(article))
        group = article.id
        if values:
            best, best_score = None, THRESHOLD
            for candidate_group, candidate_values in self._candidates(article.id, values):
                score = similarity(values, candidate_values)
                if score >= best_score:
                    best, best_score = candidate_group, score
            if best is not None:
                group = best
        self._remember(article.id, values, group)
        fields = {"dup_group": group}
        if values:
            # Only the smallest values are looked up, so only they are index terms (the rest
            # made a quarter of all terms of an index); all of them are stored for scoring.
            fields["dup_sketch"] = _tokens(values[:_LOOKUP])
            fields["dup_values"] = _tokens(values)
        return fields

    def close(self) -> None:
        self._searcher = None
        self._context.close()

    def _candidates(self, article_id: str, values: tuple[int, ...]):
        shared: Counter[str] = Counter()
        for value in values:
            for other in self._by_value.get(value, ()):
                if other != article_id:
                    shared[other] += 1
        for other, count in shared.most_common(_CANDIDATES):
            if count >= _MIN_SHARED:
                other_values, other_group = self._recent[other]
                yield other_group, other_values
        yield from self._indexed_candidates(article_id, values, set(shared))

    def _indexed_candidates(self, article_id: str, values: tuple[int, ...], seen: set[str]):
        searcher = self._current_searcher()
        if searcher is None:
            return
        # Posting lists of the smallest sketch values, read directly per segment: most occur in
        # no other article, which a search of the segment's values in memory tells (a scored Or
        # query of all 64 values cost 40 ms per article on 2k articles; a term-table lookup per
        # value and segment 6 ms per article on 100k in 30 segments).
        looked_up = values[:_LOOKUP]
        shared: Counter[tuple[int, int]] = Counter()
        leaves = searcher.reader().leaf_readers()
        for number, (leaf, _offset) in enumerate(leaves):
            indexed = self._indexed_values(leaf)
            for value in looked_up:
                at = bisect_left(indexed, value)
                if at < len(indexed) and indexed[at] == value:
                    postings = leaf.postings("dup_sketch", f"{value:016x}")
                    shared.update((number, d) for d in postings.all_ids())
        for (number, docnum), count in shared.most_common(_CANDIDATES):
            if count < _MIN_SHARED:
                break
            leaf = leaves[number][0]
            if leaf.is_deleted(docnum):
                continue
            stored = leaf.stored_fields(docnum)
            other = stored.get("id")
            if other == article_id or other in seen:
                continue
            yield stored.get("dup_group") or other, _values(stored.get("dup_values"))

    def _indexed_values(self, leaf: Any) -> array:
        """The sketch values segment `leaf` indexes, sorted (8 bytes each: 13 MB at 100k
        articles), read once per segment (segments never change)."""
        segment_id = leaf.segment().segment_id()
        indexed = self._values_of.get(segment_id)
        if indexed is None:
            indexed = array("Q", sorted(int(term, 16) for term in leaf.lexicon("dup_sketch")))
            self._values_of[segment_id] = indexed
        return indexed

    def _current_searcher(self):
        self._since_refresh += 1
        if self._since_refresh % _RELEASE_EVERY == 0:
            # Lookups read posting lists and stored articles all over the index, and the kernel
            # maps 64 KB around each read: in a batch they grew to ~150 MB (issue 7).
            self._store.release_mapped_pages()
        if self._searcher is None or self._since_refresh > self._batch_size:
            self.close()
            self._since_refresh = 1
            if not len(self._store):
                return None
            self._context = ExitStack()
            self._searcher = self._context.enter_context(self._store.searcher())
            leaves = self._searcher.reader().leaf_readers()
            live = {leaf.segment().segment_id() for leaf, _ in leaves}
            self._values_of = {k: v for k, v in self._values_of.items() if k in live}
        return self._searcher

    def _remember(self, article_id: str, values: tuple[int, ...], group: str) -> None:
        if article_id in self._recent:
            self._forget(article_id)
        self._recent[article_id] = (values, group)
        for value in values:
            self._by_value.setdefault(value, set()).add(article_id)
        while len(self._recent) > 2 * self._batch_size:
            self._forget(next(iter(self._recent)))

    def _forget(self, article_id: str) -> None:
        values, _ = self._recent.pop(article_id)
        for value in values:
            ids = self._by_value.get(value)
            if ids is not None:
                ids.discard(article_id)
                if not ids:
                    del self._by_value[value]
