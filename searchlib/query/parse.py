"""Query parsing: one query string -> one Whoosh query over every candidate language.

The string is parsed once per language the query may be in (`query_languages`), each time with
that language's analyzer over that language's fields; the parts are OR-ed. An article only has
terms in its own language's fields, so it is scored by one part only and scores are not diluted.
"""

from __future__ import annotations

from collections.abc import Sequence

from whoosh import qparser
from whoosh.fields import Schema
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.query import And, NullQuery, Or, Query

from searchlib.errors import QueryError
from searchlib.model import Lang
from searchlib.store import LANGS, text_field, title_field
from searchlib.text import query_languages

__all__ = ["parse_query", "MAX_QUERY_CHARS"]

MAX_QUERY_CHARS = 2000


class _PositionalParser(qparser.QueryParser):
    """Joins the tokens of one query word by position: forms at one position are alternatives.

    Our analyzers emit several tokens at one position (a lemma beside the surface form, a
    hyphenated word beside its parts). Whoosh's default would AND them, so `Канаді` would only
    find articles that contain that exact form; here they are OR-ed, and an article with the
    exact form scores higher because it matches both.
    """

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True,
                   removestops=True):
        if not (self.schema and fieldname in self.schema) or not tokenize:
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        field = self.schema[fieldname]
        if field.self_parsing() or not field.analyzer:
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        by_position: dict[int, list[str]] = {}
        for token in field.analyzer(text, mode="query", positions=True,
                                    removestops=removestops):
            forms = by_position.setdefault(token.pos, [])
            if token.text not in forms:
                forms.append(token.text)
        groups = [
            forms[0] if len(forms) == 1 else forms for _, forms in sorted(by_position.items())
        ]
        if not groups:
            return None
        queries = [
            termclass(fieldname, g, boost=boost) if isinstance(g, str)
            else Or([termclass(fieldname, form, boost=boost) for form in g])
            for g in groups
        ]
        return queries[0] if len(queries) == 1 else And(queries)


def _parser(schema: Schema, lang: Lang) -> qparser.QueryParser:
    title, text = title_field(lang), text_field(lang)
    parser = _PositionalParser(None, schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.MultifieldPlugin([title, text]))
    parser.add_plugin(qparser.FieldAliasPlugin({title: ["title"], text: ["text", "body"]}))
    parser.add_plugin(DateParserPlugin(free=False))
    return parser


def parse_query(text: str, schema: Schema, *, langs: Sequence[Lang] | None = None) -> Query:
    """Parse a user query into a Whoosh query over the candidate languages' fields.

    Raises `QueryError` for an empty, oversized or unparsable query.
    """
    if not text or not text.strip():
        raise QueryError(text, "the query is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(text[:40] + "...", f"longer than {MAX_QUERY_CHARS} characters")
    candidates = tuple(langs) if langs else query_languages(text)
    parts: list[Query] = []
    for lang in candidates:
        if lang not in LANGS:
            continue
        try:
            parsed = _parser(schema, lang).parse(text)
        except Exception as err:  # Whoosh raises assorted errors on odd syntax
            raise QueryError(text, f"cannot parse it ({err})") from err
        parsed = parsed.normalize()
        if parsed is not NullQuery and not isinstance(parsed, type(NullQuery)):
            parts.append(parsed)
    if not parts:
        return NullQuery
    return parts[0] if len(parts) == 1 else Or(parts)
