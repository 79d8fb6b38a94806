"""Where the words of a query stand in one whole article (its page, opened from a search).

The article is matched against the query (or, as a search does, its partial-match form when
it only has some of the words), and its title, lead and text are marked by the snippets'
highlighter (`mark_all`): the same words a hit's snippet marks, everywhere they occur.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from searchlib.errors import ArticleNotFound
from searchlib.model import Lang
from searchlib.query.highlight import mark_all
from searchlib.query.parse import relaxed_query
from searchlib.query.search import prepare, snippet_matchers
from searchlib.store import Store

__all__ = ["ArticleHighlights", "highlight_article", "marked"]

Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleHighlights:
    """The (start, end) ranges of matched words in an article's title, lead and text, in
    characters (code points) of each; empty where the query does not match there."""

    id: str
    query: str
    title: Spans = ()
    lead: Spans = ()
    text: Spans = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "query": self.query,
                **{name: [list(span) for span in getattr(self, name)]
                   for name in ("title", "lead", "text")}}


def highlight_article(store: Store, article_id: str, query: str) -> ArticleHighlights:
    """The words of `query` in the article `article_id`, as its search hit's snippet marks them.

    Raises `ArticleNotFound` when there is no such article, `QueryError` as a search would.
    """
    with store.searcher() as searcher:
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            raise ArticleNotFound(str(store.path), article_id)
        parsed, _ = prepare(searcher, query, None)
        terms = _matched_terms(searcher, parsed, docnum)
        stored = searcher.stored_fields(docnum)
    return marked(searcher.schema, article_id, query, stored, terms)


def marked(schema: Any, article_id: str, query: str, stored: dict[str, Any],
           terms: Sequence[Any]) -> ArticleHighlights:
    """The highlights of an article (its stored fields) that matched through `terms`
    ((field, term) pairs). Both engines mark articles here."""
    if not terms:
        return ArticleHighlights(id=article_id, query=query)
    matchers = snippet_matchers(schema, Lang(stored["lang"]) if stored.get("lang") else None,
                                terms)
    return ArticleHighlights(
        id=article_id, query=query,
        **{name: mark_all(stored.get(name) or "", matchers).highlights
           for name in ("title", "lead", "text")})


def _matched_terms(searcher: Searcher, parsed: wq.Query, docnum: int) -> Sequence[Any]:
    """The (field, term) pairs through which `docnum` matches the query, else its partial form."""
    for candidate in (parsed, relaxed_query(parsed)):
        if candidate is None or candidate is wq.NullQuery:
            continue
        found = searcher.search(candidate, filter={docnum}, limit=1, terms=True)
        if found:
            return found[0].matched_terms() or ()
    return ()
