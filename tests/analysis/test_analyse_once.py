"""Issue 24 item 2: each text of an article is tokenised once for all the fields and chains it
feeds, and the index holds exactly the terms and postings it held when every field's chain ran
on its own copy of the text. Checked on real corpus articles against an index built the old way:
plain strings, each analysed by its chain run plainly (no word memo, no shared tokens), and
each chain's positions from the one pass over a text's words (`JointAnalysis`) against that
chain run alone."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.analysis import CompositeAnalyzer

from searchlib.analysis import build_analyzer, build_translit_analyzer, memo
from searchlib.analysis.memo import JointAnalysis
from searchlib.analysis.tokenizers import WORD_PATTERN, TokenisedText
from searchlib.api import Index
from searchlib.model import Lang
from searchlib.store.schema import LANGS, article_to_document, build_schema

ANALYSED = ("title_exact", "text_exact", "names",
            *(f"{kind}_{lang}" for kind in ("title", "text") for lang in LANGS))
PER_LANG = 80


@pytest.fixture(scope="module")
def sample(research_articles: list) -> list:
    """The first `PER_LANG` articles of each language, one per id and canonical URL (so that
    `Index.add` replaces none of them)."""
    seen: set[str] = set()
    chosen: dict[Lang, list] = {lang: [] for lang in LANGS}
    for article in research_articles:
        keys = {article.id, article.canonical_url or article.id}
        if article.lang in chosen and len(chosen[article.lang]) < PER_LANG and not keys & seen:
            seen |= keys
            chosen[article.lang].append(article)
    return [article for articles in chosen.values() for article in articles]


def _postings(searcher, field: str) -> dict[bytes, list[tuple[str, object]]]:
    reader = searcher.reader()
    ids = {docnum: reader.stored_fields(docnum)["id"] for docnum in reader.all_doc_ids()}
    kind = "positions" if reader.schema[field].format.supports("positions") else "frequency"
    return {term: sorted((ids[docnum], value) for docnum, value in
                         reader.postings(field, term).items_as(kind))
            for term in reader.lexicon(field)}


def test_one_tokenisation_gives_the_index_the_separate_chains_give(
        sample: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert {a.lang for a in sample} == set(LANGS) and len(sample) == 3 * PER_LANG
    monkeypatch.setenv("SEARCHLIB_WORKERS", "1")
    new = Index.create(tmp_path / "new")
    assert new.add(sample).indexed == len(sample)

    schema = build_schema()
    for field in ANALYSED:  # the same chains, run plainly on each field's own string
        schema[field].analyzer = CompositeAnalyzer(*schema[field].analyzer.items)
    (tmp_path / "old").mkdir()
    old = whoosh_index.create_in(str(tmp_path / "old"), schema)
    writer = old.writer()
    for article in sample:
        document = article_to_document(article, article.content_hash())
        assert all(type(document[field]) is TokenisedText for field in ANALYSED
                   if field in document)
        writer.add_document(**{name: str(value) if isinstance(value, str) else value
                               for name, value in document.items()})
    writer.commit()

    terms = 0
    with new.searcher() as ours, old.searcher() as theirs:
        for field in ANALYSED:
            expected = _postings(theirs, field)
            assert _postings(ours, field) == expected, field
            terms += len(expected)
            lengths = {theirs.stored_fields(d)["id"]: theirs.reader().doc_field_length(d, field)
                       for d in theirs.reader().all_doc_ids()}
            assert {ours.stored_fields(d)["id"]: ours.reader().doc_field_length(d, field)
                    for d in ours.reader().all_doc_ids()} == lengths, field
    assert terms > 20_000  # real vocabularies of three languages, not an empty comparison


def test_names_take_the_words_of_title_and_body_without_a_second_scan(sample: list) -> None:
    for article in sample:
        document = article_to_document(article, article.content_hash())
        assert document["names"].words == WORD_PATTERN.findall(str(document["names"]))
        assert document["names"] == f"{article.title}\n{document['text_exact']}"


def test_one_pass_gives_each_chain_the_positions_it_finds_alone(research_articles: list,
                                                               monkeypatch) -> None:
    """`JointAnalysis` on real articles of the three languages: each chain's term positions of
    each of its texts (title, body, names) are those it finds on the plain string, in the same
    order, from a cache the three chains share; starting cold and with generations turning
    over (a small cache) as well."""
    schema = build_schema()
    articles = [a for lang in LANGS for a in [a for a in research_articles if a.lang is lang][:200]]
    assert {a.lang for a in articles} == set(LANGS) and len(articles) == 600
    for limit in (memo.WORD_CACHE_LIMIT, 2_000):
        monkeypatch.setattr(memo, "WORD_CACHE_LIMIT", limit)
        memo.clear_word_caches()
        checked = 0
        for article in articles:
            document = article_to_document(article, article.content_hash())
            for field in ANALYSED:
                text = document.get(field)
                if text is None:
                    continue
                chain = schema[field].analyzer
                shared = text.joint.term_positions(chain, text.role)
                assert shared is not None, field  # the one pass covers every analysed field
                alone = chain.term_positions(str(text))
                assert shared == alone and list(shared) == list(alone), (article.id, field)
                checked += len(alone)
        assert checked > 100_000
        assert any(key[0] == "joint" for key in memo._CACHES)


def test_a_text_does_not_keep_its_analysis_alive_through_a_cycle(sample: list) -> None:
    """Texts refer to their `JointAnalysis`, never the other way: a document is freed when it
    is dropped, not by the cyclic garbage collector (which cost 40% more CPU in the pass)."""
    document = article_to_document(sample[0], sample[0].content_hash())
    joint = weakref.ref(document["names"].joint)
    assert document["text_exact"].joint is joint() is document["title_exact"].joint
    gc.disable()
    try:
        del document
        assert joint() is None
    finally:
        gc.enable()


def test_one_pass_needs_chains_that_keep_every_position() -> None:
    title, body = TokenisedText("Візит"), TokenisedText("до Канади")
    with pytest.raises(ValueError):
        JointAnalysis(title, body, exact=build_analyzer(Lang.UK), lang=build_analyzer(Lang.UK),
                      names=build_translit_analyzer())
