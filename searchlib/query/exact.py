"""Exact-form syntax: ``=Києва`` matches that form only; plain ``Києва`` matches every form.

A Whoosh query-parser plugin. ``=word`` (also ``title:=word``, ``text:=word``) is looked up in
the surface-form fields (``title_exact`` / ``text_exact``, analysed by `build_exact_analyzer`:
normalised and lowercased, no lemmas), so apostrophe variants, stress marks and ``ё`` still
fold but the inflection must match. ``=прем'єр-міністра`` keeps the hyphenated word whole.
Quoted phrases keep matching every form in word order; to pin the forms of a phrase, use
``title:`` / ``text:`` with the exact fields or prefix single words with ``=``.

Wire it into the parser with ``parser.add_plugin(ExactFormPlugin())``; it relies on the
language fields being named ``title_<lang>`` / ``text_<lang>`` (MultifieldPlugin / aliases).
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.qparser import syntax
from whoosh.qparser.plugins import TaggingPlugin

__all__ = ["ExactFormPlugin", "EXACT_FIELDS"]

EXACT_FIELDS = {"title": "title_exact", "text": "text_exact"}
"""The surface-form field of each family of language fields (``title_uk`` -> ``title_exact``)."""


class ExactFormNode(syntax.TextNode):
    """``=word``: the surface form in the exact field matching the node's field family."""

    def query(self, parser):
        fieldname = self.fieldname or parser.fieldname or "text"
        exact = EXACT_FIELDS.get(fieldname.split("_", 1)[0], fieldname)
        schema = parser.schema
        if not schema or exact not in schema:
            return wq.NullQuery
        analyzer = schema[exact].analyzer
        words = [t.text for t in analyzer(self.text, mode="query")]
        if not words:
            return wq.NullQuery
        if len(words) == 1:
            q = wq.Term(exact, words[0], boost=self.boost)
        else:
            q = wq.Phrase(exact, words, boost=self.boost)
        return syntax.attach(q, self)


class ExactFormPlugin(TaggingPlugin):
    """Tags ``=word`` (an ``=`` right before a word, not inside one) as an `ExactFormNode`."""

    expr = r"(?<![\w=])=(?P<text>[^\s()\"=:~^*?]+)"
    nodetype = ExactFormNode
    priority = 0
