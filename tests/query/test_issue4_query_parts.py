"""Query-stage parts of issue 4: the ``=word`` exact-form syntax, Lucene-idf BM25F with
per-language statistics, and the names-across-scripts alternative. Each on a small real index
built here, independent of the store."""

from __future__ import annotations

import math

import pytest
from whoosh import fields, qparser
from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage

from searchlib.analysis import build_analyzer, build_exact_analyzer, build_translit_analyzer
from searchlib.model import Lang
from searchlib.query.exact import ExactFormPlugin
from searchlib.query.names import NAMES_BOOST, names_query
from searchlib.query.scoring import LuceneBM25F

DOCS = [
    ("kyiv-gen", "uk", "Новини Києва", "Мер Києва відкрив міст."),
    ("kyiv-loc", "uk", "Новини столиці", "У Києві відкрили міст."),
    ("zel-uk", "uk", "Зеленський у Канаді", "Зеленський зустрівся з прем'єр-міністром Карні."),
    ("zel-ru", "ru", "Зеленский в Канаде", "Зеленский встретился с премьером."),
    ("zel-en", "en", "Zelensky in Canada", "Zelensky met the prime minister."),
    ("crime", "uk", "Карні справи", "Карні справи розглядає суд."),
]


@pytest.fixture(scope="module")
def ix():
    schema = fields.Schema(id=fields.ID(stored=True), lang=fields.ID(stored=True))
    for lang in Lang:
        schema.add(f"title_{lang}", fields.TEXT(analyzer=build_analyzer(lang)))
        schema.add(f"text_{lang}", fields.TEXT(analyzer=build_analyzer(lang)))
    schema.add("title_exact", fields.TEXT(analyzer=build_exact_analyzer()))
    schema.add("text_exact", fields.TEXT(analyzer=build_exact_analyzer()))
    schema.add("names", fields.TEXT(analyzer=build_translit_analyzer(), phrase=False))
    index = RamStorage().create_index(schema)
    with index.writer() as writer:
        for doc_id, lang, title, text in DOCS:
            writer.add_document(
                id=doc_id,
                lang=lang,
                title_exact=title,
                text_exact=text,
                names=f"{title}\n{text}",
                **{f"title_{lang}": title, f"text_{lang}": text},
            )
    return index


def parser(schema, lang=Lang.UK):
    p = qparser.QueryParser(None, schema, group=qparser.AndGroup)
    p.add_plugin(qparser.MultifieldPlugin([f"title_{lang}", f"text_{lang}"]))
    p.add_plugin(
        qparser.FieldAliasPlugin({f"title_{lang}": ["title"], f"text_{lang}": ["text", "body"]})
    )
    p.add_plugin(ExactFormPlugin())
    return p


def ids(ix, q):
    with ix.searcher(weighting=LuceneBM25F()) as searcher:
        return [hit["id"] for hit in searcher.search(q, limit=None)]


def test_plain_word_matches_every_form_exact_form_only_that_one(ix):
    assert set(ids(ix, parser(ix.schema).parse("Києва"))) == {"kyiv-gen", "kyiv-loc"}
    assert ids(ix, parser(ix.schema).parse("=Києва")) == ["kyiv-gen"]
    assert ids(ix, parser(ix.schema).parse("=Києві")) == ["kyiv-loc"]


def test_exact_form_folds_apostrophes_and_keeps_hyphenated_words(ix):
    q = parser(ix.schema).parse("=прем\u2019єр-міністром")
    assert ids(ix, q) == ["zel-uk"]
    assert "text_exact:прем'єр-міністром" in str(q)


def test_exact_form_respects_field_and_mixes_with_words(ix):
    assert str(parser(ix.schema).parse("title:=Києва")) == "title_exact:києва"
    assert ids(ix, parser(ix.schema).parse("=Києва міст")) == ["kyiv-gen"]
    assert str(parser(ix.schema).parse("a=b")).count("exact") == 0


def test_names_surface_form_via_exact_field(ix):
    # `Карні` lemmatises to `карний`: the plain word finds both; the exact form pins the name.
    assert set(ids(ix, parser(ix.schema).parse("Карні"))) >= {"zel-uk", "crime"}
    assert set(ids(ix, parser(ix.schema).parse("=Карні"))) == {"zel-uk", "crime"}


def test_lucene_idf_and_per_language_document_count(ix):
    with ix.searcher(weighting=LuceneBM25F()) as searcher:
        weighting = searcher.weighting
        # 4 Ukrainian articles, not 6: N counts the articles of the field's language.
        df = searcher.doc_frequency("text_uk", "відкрити")
        assert df == 2
        expected = math.log(1 + (4 - 2 + 0.5) / (2 + 0.5))
        assert weighting.idf(searcher, "text_uk", "відкрити") == pytest.approx(expected)
        # Half the Ukrainian articles have it: Lucene's idf is ln 2; Whoosh's never drops below 1.
        assert weighting.idf(searcher, "text_uk", "відкрити") < 1


def test_names_key_finds_other_scripts_ranked_below_same_script(ix):
    schema = ix.schema
    word = "Zelenskyy"
    q = wq.Or([wq.Term("text_en", "zelenskyy"), names_query(word, schema)])
    assert names_query(word, schema).boost == NAMES_BOOST
    found = ids(ix, q)
    assert set(found) == {"zel-uk", "zel-ru", "zel-en"}
    q = wq.Or([wq.Term("text_uk", "зеленський"), names_query("Зеленський", schema)])
    found = ids(ix, q)
    assert found[0] == "zel-uk"
    assert set(found) == {"zel-uk", "zel-ru", "zel-en"}
    assert names_query("зеленський", schema) is None


def test_question_marks_end_questions_not_words():
    from searchlib.query.parse import parse_query
    from searchlib.store.schema import build_schema

    schema = build_schema()
    assert "компанія" in str(parse_query("Коли була заснована компанія?", schema))
    assert "?" not in str(parse_query("Who founded the company ?", schema))
    assert "wo?d" in str(parse_query("wo?d", schema, langs=[Lang.EN]))
