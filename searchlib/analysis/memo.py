"""Word-memoised analyzer chains: the filters run once per distinct word, not once per token.

After `WordTokenizer`, every filter of the searchlib chains is a function of one word and the
mode: the parts of a hyphenated word, normalisation, lowercase, stop words, lemmas, stems and
name keys look at nothing else. Only positions depend on the neighbours (`StopWordFilter` closes
the gaps that stop words leave). So `MemoAnalyzer` keeps, per chain, mode and ``removestops``, a
dict from the raw word to what the filters make of it (each output's text, its offsets inside the
word and whether it is a stop word), computed by running the real filters on that word alone; a
text is then analysed by the tokenizer's pattern, dict lookups, and one loop that sets positions
and offsets as the plain chain would; the words a text brings that are not cached yet go through
the plain chain together, in one call. Measured (A/B on 1,300 corpus bodies, text_<lang> + exact +
names chains, CPU): with a warm cache 2.0x the plain chain's tokens/s in index mode and 1.5-2x for
highlighting; on a first pass over new text the misses' pymorphy3 parses dominate and the gain
is small (1.0-1.4x). At index time `JointAnalysis` serves the three chains a document's texts
feed (exact, language, names) from one cache entry per word and one loop over the words.

Not here: the filters themselves (`filters.py`) and which chain a field uses (`analyzers.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, Token

from searchlib.analysis.filters import (
    CompoundFilter,
    LemmaFilter,
    NormaliseFilter,
    SnowballStemFilter,
    StopWordFilter,
    TranslitFilter,
)
from searchlib.analysis.tokenizers import WORD_PATTERN, TokenisedText, WordTokenizer

__all__ = ["JointAnalysis", "MemoAnalyzer", "clear_word_caches"]

_Output = tuple[str, int, int, bool]
"""One token a word gives: text, start and end offsets inside the word, stopped."""
_Outputs = tuple[_Output, ...] | str
"""What a word gives, as cached: its tokens, or, for the usual single unstopped token spanning
the whole word, just that token's text (the word itself when equal): a third of the memory."""

_PER_WORD = (CompoundFilter, NormaliseFilter, LowercaseFilter, StopWordFilter, LemmaFilter,
             SnowballStemFilter, TranslitFilter)
"""Filters whose tokens depend on the word alone (and the mode), apart from positions."""
_KEEP_EVERY_TOKEN = (NormaliseFilter, LowercaseFilter, LemmaFilter, SnowballStemFilter)
"""Filters that never drop a token: the only ones allowed after `StopWordFilter`, whose position
renumbering is replayed per word (a word takes a position when one of its tokens passes it)."""

WORD_CACHE_LIMIT = 300_000
"""Words remembered per chain, mode and ``removestops`` in one generation (a call may overshoot
it by the new words of one text). A full generation becomes the previous one and a new one
starts; a word the current generation lacks is taken from the previous one before it is
analysed again, so frequent words survive the turnover. At most two generations are kept.
Measured on 10,000 real articles (issue 24: 402k distinct words in the exact and names chains,
280k in the Russian one), a generation of 75,000 analysed 83% of the words of the exact and
names chains twice or more (735k analyses for 402k words) and 55% of the Russian ones: analysis
took 44 CPU s, and 36 s when no word was forgotten, for 30-60 MB more memory."""
_CACHES: dict[tuple[Hashable, ...], dict[str, Any]] = {}
_PREVIOUS: dict[tuple[Hashable, ...], dict[str, Any]] = {}
"""Word caches by chain (or chains, for `JointAnalysis`), mode and ``removestops``."""


def clear_word_caches() -> None:
    """Forget every memoised word (benchmarks measuring a cold start)."""
    _CACHES.clear()
    _PREVIOUS.clear()


def _config_key(items: list[Any]) -> tuple[Hashable, ...]:
    # Equal chains (equal by config, as their filters are) share one cache, whichever schema
    # object or unpickled copy they come from.
    return tuple((type(item).__module__, type(item).__qualname__, tuple(sorted(vars(item).items())))
                 for item in items)


class MemoAnalyzer(CompositeAnalyzer):
    """A ``WordTokenizer | filter | ...`` chain that memoises what its filters make of each word.

    Gives exactly the tokens of the same chain run plainly (text, position, offsets, stopped,
    boost), for either mode and ``removestops``; calls with ``tokenize=False``,
    ``keeporiginal=True`` or ``no_morph=True`` run the plain chain. Pickles as its filters (the
    word cache lives in this module) and compares equal to any chain of equal filters, so an
    index whose schema holds the plain chain reads the same.

    >>> from searchlib.analysis.tokenizers import WordTokenizer
    >>> chain = MemoAnalyzer(WordTokenizer() | CompoundFilter() | NormaliseFilter()
    ...                      | LowercaseFilter() | StopWordFilter("uk"))
    >>> [(t.text, t.pos, t.startchar)
    ...  for t in chain("Зустріч і прем’єр-міністр", positions=True, chars=True, mode="index")]
    [('зустріч', 0, 0), ("прем'єр-міністр", 1, 10), ("прем'єр", 1, 10), ('міністр', 1, 18)]
    """

    def __init__(self, *composables: Any) -> None:
        super().__init__(*composables)
        if not isinstance(self.items[0], WordTokenizer):
            raise ValueError(f"MemoAnalyzer needs a WordTokenizer first, not {self.items[0]!r}")
        stop_at: int | None = None
        for index, item in enumerate(self.items[1:], 1):
            if not isinstance(item, _PER_WORD):
                raise ValueError(f"{item!r} is not a per-word filter MemoAnalyzer can memoise")
            if stop_at is not None and not isinstance(item, _KEEP_EVERY_TOKEN):
                raise ValueError(f"{item!r} may drop tokens after a StopWordFilter")
            if isinstance(item, StopWordFilter):
                stop_at = index
        self._renumber = stop_at is not None
        self._key = _config_key(self.items)

    def __getstate__(self) -> dict[str, Any]:
        return {"items": self.items}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(*state["items"])  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompositeAnalyzer) and self.items == other.items

    __hash__ = None  # type: ignore[assignment]  # as CompositeAnalyzer: mutable, unhashable

    def __call__(  # type: ignore[override]
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
        no_morph: bool = False,
        **kwargs: Any,
    ) -> Iterator[Token]:
        if keeporiginal or not tokenize or no_morph:
            return super().__call__(value, positions=positions, chars=chars,
                                    keeporiginal=keeporiginal, removestops=removestops,
                                    start_pos=start_pos, start_char=start_char,
                                    tokenize=tokenize, mode=mode, no_morph=no_morph, **kwargs)
        return self._tokens(value, positions, chars, removestops, start_pos, start_char, mode,
                            kwargs)

    def _tokens(self, value: str, positions: bool, chars: bool, removestops: bool,
                start_pos: int, start_char: int, mode: str,
                kwargs: dict[str, Any]) -> Iterator[Token]:
        if chars:
            matches = list(WORD_PATTERN.finditer(value))
            words = [match.group() for match in matches]
            cache = self._cache_for(set(words), mode, removestops)
        else:
            words, cache = self._words(value, mode, removestops)
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        renumber = self._renumber and positions
        pos_out = -1
        for number, word in enumerate(words):
            outputs = cache[word]
            if not outputs:
                continue
            if chars:
                base = start_char + matches[number].start()
            if outputs.__class__ is str:  # one unstopped token, the whole word
                t.text = outputs
                t.stopped = False
                if positions:
                    if renumber:
                        pos_out += 1
                        t.pos = pos_out
                    else:
                        t.pos = start_pos + number
                if chars:
                    t.startchar = base
                    t.endchar = base + len(word)
                yield t
                continue
            counted = False
            for text, start, end, stopped in outputs:  # type: ignore[misc]
                t.text = text
                t.stopped = stopped
                if positions:
                    # StopWordFilter's renumbering: the kept tokens of a word share the next
                    # position; a stop word kept with removestops=False keeps the word's own.
                    if renumber and not stopped:
                        if not counted:
                            pos_out += 1
                            counted = True
                        t.pos = pos_out
                    else:
                        t.pos = start_pos + number
                if chars:
                    t.startchar = base + start
                    t.endchar = base + end
                yield t

    def term_positions(self, value: str, mode: str = "index") -> dict[str, list[int]]:
        """Each token text of `value` with its positions, in order of first occurrence: the
        unstopped tokens of ``self(value, positions=True, mode=mode)``, without a `Token` per
        word (what Whoosh's `Positions` and `Frequency` formats gather from them)."""
        if value.__class__ is TokenisedText and mode == "index":
            joint = value.joint  # type: ignore[attr-defined]
            if joint is not None:
                shared = joint.term_positions(self, value.role)  # type: ignore[attr-defined]
                if shared is not None:
                    return shared
        words, cache = self._words(value, mode, True)
        found: dict[str, list[int]] = {}
        renumber = self._renumber
        position = -1
        for number, word in enumerate(words):
            outputs = cache[word]
            if not outputs:
                continue
            if outputs.__class__ is str:  # one unstopped token, the whole word
                position = position + 1 if renumber else number
                known = found.get(outputs)  # type: ignore[call-overload]
                if known is None:
                    found[outputs] = [position]  # type: ignore[index]
                else:
                    known.append(position)
                continue
            counted = False
            for text, _, _, stopped in outputs:  # type: ignore[misc]
                if stopped:
                    continue
                if not renumber:
                    position = number
                elif not counted:  # the kept tokens of a word share the next position
                    position += 1
                    counted = True
                known = found.get(text)
                if known is None:
                    found[text] = [position]
                else:
                    known.append(position)
        return found

    def _words(self, value: str, mode: str, removestops: bool) -> tuple[list[str],
                                                                         dict[str, _Outputs]]:
        """The words of `value` and the word cache that holds all of them."""
        if value.__class__ is TokenisedText:  # found once for all of a document's chains
            words = value.words  # type: ignore[attr-defined]
            return words, self._cache_for(value.distinct,  # type: ignore[attr-defined]
                                          mode, removestops)
        words = WORD_PATTERN.findall(value)
        return words, self._cache_for(set(words), mode, removestops)

    def _cache_for(self, distinct: set[str], mode: str,
                   removestops: bool) -> dict[str, _Outputs]:
        """The word cache of this chain, `mode` and `removestops`, holding every word of
        `distinct` (the new ones run through the chain)."""
        return _cache_holding((self._key, mode, removestops), distinct,
                              lambda missing, cache: self._remember(missing, mode, removestops,
                                                                    cache))

    def _remember(self, words: set[str], mode: str, removestops: bool,
                  cache: dict[str, _Outputs]) -> None:
        """Run the plain chain once over the new words of a text, one space between them (a
        space ends every word), and file each token under the word its offsets fall in."""
        ordered = list(words)
        ends = []
        end = -1
        for word in ordered:
            end += len(word) + 1
            ends.append(end)
        found: list[list[_Output]] = [[] for _ in ordered]
        number = 0
        word_start = 0
        for t in super().__call__(" ".join(ordered), chars=True, mode=mode,
                                  removestops=removestops):
            while t.startchar >= ends[number]:
                word_start = ends[number] + 1
                number += 1
            found[number].append((t.text, t.startchar - word_start, t.endchar - word_start,
                                  t.stopped))
        for word, outputs in zip(ordered, found, strict=True):
            cache[word] = _compact(word, outputs)


def _compact(word: str, outputs: list[_Output]) -> _Outputs:
    """`outputs` as the cache keeps them (see `_Outputs`)."""
    if len(outputs) == 1:
        text, start, end, stopped = outputs[0]
        if text and start == 0 and end == len(word) and not stopped:
            return word if text == word else text
    return tuple(outputs)


def _cache_holding(key: tuple[Hashable, ...], distinct: set[str],
                   fill: Callable[[set[str], dict[str, Any]], None]) -> dict[str, Any]:
    """The word cache under `key`, holding every word of `distinct`: the words neither its
    current nor its previous generation knows are given to `fill`, which files them."""
    cache = _CACHES.get(key)
    if cache is None or len(cache) >= WORD_CACHE_LIMIT:
        # A new dict, not clear(): a call running in another thread keeps its own.
        _PREVIOUS[key] = cache or {}
        cache = _CACHES[key] = {}
    missing = distinct.difference(cache)
    if missing:
        missing = _promote(missing, _PREVIOUS.get(key), cache)
        if missing:
            fill(missing, cache)
    return cache


def _promote(words: set[str], previous: dict[str, Any] | None,
             cache: dict[str, Any]) -> set[str]:
    """Copy into `cache` what the previous generation knows of `words`; return the rest."""
    if not previous:
        return words
    unknown = set()
    for word in words:
        outputs = previous.get(word)
        if outputs is None:
            unknown.add(word)
        else:
            cache[word] = outputs
    return unknown


_Kept = str | tuple[str, ...]
"""What `term_positions` takes of a word's outputs: the texts of its unstopped tokens, or just
the text when there is exactly one and it is not empty (so a str is never empty)."""


def _kept(outputs: _Outputs) -> _Kept:
    if outputs.__class__ is str:
        return outputs  # type: ignore[return-value]
    kept = tuple(text for text, _, _, stopped in outputs if not stopped)  # type: ignore[misc]
    return kept[0] if len(kept) == 1 and kept[0] else kept


class JointAnalysis:
    """The term positions a document's title and body give the three chains they feed, found
    in one pass (issue 24): the `exact` and `lang` chains index each of them, the `names`
    chain both joined (`TokenisedText.join`: the title's words, then the body's).

    One cache shared by the three chains gives, per word, what each keeps of it (`_Kept`), so a
    word is looked up once, not once per chain, and is remembered once; one loop over a text's
    words gives the three chains' positions. Each chain's `term_positions` on a text set up here
    returns what this pass found for it, equal to what the chain finds on its own
    (tests/analysis/test_analyse_once.py); any other chain, mode or text is analysed as usual.

    >>> from searchlib.analysis import build_analyzer, build_exact_analyzer
    >>> from searchlib.analysis import build_translit_analyzer
    >>> from searchlib.model import Lang
    >>> title, body = TokenisedText("Візит до Канади"), TokenisedText("Зустріч у Києві")
    >>> joint = JointAnalysis(title, body, exact=build_exact_analyzer(),
    ...                       lang=build_analyzer(Lang.UK), names=build_translit_analyzer())
    >>> names = joint.names_text(title, body)
    >>> build_analyzer(Lang.UK).term_positions(body)
    {'зустріч': [0], 'київ': [1]}
    >>> build_translit_analyzer().term_positions(names)
    {'vizit': [0], 'kanad': [2], 'zustrich': [3], 'kiv': [5]}
    """

    def __init__(self, title: TokenisedText, body: TokenisedText, *, exact: MemoAnalyzer,
                 lang: MemoAnalyzer, names: MemoAnalyzer) -> None:
        if exact._renumber or names._renumber:
            raise ValueError("JointAnalysis: the exact and names chains drop no stop words")
        self._words = {"title": title.words, "body": body.words}
        self._chains = (exact, lang, names)
        self._found: dict[tuple[str, Hashable], dict[str, list[int]]] | None = None
        title.joint = body.joint = self
        title.role, body.role = "title", "body"

    def names_text(self, title: TokenisedText, body: TokenisedText) -> TokenisedText:
        """The text of the names chain: `title`, a line break, `body` (the texts given). Not
        kept here: a text refers to its analysis, not the other way (no reference cycle)."""
        text = TokenisedText.join(title, body)
        text.joint = self
        text.role = "names"
        return text

    def __getstate__(self) -> dict[str, Any]:
        return {**vars(self), "_found": None}  # sent to a worker before it is analysed

    def term_positions(self, chain: MemoAnalyzer, role: str) -> dict[str, list[int]] | None:
        """What `chain.term_positions` gives for the text of `role` (index mode), or None when
        this pass does not cover that chain and text."""
        if self._found is None:
            self._found = self._analyse()
        return self._found.get((role, chain._key))

    def _analyse(self) -> dict[tuple[str, Hashable], dict[str, list[int]]]:
        exact, lang, names = self._chains
        title, body = self._words["title"], self._words["body"]
        cache = _cache_holding(("joint", exact._key, lang._key, names._key),
                               set(title).union(body), self._remember)
        found_names: dict[str, list[int]] = {}
        title_exact, title_lang = self._walk(title, cache, 0, found_names)
        body_exact, body_lang = self._walk(body, cache, len(title), found_names)
        return {("title", exact._key): title_exact, ("title", lang._key): title_lang,
                ("body", exact._key): body_exact, ("body", lang._key): body_lang,
                ("names", names._key): found_names}

    def _remember(self, words: set[str], cache: dict[str, Any]) -> None:
        """File what each chain keeps of each new word (its plain run, as `_remember`)."""
        outputs = []
        for chain in self._chains:
            analysed: dict[str, _Outputs] = {}
            chain._remember(words, "index", True, analysed)
            outputs.append(analysed)
        exact, lang, names = outputs
        for word in words:
            cache[word] = (_kept(exact[word]), _kept(lang[word]), _kept(names[word]))

    def _walk(self, words: list[str], cache: dict[str, Any], names_start: int,
              found_names: dict[str, list[int]]) -> tuple[dict[str, list[int]],
                                                         dict[str, list[int]]]:
        """The exact and lang chains' term positions of `words`; their names positions go to
        `found_names`, numbered from `names_start`."""
        renumber = self._chains[1]._renumber
        found_exact: dict[str, list[int]] = {}
        found_lang: dict[str, list[int]] = {}
        position = -1  # the lang chain's, when it renumbers
        for number, word in enumerate(words):
            exact, lang, names = cache[word]
            if exact.__class__ is str:
                known = found_exact.get(exact)
                if known is None:
                    found_exact[exact] = [number]
                else:
                    known.append(number)
            elif exact:
                _add(found_exact, exact, number)
            if lang.__class__ is str:
                position = position + 1 if renumber else number
                known = found_lang.get(lang)
                if known is None:
                    found_lang[lang] = [position]
                else:
                    known.append(position)
            elif lang:
                position = position + 1 if renumber else number
                _add(found_lang, lang, position)
            if names:  # most words give no name key
                _add(found_names, (names,) if names.__class__ is str else names,
                     names_start + number)
        return found_exact, found_lang


def _add(found: dict[str, list[int]], texts: tuple[str, ...], position: int) -> None:
    for text in texts:
        known = found.get(text)
        if known is None:
            found[text] = [position]
        else:
            known.append(position)
