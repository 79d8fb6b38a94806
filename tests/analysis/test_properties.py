"""Properties of every chain over arbitrary text (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from searchlib.analysis import build_analyzer, build_exact_analyzer
from searchlib.analysis.filters import CompoundFilter
from searchlib.analysis.tokenizers import WordTokenizer
from searchlib.model import Lang
from searchlib.text.normalise import normalise_word

_ALPHABET = list(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъ АБВГҐЄІЇЁ abcdeiopxyz ABCEHIKMOPTXY 0123456789"
) + [
    "'",
    "\u2019",
    "\u02bc",
    "`",
    "\u00b4",
    "\u0301",
    "\u0300",
    "\u00ad",
    "\u200b",
    "\u200d",
    "-",
    "\u2011",
    " ",
    "\n",
    ".",
    ",",
    "\u00a0",
    "\u0306",
    "_",
    "İ",
    "ß",
    "ﬁ",
]
_TEXT = st.one_of(st.text(st.sampled_from(_ALPHABET), max_size=60), st.text(max_size=40))
_CHAINS = [build_analyzer(lang) for lang in Lang] + [build_exact_analyzer()]


@settings(max_examples=150, deadline=None)
@given(_TEXT)
def test_no_chain_raises(text):
    for chain in _CHAINS:
        for mode in ("index", "query"):
            list(chain(text, positions=True, chars=True, mode=mode, removestops=False))


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_tokens_are_slices_of_the_source(text):
    raw = WordTokenizer() | CompoundFilter()
    for t in raw(text, chars=True, mode="index"):
        assert text[t.startchar : t.endchar] == t.text


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_exact_tokens_are_normalised_slices(text):
    """Before morphology a token is its source slice, normalised and lowercased."""
    for t in build_exact_analyzer()(text, chars=True, positions=True, mode="index"):
        assert normalise_word(text[t.startchar : t.endchar]).lower() == t.text
        assert t.text


@settings(max_examples=100, deadline=None)
@given(_TEXT)
def test_positions_never_decrease(text):
    for chain in _CHAINS:
        positions = [t.pos for t in chain(text, positions=True, mode="index")]
        assert positions == sorted(positions)
