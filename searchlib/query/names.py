"""Names across scripts at query time: a low-boost alternative in the ``names`` field.

The ``names`` field (analysed by `build_translit_analyzer`) holds the script-independent key of
every capitalised word of an article's title and text, whatever its language. A capitalised
query word gets, beside its lemma in the language fields, the alternative
``names:<key>^NAMES_BOOST``: ``Zelenskyy`` then also finds ``Зеленський``, ``Зеленского`` and
``Zelensky``. Articles that match in their own script also match the name key, so they always
rank above the ones found through the key alone. On for capitalised words (names), because the
key of a common word would match unrelated names; lowercase words never use it.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema

from searchlib.analysis import build_translit_analyzer

__all__ = ["NAMES_FIELD", "NAMES_BOOST", "AUTHOR_KEYS_FIELD", "names_query", "author_query"]

NAMES_FIELD = "names"
NAMES_BOOST = 0.3
"""Weight of a names-key match against a same-script match (1.0)."""
AUTHOR_KEYS_FIELD = "author_keys"
_KEYS: list[Any] = []


def names_query(word: str, schema: Schema) -> wq.Query | None:
    """``names:<key>`` for a capitalised word (None for other words or without the field).

    >>> from whoosh.fields import Schema, TEXT
    >>> from searchlib.analysis import build_translit_analyzer
    >>> schema = Schema(names=TEXT(analyzer=build_translit_analyzer()))
    >>> names_query("Zelenskyy", schema)
    Term('names', 'zelensk', boost=0.3)
    >>> names_query("zelenskyy", schema) is None
    True
    """
    first = next((char for char in word if char.isalnum()), "")  # `«Северный`, `"Nord`
    if NAMES_FIELD not in schema.names() or not first.isupper():
        return None
    keys = list(dict.fromkeys(t.text for t in schema[NAMES_FIELD].analyzer(word, mode="query")))
    if not keys:
        return None
    terms = [wq.Term(NAMES_FIELD, key, boost=NAMES_BOOST) for key in keys]
    return terms[0] if len(terms) == 1 else wq.And(terms)


def author_query(name: str) -> wq.Query:
    """The articles by `name`: the author as written (any case), or the name keys of its words
    in order among an author's names, so ``Andrews`` finds "Ben Andrews" and
    ``Oksana Hrebeniuk`` finds "Оксана Гребенюк".

    >>> str(author_query("Oksana Hrebeniuk"))
    '(author:oksana hrebeniuk OR author_keys:"oksan grebeniuk")'
    """
    exact = wq.Term("author", name.replace(",", " ").strip().lower())
    if not _KEYS:
        _KEYS.append(build_translit_analyzer())
    keys = [t.text for t in _KEYS[0](name.replace(",", " ").title(), mode="query")]
    if not keys:
        return exact
    by_keys = wq.Term(AUTHOR_KEYS_FIELD, keys[0]) if len(keys) == 1 else \
        wq.Phrase(AUTHOR_KEYS_FIELD, keys)
    return wq.Or([exact, by_keys])
