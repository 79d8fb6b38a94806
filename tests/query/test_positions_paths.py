"""`term_positions` reads a term's positions block by block from the posting file; Whoosh's
matcher (`skip_to`, `value_as("positions")`) read them before. On real articles both must give
the same documents and positions, for any set of wanted documents: all of a term's documents,
every third, documents without the term between them, and past its last one."""

from __future__ import annotations

from searchlib.api import Index
from searchlib.query.matches import _matcher_positions, _w3_start, term_positions
from searchlib.store import LANGS, text_field, title_field

TERM_STEP = 7
"""Every TERM_STEP-th term of each language field is checked."""


def _whoosh(reader, fieldname: str, text: bytes, docnums: list[int]) -> list[tuple[int, list]]:
    """The positions as Whoosh's own matcher walks to each document (the fallback path)."""
    field_format = reader.schema[fieldname].format
    return list(_matcher_positions(reader.postings(fieldname, text), docnums,
                                   lambda value: field_format.decode_as("positions", value)))


def test_positions_equal_the_matchers_on_real_articles(research_index: Index) -> None:
    checked = multi_block = 0
    with research_index.searcher() as searcher:
        for reader, _ in searcher.reader().leaf_readers():
            count = reader.doc_count_all()
            for lang in LANGS:
                for fieldname in (title_field(lang), text_field(lang)):
                    for number, text in enumerate(reader.lexicon(fieldname)):
                        if number % TERM_STEP:
                            continue
                        info = reader.term_info(fieldname, text)
                        having = list(reader.postings(fieldname, text).all_ids())
                        gaps = sorted({d + 1 for d in having if d + 1 < count} - set(having))
                        for docnums in (having, having[::3], sorted({*having[1::2], *gaps}),
                                        [having[-1], count - 1] if having[-1] < count - 1
                                        else [having[-1]]):
                            expected = _whoosh(reader, fieldname, text, docnums)
                            assert list(term_positions(reader, fieldname, text, docnums)) \
                                == expected, (fieldname, text)
                        assert _w3_start(reader, info) is not None or info.is_inlined()
                        checked += 1
                        multi_block += info.doc_frequency() > 128
    # The direct path is what was compared, on terms of many blocks too.
    assert checked > 3000 and multi_block > 20, (checked, multi_block)
