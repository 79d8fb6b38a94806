"""Issue 20 item 7, one lemma per word on both sides: the homographs the learnt word table
settles (``стану`` -> стан), names (a capitalised ``Ігор`` is the name, its case forms meet;
ru ``Теслы`` meets ``Тесла``), ґ/г spellings of one word. Real pymorphy3 dictionaries, real
Brown-UK sentences, and the real articles of `research_index` against regular expressions over
the same texts."""

from __future__ import annotations

import gzip
import re

import pytest
from whoosh import query as wq

from searchlib.analysis import build_analyzer
from searchlib.analysis.morph import lemmatise
from searchlib.analysis.prior import load_word_lemmas
from searchlib.model import Lang


def _terms(lang: Lang, text: str, mode: str = "index") -> list[str]:
    return [t.text for t in build_analyzer(lang)(text, mode=mode)]


def _ids(articles: list, lang: Lang, pattern: str, flags: int = 0) -> set[str]:
    regex = re.compile(pattern, flags)
    return {a.id for a in articles if a.lang == lang and regex.search(f"{a.title}\n{a.text}")}


def _matching(index, lang: Lang, typed: str) -> set[str]:
    """Articles whose `lang` fields hold every term the query chain makes of `typed`."""
    terms = _terms(lang, typed, mode="query")
    query = wq.And([wq.Or([wq.Term(f"title_{lang}", term), wq.Term(f"text_{lang}", term)])
                    for term in terms])
    with index.searcher() as searcher:
        return {searcher.stored_fields(docnum)["id"] for docnum in query.docs(searcher)}


def test_homographs_of_news_text_take_the_lemma_news_text_means() -> None:
    # `стану`: a form of стан (state; воєнного стану, martial law) far more often than of
    # стати (I will become), which the lemma prior alone chose; the same for these words.
    for word, lemma in [("стану", "стан"), ("заяви", "заява"), ("назви", "назва"),
                        ("свята", "свято"), ("сплати", "сплата")]:
        assert lemmatise(word, Lang.UK) == lemma, word
        assert load_word_lemmas()[word] == lemma
    # Every form of стан meets, and the verb's own forms stay the verb's.
    assert set(_terms(Lang.UK, "стан стану станом стані станів станах")) == {"стан"}
    assert set(_terms(Lang.UK, "стати стала стали стане")) == {"стати"}


def test_the_word_table_holds_only_dictionary_lemmas_of_its_words() -> None:
    from searchlib.analysis.morph import candidate_lemmas

    table = load_word_lemmas()
    assert 40 < len(table) < 500
    for key, lemma in table.items():
        assert lemma in candidate_lemmas(key.lower(), Lang.UK), key


def test_brown_uk_sentences_get_their_gold_lemma(corpus_dir) -> None:
    # A text the word table was not learnt from (odd-numbered in sorted order): its content
    # words, lemmatised as the analyzer does (capitalisation told), get the annotators' lemma.
    folder = corpus_dir / "text" / "brown-uk" / "disambig_A"
    text = gzip.open(folder / "A_Detektor_Media_Bakhteyev_Peredvyborcha_reklama_vichna_i_"
                     "neznyshchenna_2018.xml.gz", "rt", encoding="utf-8").read()
    tokens = re.findall(r'<token value="([^"]*)" lemma="([^"]*)" tags="([^"]*)"', text)
    pairs = [(value, lemma) for value, lemma, tags in tokens
             if tags.startswith(("noun", "verb", "adj")) and value.isalpha()]
    right = sum(lemmatise(v.lower(), Lang.UK, v[:1].isupper()) == lemma.lower()
                for v, lemma in pairs)
    assert len(pairs) > 200
    assert right / len(pairs) > 0.95


@pytest.mark.parametrize(("forms", "lemma"), [
    ("Ігор Ігоря Ігорю Ігорем Ігореві", "ігор"),        # the name, not гра (ігор: of games)
    ("Дудко", "дудко"),                                 # a surname, not дудка (a pipe)
    ("Марченка Марченко Марченкові", "марченко"),
])
def test_capitalised_words_take_the_name_and_its_case_forms_meet(forms: str, lemma: str) -> None:
    assert set(_terms(Lang.UK, forms)) == {lemma}
    assert set(_terms(Lang.UK, forms.split()[0], mode="query")) == {lemma}


def test_lowercase_and_sentence_words_keep_their_common_lemma() -> None:
    assert _terms(Lang.UK, "олімпійських ігор") == ["олімпійський", "гра"]
    # A capitalised pronoun, adjective or a city stays itself, whatever names it could be.
    assert _terms(Lang.UK, "Українська Києві Львові Харкові") == [
        "український", "київ", "львів", "харків"]
    assert lemmatise("мені", Lang.UK, capitalised=True) == "я"  # a stop word in the chain


def test_g_and_ghe_spellings_of_one_word_meet() -> None:
    # The dictionary lists реґіон beside регіон (and Вашинґтон, a surname, beside the city):
    # every form and either spelling goes to the г spelling.
    assert set(_terms(Lang.UK, "регіон регіону регіонів реґіону реґіон")) == {"регіон"}
    assert set(_terms(Lang.UK, "Вашингтон Вашингтоні Вашингтона Вашинґтон")) == {"вашингтон"}
    assert set(_terms(Lang.UK, "грунт ґрунту ґрунт")) == {"грунт"}


def test_russian_name_forms_the_dictionary_lacks_meet_the_ones_it_has() -> None:
    # pymorphy3's ru dictionary knows Тесла, Тесле, Теслу only as forms of тесло (adze) and not
    # Теслы, Теслой at all: an unknown form takes the dictionary lemma of its stem.
    assert set(_terms(Lang.RU, "Тесла Теслы Тесле Теслу Теслой")) == {"тесло"}
    assert _terms(Lang.RU, "Теслы", mode="query") == _terms(Lang.RU, "Тесла", mode="query")
    # A stem no dictionary lemma has is still the stem (Байрактар), as before.
    assert set(_terms(Lang.RU, "Байрактара Байрактаром")) == {"байрактар"}


def test_index_finds_martial_law_by_any_form(research_index, research_articles) -> None:
    # `воєнного стану` (martial law) in real Ukrainian news: the query in any form finds every
    # article holding a form of both words, and `стану` alone finds what `стан` finds.
    voienn = r"\bвоєнн(?:ий|ого|ому|им|ім|а|ої|ій|у|ою|е|і|их|ими)\b"
    stan = r"\bстан(?:у|ом|і|ові|и|ів|ам|ами|ах)?\b"
    expected = (_ids(research_articles, Lang.UK, voienn, re.I)
                & _ids(research_articles, Lang.UK, stan, re.I))
    assert len(_ids(research_articles, Lang.UK, r"\bвоєнного стану\b", re.I)) >= 3
    for typed in ("воєнний стан", "воєнного стану", "воєнному стані"):
        assert _matching(research_index, Lang.UK, typed) == expected, typed
    everything = _ids(research_articles, Lang.UK, stan, re.I)
    assert _matching(research_index, Lang.UK, "стану") == everything
    assert _matching(research_index, Lang.UK, "стан") == everything


def test_index_finds_a_name_in_every_case(research_index, research_articles) -> None:
    # Ігор in real articles (Ігоря, Ігорю ...): the name typed in any case finds them all, and
    # no article that has only the games (ігор, lowercase).
    expected = _ids(research_articles, Lang.UK, r"\bІгор(?:я|ю|ем|еві|і)?\b")
    assert len(expected) >= 2
    for typed in ("Ігор", "Ігоря", "Ігорем"):
        assert _matching(research_index, Lang.UK, typed) == expected, typed


def test_index_finds_tesla_by_forms_it_does_not_hold(research_index, research_articles) -> None:
    # A SlavicNER news text (US election 2020) holds Теслой and Теслу; the typed Теслы and
    # Тесла are in no article, and both find exactly the articles with a form of the name.
    expected = _ids(research_articles, Lang.RU, r"\bТесл(?:а|ы|е|у|ой|ою)\b")
    assert expected and not _ids(research_articles, Lang.RU, r"\bТесл[аы]\b")
    assert _matching(research_index, Lang.RU, "Теслы") == expected
    assert _matching(research_index, Lang.RU, "Тесла") == expected
