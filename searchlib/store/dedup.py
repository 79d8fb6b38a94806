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
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Iterable
from contextlib import ExitStack
from functools import partial
from itertools import repeat
from operator import methodcaller
from typing import Any

from searchlib.model import Article
from searchlib.store.codec import field_documents

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


def _shingle_hashes(text: str) -> set[int]:
    """The 64-bit hashes (BLAKE2b) of a text's word 4-shingles (of all its words if fewer),
    each shingle its lowercased words joined by spaces in UTF-8."""
    words = [word.encode("utf-8") for word in _WORD.findall(text.lower())]
    if len(words) < SHINGLE_WORDS:
        shingles: Iterable[bytes] = [b" ".join(words)] if words else []
    else:
        shingles = map(b" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False))
    return set(map(int.from_bytes, map(_DIGEST, map(_BLAKE2B_64, shingles)), repeat("big")))


_BLAKE2B_64 = partial(hashlib.blake2b, digest_size=8)
_DIGEST = methodcaller("digest")


def sketch(text: str) -> tuple[int, ...]:
    """The bottom-k MinHash sketch of a text: its smallest shingle hashes, ascending.

    Empty when the text has fewer than `MIN_SHINGLES` shingles.

    >>> len(sketch("one two three four five six seven eight nine ten eleven twelve"))
    9
    >>> sketch("too short")
    ()
    """
    hashes = _shingle_hashes(text)
    if len(hashes) < MIN_SHINGLES:
        return ()
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


def _sketch_postings(leaf: Any) -> Iterable[tuple[bytes | str, list[int]]]:
    """Each indexed sketch value of a segment (a hex token) with the documents holding it
    (deleted ones too), in token order: read straight from the term table and posting file
    for segments our codec wrote, else through Whoosh's reader."""
    terms = field_documents(leaf, "dup_sketch")
    if terms is not None:
        return terms
    return ((token, list(leaf.postings("dup_sketch", token).all_ids()))
            for token in leaf.lexicon("dup_sketch"))


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
        self._values_of: dict[str, tuple[array, array]] = {}
        """Each segment's indexed sketch values (`_indexed_values`), by segment id."""

    def fields(self, article: Article) -> dict[str, str]:
        """The duplicate fields of an article's document: ``dup_group``, ``dup_sketch`` (the
        smallest values, indexed) and ``dup_values`` (the whole sketch, stored)."""
        values = self._sketch(article)
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

    def _sketch(self, article: Article) -> tuple[int, ...]:
        return sketch(_body(article))

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
        # The documents holding the smallest sketch values, found per segment in memory (a
        # scored Or query of all 64 values cost 40 ms per article on 2k articles; a term-table
        # lookup per value and segment 6 ms per article on 100k in 30 segments; a posting list
        # read per value found 3.5 ms on 100k in 9 segments, where each text is indexed ~6 times).
        looked_up = values[:_LOOKUP]
        shared: Counter[tuple[int, int]] = Counter()
        leaves = searcher.reader().leaf_readers()
        for number, (leaf, _offset) in enumerate(leaves):
            indexed, documents = self._indexed_values(leaf)
            deleted = leaf.is_deleted if leaf.has_deletions() else None
            for value in looked_up:
                at = bisect_left(indexed, value)
                end = bisect_right(indexed, value, at)
                shared.update((number, d) for d in documents[at:end]
                              if deleted is None or not deleted(d))
        for (number, docnum), count in shared.most_common(_CANDIDATES):
            if count < _MIN_SHARED:
                break
            stored = leaves[number][0].stored_fields(docnum)
            other = stored.get("id")
            if other == article_id or other in seen:
                continue
            yield stored.get("dup_group") or other, _values(stored.get("dup_values"))

    def _indexed_values(self, leaf: Any) -> tuple[array, array]:
        """(The sketch values segment `leaf` indexes, ascending, once per document holding
        each; those documents' numbers), read once per segment (segments never change): 12
        bytes per article and value, 19 MB at 100k articles. A lookup is then a search in
        memory, not a term lookup and a posting list read per segment and value."""
        segment_id = leaf.segment().segment_id()
        indexed = self._values_of.get(segment_id)
        if indexed is None:
            values, documents = array("Q"), array("I")
            # Hex tokens of one width: their byte order is their numeric order.
            for token, docnums in _sketch_postings(leaf):
                values.extend([int(token, 16)] * len(docnums))
                documents.extend(docnums)
            indexed = self._values_of[segment_id] = (values, documents)
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
