"""Query parsing: one query string -> one Whoosh query over every language at once.

Each word and phrase is looked up in the fields of every language (`_LanguageFieldsPlugin`),
analysed by that language's analyzer, so a query mixing languages loses none of them and
``A OR B`` matches exactly the union of ``A`` and ``B``. An article only has terms in its own
language's fields, so it is scored by its own language alone and scores are not diluted.
Wildcards, prefixes, fuzzy terms and ``=word`` match words as written, in the surface-form
fields.

The language (README "Query language"): words are AND-ed; ``OR``, ``NOT``, ``( )``; ``-word``
(without) and ``+word`` (required); ``"phrase"`` and ``"a b"~N`` (within N words); ``=word``
and ``"=a b"`` (as written); ``title:``, ``text:``, ``author:``, ``source:``, ``lang:``,
``tag:``, ``published:[2025-08-01 TO 2025-08-31]`` (open: ``[2025-08-01 TO]``; one day or month:
``published:2025-08``); ``word*`` / ``wo?d``; ``word~`` (fuzzy, 1 edit; ``word~2`` for 2). A lone
``*`` matches every article. Punctuation that is not syntax is text (`_natural_punctuation`): a
``?`` ending a word or a quote, a colon after a word that is no field name.

Hostile input is refused before Whoosh sees it (Whoosh silently drops what it cannot parse):
unbalanced quotes, parentheses and brackets, control characters, unknown fields, over-long or
over-nested queries raise `QueryError` pointing at the character. Wildcards that would expand to
too many words are refused when the query is run (`check_expansions`), since that needs a reader.
"""

from __future__ import annotations

import copy
import difflib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from itertools import islice

from whoosh import qparser
from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import syntax
from whoosh.qparser.taggers import FnTagger
from whoosh.query import And, NullQuery, Or, Query

from searchlib.errors import QueryError
from searchlib.model import Lang
from searchlib.query.exact import EXACT_FIELDS, ExactFormNode, ExactFormPlugin
from searchlib.query.names import NAMES_FIELD, author_query, names_query
from searchlib.store import LANGS
from searchlib.text.normalise import normalise_word

__all__ = [
    "is_plain",
    "relaxed_query",
    "PART_BOOST",
    "parse_query",
    "check_expansions",
    "query_words",
    "MAX_QUERY_CHARS",
    "MAX_DEPTH",
    "MAX_TERMS",
    "MAX_EXPANSIONS",
    "MAX_FUZZY",
    "MAX_BOOST",
    "MAX_SLOP",
    "MAX_POSTINGS",
    "FIELDS",
    "QUESTION_WORDS",
]

MAX_QUERY_CHARS = 2000
MAX_DEPTH = 20
"""Nested parentheses allowed; deeper nesting is refused (Whoosh's parser recurses)."""
MAX_TERMS = 1000
"""Term leaves of the parsed query over all languages and fields (a word is ~6 leaves)."""
MAX_EXPANSIONS = 300
"""Index words all wildcards, prefixes, fuzzy terms and ranges of one query may expand to,
together (each field and language counts). Measured with `benchmarks/research.py` on 2k
articles: `пре*` (121 words) searches in 0.4 s, `а*` (2,478 words) in 12-17 s, and the cost grows
with the index; Lucene's clause limit plays the same role."""
MAX_FUZZY = 2
"""Largest edit distance of ``word~N``, Lucene's limit too: 3 edits of a news word match mostly
unrelated words, and Whoosh's Levenshtein automaton grows exponentially with the distance
(`Zelenskyxxyy~9` took 35 s and 661 MB, issue 19)."""
MAX_BOOST = 1000.0
"""Largest `^N` boost; above it scores overflow to infinity and rankings stop meaning anything."""
MAX_SLOP = 1000
"""Largest `"a b"~N` distance (words apart); any larger value means the same."""
MAX_POSTINGS = 1_000_000
"""Article entries (postings) the index words of one query may hold together, after expansion.
Measured on the 2.4k-article research index with 40 of the most frequent exact forms OR-ed:
51,299 postings searched, counted and ranked in 0.34 s (~0.15 M a second with the per-term
work), so the bound keeps a query's reading within a few seconds on a 2-core machine; on a 100k
index only a handful of the commonest words OR-ed reach it."""

FIELDS: dict[str, str] = {
    "title": "words of the headline",
    "text": "words of the lead and body (also `body:`)",
    "author": 'an author\'s name or part of it, in any script, e.g. author:"Оксана Гребенюк"',
    "source": 'an outlet: its domain or a source name, any case, e.g. source:"Kyiv Ledger"',
    "lang": "uk, ru, en, or unknown (language not detected)",
    "tag": "a tag or section",
    "published": "a date or range, e.g. published:[2025-08-01 TO 2025-08-31]",
}
"""The fields a query may name (`name:value`), with what they match."""
_ALIASES = ("body",)

_CONTROL = frozenset({"Cc", "Cs", "Co", "Cn"})
_SPACES = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
_QUESTION_MARKS = re.compile(r"\?+(?![\w*])")
"""A ``?`` is a one-letter wildcard only inside a word (``defen?e``). At the end of a word or
after a closing quote it ends a question (``Коли заснували Київ?``, ``"Северный поток"?``)."""
_COLON = re.compile(r"(?<![\w.@/:-])(\w+):(?!//)")
"""``name:`` not inside a word: a field when `name` is a field name, else punctuation."""
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXACT_PHRASE = re.compile(r'(?<![\w=])="')
_SIGN = r'(?:^|(?<=[\s(]))[{}](?=[\w"(=])'
_WORD = re.compile(r"[\w'’*?][\w'’*?-]*", re.UNICODE)
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})

QUESTION_WORDS: dict[Lang, frozenset[str]] = {
    Lang.EN: frozenset("do does did many much".split()),
    Lang.RU: frozenset("""кого кому кем чему каков какова каково каковы какою скольких
        скольким сколькими чьи чьего чьей чьих чьим чьему чьими чью разве неужели""".split()),
    Lang.UK: frozenset("""кого кому ким якою чий чия чиє чиї чийого чиєї чиїх чиїм чиєму чиїми
        чию скількох скільком скількома хіба невже""".split()),
}
"""Question words that carry no topic and are no stop words (the stop-word lists already hold
що, який, як, скільки, что, какой, как, сколько, what, who, how ...): dropped from a query's
bare words at query time (`_without_question_words`), never at index time, so a quoted phrase,
``+did`` or ``-did`` keeps them and a query of nothing else searches them (issue 20 item 4).
A word is dropped when it is one in any language of the query, as a stop word is."""


class _AllArticles(wq.Every):
    """Every article (a lone ``*``): Whoosh's field-less `Every`, shown as ``*``."""

    def __str__(self) -> str:
        return "*"

    __unicode__ = __str__


class _PositionalParser(qparser.QueryParser):
    """Joins the tokens of one query word by position: forms at one position are alternatives.

    Our analyzers emit several tokens at one position (a lemma beside the surface form, a
    hyphenated word beside its parts). Whoosh's default would AND them, so `Канаді` would only
    find articles that contain that exact form; here they are OR-ed, and an article with the
    exact form scores higher because it matches both.
    """

    def __init__(self, schema: Schema, langs: Sequence[Lang], group) -> None:
        super().__init__(None, schema, group=group, phraseclass=_Phrase)
        self.langs = tuple(langs)
        self._stops: dict[str, bool] = {}

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True,
                   removestops=True):
        if fieldname == NAMES_FIELD:
            # A capitalised word may be a name written in another script (issue 4): its
            # script-independent key is a low-boost alternative (nothing for other words).
            return names_query(text, self.schema) if self.schema else None
        if issubclass(termclass, wq.FuzzyTerm):
            # Edit distance applies to the word as written (`_LanguageFieldsPlugin` gives fuzzy
            # terms the surface-form fields): normalised and lowercased, never lemmatised.
            tokenize = False
        if not (self.schema and fieldname in self.schema) or not tokenize:
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        field = self.schema[fieldname]
        if field.self_parsing() or not field.analyzer:
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        if removestops and self._stop_word(text):
            return None
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

    def _stop_word(self, text: str) -> bool:
        """True for a word that is a stop word in any language of the query.

        A word is looked up in every language's fields at once (`_LanguageFieldsPlugin`), so a
        stop word of one language (``на``, ``the``) would otherwise be a required word of the
        others and keep their articles out of ``ціни на нафту``; it is dropped everywhere, as
        a query parsed in that language alone would drop it.
        """
        known = self._stops.get(text)
        if known is None:
            schema = self.schema
            known = self._stops[text] = any(
                next(iter(schema[field].analyzer(text, mode="query")), None) is None
                for field in (f"text_{lang}" for lang in self.langs) if field in schema)
        return known


class _LanguageFieldsPlugin(qparser.Plugin):
    """Puts each word and phrase in the fields of every candidate language, once.

    An unfielded word becomes ``title_uk | text_uk | title_ru | text_ru | title_en | text_en |
    names``: each language's field analyses it with that language's analyzer, so every word is
    looked up in every language it could belong to (``війна OR война`` finds the Russian word in
    Russian articles too) and ``A OR B`` matches exactly the union of ``A`` and ``B``. An article
    fills only its own language's fields, so it is still scored by its own language alone.
    ``title:`` / ``text:`` (alias ``body:``) keep to that field of every language. Wildcards,
    prefixes, fuzzy terms and ``=word`` match words as written (normalised, lowercased), so they
    go to the surface-form fields (``title_exact`` / ``text_exact``) whatever the language.
    """

    def __init__(self, langs: Sequence[Lang]) -> None:
        self.langs = tuple(langs)

    def filters(self, parser):
        # After the fields filter (priority 100) has given nodes their explicit field names.
        return [(self.do_fields, 110)]

    def do_fields(self, parser, group):
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.do_fields(parser, node)
            elif node.has_fieldname and node.fieldname in _FAMILIES:
                names = self._fieldnames(node)
                copies = []
                for name in names:
                    copied = copy.copy(node)
                    copied.set_fieldname(name, override=True)
                    copies.append(copied)
                group[i] = copies[0] if len(copies) == 1 else syntax.OrGroup(copies)
        return group

    def _fieldnames(self, node) -> list[str]:
        family = _FAMILIES[node.fieldname]
        families = ("title", "text") if family is None else (family,)
        if isinstance(node, _SURFACE_NODES) or (
                isinstance(node, qparser.PhrasePlugin.PhraseNode)
                and node.text.lstrip().startswith("=")):
            return [EXACT_FIELDS[f] for f in families]
        names = [f"{f}_{lang}" for lang in self.langs for f in families]
        if type(node) is syntax.WordNode and "text" in families:
            names.append(NAMES_FIELD)  # a capitalised word may be a name in another script
        return names


_FAMILIES: dict[str | None, str | None] = {None: None, "title": "title", "text": "text"}
"""The field names a word or phrase may carry -> the family of language fields it searches
(None: title and text); `body:` is an alias of `text:`."""
_SURFACE_NODES = (qparser.WildcardPlugin.WildcardNode, qparser.PrefixPlugin.PrefixNode,
                  qparser.FuzzyTermPlugin.FuzzyTermNode,
                  ExactFormNode)


class _Phrase(wq.Phrase):
    """A phrase shown with its slop (``text_uk:"канада безпека"~5``), so `--explain` shows
    what is searched."""

    def __unicode__(self) -> str:
        shown = f'{self.fieldname}:"{" ".join(self.words)}"'
        return f"{shown}~{self.slop}" if self.slop > 1 else shown

    __str__ = __unicode__


class _ExcludeGroup(syntax.BinaryGroup):
    """The first node's matches without the second's (all articles without them when the first
    is empty, e.g. only stop words)."""

    def query(self, parser):
        kept, excluded = (node.query(parser) for node in self.nodes)
        kept = kept.normalize() if kept is not None else NullQuery
        if excluded is None or excluded.normalize() is NullQuery:
            return kept
        if kept is NullQuery:
            return syntax.attach(wq.Not(excluded), self)
        return syntax.attach(wq.AndNot(kept, excluded), self)


class _SignPlugin(qparser.Plugin):
    """``-word`` excludes, ``+word`` requires (the web-search and Lucene convention).

    A sign counts at the start of the query or after a space or ``(``, right before a word,
    quote, ``(`` or ``=`` (``прем'єр-міністр`` and ``2025-08-01`` keep their hyphens). Within
    its group (the query, or the parentheses around it): ``a OR b -c`` is ``(a OR b)`` without
    the articles that have ``c``; ``-c`` alone is every article without ``c``; ``+c`` must be in
    every match, so ``+c OR d`` finds the articles with ``c`` (``d`` only ranks them) and
    ``a +c`` is ``a c``.
    """

    class Plus(syntax.MarkerNode):
        pass

    class Minus(syntax.MarkerNode):
        pass

    def taggers(self, parser):
        return [(FnTagger(_SIGN.format(r"+"), self.Plus, "plus"), 0),
                (FnTagger(_SIGN.format("-"), self.Minus, "minus"), 0)]

    def filters(self, parser):
        # After whitespace is removed (500), before the operators build their groups (600).
        return [(self.do_signs, 520)]

    def do_signs(self, parser, group):
        kept = group.empty_copy()
        required, excluded = [], []
        nodes = list(group)
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if isinstance(node, syntax.GroupNode):
                node = self.do_signs(parser, node)
            if isinstance(node, (self.Plus, self.Minus)) and i + 1 < len(nodes):
                target = nodes[i + 1]
                if isinstance(target, syntax.GroupNode):
                    target = self.do_signs(parser, target)
                if isinstance(node, self.Plus):
                    kept.append(target)
                    required.append(copy.deepcopy(target))
                else:
                    if kept and isinstance(kept[-1], syntax.InfixOperator):
                        kept.pop()  # `a OR -c`: the OR joined nothing else
                    excluded.append(target)
                i += 2
                continue
            if not isinstance(node, (self.Plus, self.Minus)):
                kept.append(node)
            i += 1
        if not required and not excluded:
            return kept
        while kept and isinstance(kept[0], syntax.InfixOperator):
            kept.pop(0)
        result = kept
        if required and any(isinstance(n, syntax.InfixOperator) for n in kept):
            # Words are AND-ed already; only an OR could leave a `+word` optional.
            result = syntax.AndGroup([result, syntax.AndGroup(required)])
        if excluded:
            result = _ExcludeGroup([result, syntax.OrGroup(excluded)])
        return syntax.AndGroup([result])


def _parser(schema: Schema, langs: Sequence[Lang], date_errors: list[str],
            dates: bool = True) -> qparser.QueryParser:
    parser = _PositionalParser(schema, langs, qparser.AndGroup)
    # `'a b'` is no syntax (the README's language has none): an apostrophe or a quotation
    # mark in pasted text (`rock 'n' roll`, `'Северный поток'?`) is punctuation.
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.add_plugin(_SignPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin({"text": ["body"]}))
    parser.add_plugin(_LanguageFieldsPlugin(langs))
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(ExactFormPlugin())  # `=Києва`: that form only (the exact fields)
    if dates:  # importing and building the date grammar is ~15 ms of a cold search (issue 7)
        from whoosh.qparser.dateparse import DateParserPlugin

        parser.add_plugin(DateParserPlugin(free=False, callback=date_errors.append))
    return parser


def is_plain(text: str) -> bool:
    """True for a query of two or more bare words: no operators, fields, quotes or wildcards.
    Punctuation that is not syntax does not count (a pasted question is plain).

    >>> is_plain("скільки коштує м'ясо"), is_plain('"план дій"'), is_plain("a OR b")
    (True, False, False)
    >>> is_plain("Brexit: what happens next?"), is_plain("Канада -Украина")
    (True, False)
    """
    try:
        text = _natural_punctuation(text, None)
    except QueryError:
        return False
    words = text.split()
    return (
        len(words) > 1
        and not _SYNTAX_CHARS.search(text)
        and not any(word in ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE") for word in words)
    )


_SYNTAX_CHARS = re.compile(r'["()\[\]{}:*~=^+]|(?<!\w)-|\?(?=\w)')


PART_BOOST = 0.3
"""Weight of a hyphenated word's parts (``нью``, ``йорк`` of ``Нью-Йорк``) in the partial
matches, against the whole word (1.0): an article with the whole word also has its parts at the
same position, so it ranks above one with the parts alone (issue 20 item 5). 0: no parts."""


def relaxed_query(query: Query, schema: Schema | None = None) -> Query | None:
    """The partial-match form of a parsed query: articles with some of its words.

    Every AND of words becomes an OR (an article scores higher the more words it has) and every
    phrase the OR of its words, inside groups too, so a query with quotes, brackets, ``+``,
    fields or numbers such as ``4:51`` relaxes like one of bare words (issue 20). Restrictions
    that are no words (``lang:``, ``source:``, ``author:``, ``tag:``, ``published:``) stay
    required, and ``-word`` / ``NOT`` still exclude. Given the `schema`, a hyphenated word is
    also searched as its parts, at `PART_BOOST` (the index holds them at the word's position).
    None when nothing can be relaxed (one word without parts, or only ORs).

    >>> from searchlib.store.schema import build_schema
    >>> schema = build_schema()
    >>> str(relaxed_query(parse_query('"nord stream" lang:en', schema, langs=[Lang.EN])))
    '(lang:en AND (title_en:nord OR title_en:stream OR text_en:nord OR text_en:stream))'
    >>> relaxed_query(parse_query("Canada", schema, langs=[Lang.EN])) is None
    True
    >>> str(relaxed_query(parse_query("title:New-York", schema, langs=[Lang.EN]), schema))
    '(title_en:new-york OR title_en:new^0.3 OR title_en:york^0.3)'
    """
    relaxed = _relax(query, schema)
    return None if relaxed is query else relaxed.normalize()


def _is_words(query: Query) -> bool:
    """True when the query holds a word of the title, text or names fields."""
    return any(str(getattr(leaf, "fieldname", "")).startswith(_WORD_FIELDS)
               for leaf in query.leaves())


_WORD_FIELDS = ("title_", "text_", NAMES_FIELD)


def _relax(query: Query, schema: Schema | None) -> Query:
    """`relaxed_query` without normalising; returns `query` itself when nothing changed."""
    if type(query) is wq.Term:
        return _with_parts(query, schema)
    if isinstance(query, wq.Phrase):
        return Or([_with_parts(wq.Term(query.fieldname, word, boost=query.boost), schema)
                   for word in query.words])
    if isinstance(query, wq.AndNot):
        kept = _relax(query.a, schema)
        return query if kept is query.a else wq.AndNot(kept, query.b)
    if isinstance(query, wq.compound.CompoundQuery):
        children = [_relax(child, schema) for child in query.subqueries]
        if isinstance(query, And):
            words = [c for c in children if _is_words(c)]
            if len(words) > 1 or any(c is not o for c, o in zip(children, query.subqueries,
                                                                strict=True)):
                rest = [c for c in children if not _is_words(c)]
                either = Or(words, boost=query.boost) if len(words) > 1 else words[0]
                return And([*rest, either]) if rest else either
            return query
        if any(c is not o for c, o in zip(children, query.subqueries, strict=True)):
            return type(query)(children, boost=query.boost)
    return query


def _with_parts(term: wq.Term, schema: Schema | None) -> Query:
    """A hyphenated word of a language field OR its parts at `PART_BOOST` (the index's
    tokens at the word's position after the word itself); else `term` itself."""
    text, fieldname = term.text, term.fieldname
    if not PART_BOOST or schema is None or not isinstance(text, str) or "-" not in text \
            or not fieldname.startswith(("title_", "text_")) or fieldname not in schema:
        return term
    analyzer = schema[fieldname].analyzer
    parts = [t.text for t in analyzer(text, mode="index", positions=True) if t.pos == 0]
    parts = [part for part in dict.fromkeys(parts[1:]) if part != text]
    if not parts:
        return term
    boost = term.boost * PART_BOOST
    return Or([term, Or([wq.Term(fieldname, part, boost=boost) for part in parts])])


def parse_query(text: str, schema: Schema, *, langs: Sequence[Lang] | None = None) -> Query:
    """Parse a user query into a Whoosh query over the candidate languages' fields.

    Words are AND-ed (`relaxed_query` gives the articles with only some of them).

    Returns a query or raises `QueryError` (with the position of the problem where there is
    one) for an empty, oversized, unbalanced or otherwise unparsable query; nothing else.

    >>> from searchlib.store.schema import build_schema
    >>> str(parse_query("Canada", build_schema(), langs=[Lang.EN]))
    '(title_en:canada OR text_en:canada OR names:kanad^0.3)'
    """
    if not isinstance(text, str) or not text.strip():
        raise QueryError(str(text or ""), "the query is empty; give at least one word")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(text[:40] + "...", f"it is {len(text)} characters long, more than "
                         f"{MAX_QUERY_CHARS}; shorten it or split it into several queries")
    text = _unbalanced_brackets(_unbalanced_quotes(text))
    _check_syntax(text, schema)
    _check_date_ranges(text)
    _check_numbers(text)
    original, text = text, _compact_range_dates(_natural_punctuation(text, schema))
    if text.strip().strip("*") == "" and "*" in text:
        return _AllArticles()
    candidates = [lang for lang in (langs or LANGS) if lang in LANGS]
    date_errors: list[str] = []
    try:
        asked = _without_question_words(text, candidates)
        query = _parse(asked, schema, candidates, date_errors)
        if asked != text and not _is_words(query):  # only question words: search them
            date_errors.clear()
            query = _parse(text, schema, candidates, date_errors)
    except RecursionError as err:
        raise QueryError(original, "it is nested too deeply") from err
    except Exception as err:  # Whoosh raises assorted errors on odd syntax
        raise QueryError(original, _explain_whoosh_error(text, err)) from err
    if date_errors:
        raise QueryError(original, _explain_whoosh_error(text, None),
                         position=original.find("published:") if "published:" in original
                         else None)
    if query is NullQuery or isinstance(query, type(NullQuery)):
        return NullQuery
    _check_values(query, original)
    query = _author_names(_unknown_language(_lone_stars_match_all(query)))
    leaves = sum(1 for _ in islice(query.leaves(), MAX_TERMS + 1))
    if leaves > MAX_TERMS:
        raise QueryError(text[:60] + ("..." if len(text) > 60 else ""),
                         f"it expands to more than {MAX_TERMS} terms; use fewer words")
    return query


def _parse(text: str, schema: Schema, langs: Sequence[Lang], date_errors: list[str]) -> Query:
    # A date is only ever read from a field (`published:...`), so only after a colon.
    return _parser(schema, langs, date_errors, dates=":" in text).parse(text).normalize()


def _without_question_words(text: str, langs: Sequence[Lang]) -> str:
    """The query with its bare `QUESTION_WORDS` (of any of `langs`) made spaces, offsets
    unchanged: a word between spaces or punctuation, outside quotes, without a sign, field or
    wildcard, in a query without operators (``AND``, ``OR``, ``NOT``).

    >>> _without_question_words('How much did "did it" cost -did Canada', [Lang.EN])
    'How          "did it" cost -did Canada'
    """
    words = frozenset().union(*(QUESTION_WORDS[lang] for lang in langs))
    if not words or any(word in _OPERATORS for word in text.split()):
        return text
    chars = list(text)
    for match in _BARE_WORD.finditer(_outside_quotes(text)):
        if normalise_word(match.group(0)).lower() in words:
            chars[match.start():match.end()] = " " * (match.end() - match.start())
    return "".join(chars)


_BARE_WORD = re.compile(r"(?<!\S)[^\W\d_][\w'’]*(?=[\s.,;!]|$)")
"""A word after a space (or first) and before a space, ``. , ; !`` or the end: no ``+``,
``-``, ``=``, ``(`` before it, no ``:``, ``*``, ``~``, ``^``, ``)`` after it."""


UNKNOWN_LANG = "unknown"
"""The language value (``lang:unknown``, ``--lang unknown``) of articles whose language could
not be detected: they have no language value in the index."""


def unknown_language() -> Query:
    """The articles without a language: every article but those in uk, ru or en."""
    return And([wq.Every(), wq.Not(Or([wq.Term("lang", str(lang)) for lang in Lang]))])


def _unknown_language(query: Query) -> Query:
    """``lang:unknown`` as `unknown_language()` (the index holds no value to look up)."""
    if isinstance(query, wq.Term):
        if query.fieldname == "lang" and str(query.text).lower() == UNKNOWN_LANG:
            return unknown_language()
        return query
    return query.apply(_unknown_language)


def _author_names(query: Query) -> Query:
    """``author:NAME`` as `author_query` (part of a name, names across scripts)."""
    if isinstance(query, wq.Term):
        return author_query(str(query.text)) if query.fieldname == "author" else query
    return query.apply(_author_names)


_RANGE = re.compile(r"(published:\s*)(\[[^\]}]*\]|\{[^\]}]*\}|\S+)()")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")


def _compact_range_dates(text: str) -> str:
    """``2025-08-01`` -> ``20250801`` in published: values (Whoosh's date parser misreads dashes
    in ranges and silently widens the range to the whole year)."""
    return _RANGE.sub(lambda m: m.group(1) + _ISO_DATE.sub(
        lambda d: "".join(part for part in d.groups() if part), m.group(2)) + m.group(3), text)


def _explain_whoosh_error(text: str, err: Exception | None) -> str:
    if "published:" in text:
        return ("a date in published: could not be read; use published:YYYY-MM-DD or "
                "published:[YYYY-MM-DD TO YYYY-MM-DD]")
    return f"cannot parse it ({type(err).__name__}: {err}); check quotes and operators"


def _check_syntax(text: str, schema: Schema) -> None:
    """Refuse what Whoosh would silently drop or mis-read, pointing at the character."""
    for position, char in enumerate(text):
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in _CONTROL:
            raise QueryError(_printable(text), "it contains the control character "
                             f"U+{ord(char):04X}; remove it", position=position)
    stack: list[tuple[str, int]] = []
    quote: int | None = None
    closing = {")": "(", "]": "[", "}": "{"}
    for position, char in enumerate(text):
        if char == '"':
            quote = position if quote is None else None
        elif quote is not None:
            continue
        elif char in "([{":
            stack.append((char, position))
            if len(stack) > MAX_DEPTH:
                raise QueryError(text, f"more than {MAX_DEPTH} nested brackets",
                                 position=position)
        elif char in closing:
            if not stack or stack[-1][0] != closing[char]:
                raise QueryError(text, f"this {char!r} closes nothing; remove it or add the "
                                 f"matching {closing[char]!r}", position=position)
            stack.pop()
    if quote is not None:
        raise QueryError(text, 'this quote is never closed; add the closing "',
                         position=quote)
    if stack:
        char, position = stack[-1]
        pair = {"(": ")", "[": "]", "{": "}"}[char]
        raise QueryError(text, f"this {char!r} is never closed; add {pair!r}",
                         position=position)

def _unbalanced_quotes(text: str) -> str:
    """The query with its ``"`` made spaces when they cannot pair up and the query uses them as
    punctuation: an odd number of them, none right after a field name (``title:"a b`` stays an
    error). Pasted text mixes quotation marks (``"Северный поток»``, ``«Nord Stream"``, a
    trailing ``?"``): its words are searched.

    >>> _unbalanced_quotes('"Северный поток» что это'), _unbalanced_quotes('"a b" c')
    (' Северный поток» что это', '"a b" c')
    """
    if text.count('"') % 2 == 0 or any(m.group(1) in (*FIELDS, *_ALIASES)
                                       for m in _FIELD_QUOTE.finditer(text)):
        return text  # `title:"a b` is syntax: its missing quote stays an error
    return text.replace('"', " ")


def _unbalanced_brackets(text: str) -> str:
    """The query with brackets that pair with nothing made spaces when the query is plain words:
    pasted text (``the company (founded in``, ``[1] Brexit``) is searched. A query with
    operators (``(a OR b``), a field (``title:(``) or a range (``published:[``) keeps its
    brackets, so their mistakes stay errors.

    >>> _unbalanced_brackets('Apple (AAPL shares fell'), _unbalanced_brackets('(a OR b')
    ('Apple  AAPL shares fell', '(a OR b')
    """
    unpaired = _unpaired_brackets(text)
    if (not unpaired or any(word in _OPERATORS for word in text.split())
            or any(m.group(1) in (*FIELDS, *_ALIASES) or "_" in m.group(1)
                   for m in _FIELD_PREFIX.finditer(text))):
        return text
    words = "".join(" " if position in unpaired else char for position, char in enumerate(text))
    return words if any(char.isalnum() for char in words) else text


def _unpaired_brackets(text: str) -> set[int]:
    """Positions of the brackets outside quotes that close nothing or are never closed."""
    closing = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int]] = []
    unpaired: set[int] = set()
    in_quote = False
    for position, char in enumerate(text):
        if char == '"':
            in_quote = not in_quote
        elif in_quote:
            continue
        elif char in "([{":
            stack.append((char, position))
        elif char in closing:
            if stack and stack[-1][0] == closing[char]:
                stack.pop()
            else:
                unpaired.add(position)
    return unpaired | {position for _, position in stack}


_FIELD_PREFIX = re.compile(r"(?<![\w.@/:-])(\w+):")
_FIELD_QUOTE = re.compile(r'(?<![\w.@/:-])(\w+):\s*=?"')


def _natural_punctuation(text: str, schema: Schema | None) -> str:
    """The query with punctuation that is not syntax made spaces, offsets unchanged.

    Refuses the mistakes a lenient reading would hide: a field name with nothing after it
    (``title:``), a misspelt field (``autor:Гребенюк``).

    >>> from searchlib.store.schema import build_schema
    >>> _natural_punctuation('Brexit: what next? "Северный поток"?', build_schema())
    'Brexit  what next  "Северный поток" '
    >>> _natural_punctuation('defen?e title:  Brexit ="a b"', build_schema())
    'defen?e   title:Brexit "=a b"'
    """
    text = _QUESTION_MARKS.sub(lambda m: " " * len(m.group(0)), text.translate(_SPACES))
    text = _EXACT_PHRASE.sub('"=', text)  # `="a b"` is `"=a b"`: the phrase as written
    for phrase in re.finditer(r'"([^"]*)"', text):
        inner = phrase.group(1).lstrip()
        if "=" in inner[1:]:
            raise QueryError(text, "= inside a phrase: to match the words of a phrase as "
                             'written, put = first ("=a b" or ="a b")',
                             position=phrase.start(1) + phrase.group(1).index("=", 1))
    blanked = _outside_quotes(text)
    known = set(FIELDS) | set(_ALIASES) | set(schema.names() if schema else ())
    chars = list(text)
    for match in _COLON.finditer(blanked):
        name, start, colon = match.group(1), match.start(1), match.end(1)
        rest = text[colon + 1:]
        value = rest.lstrip(" ")
        if name in known:
            if not value or value[0] == ")":
                raise QueryError(text, f"{name}: has nothing after it; write {name}:word or "
                                 f'{name}:"a phrase" (or leave out the colon)', position=start)
            gap = len(rest) - len(value)  # `title:  Brexit` -> `  title:Brexit`
            chars[start:colon + 1 + gap] = [" "] * gap + list(name + ":")
            continue
        close = difflib.get_close_matches(name.lower(), [*FIELDS, *_ALIASES], n=1, cutoff=0.65)
        if value == rest and value and _FIELD_NAME.fullmatch(name) and close:
            raise QueryError(text, f"unknown field {name!r} (did you mean {close[0]}:?); fields "
                             f"are {', '.join(FIELDS)}; to search for the word itself, put a "
                             "space after the colon", position=start)
        chars[colon] = " "  # `Brexit: what happens next`: a colon in a sentence
    return "".join(chars)


def _check_date_ranges(text: str) -> None:
    """Refuse a ``published:[a TO b]`` range that ends before it starts."""
    for match in _DATE_RANGE.finditer(text):
        first, last = match.group(1), match.group(2)
        if _date_bound(first, end=False) > _date_bound(last, end=True):
            raise QueryError(text, f"this range ends before it starts ({first} is after "
                             f"{last}); write the earlier date first",
                             position=match.start())


_DATE_RANGE = re.compile(r"published:\s*[\[{]\s*(\d{4}(?:-\d{2}){0,2})\s+TO\s+"
                         r"(\d{4}(?:-\d{2}){0,2})\s*[\]}]")


def _date_bound(value: str, *, end: bool) -> tuple[int, int, int]:
    """(year, month, day) of the first (or, with `end`, a bound on the last) day of a date."""
    parts = [int(p) for p in value.split("-")]
    defaults = (12, 31) if end else (1, 1)
    year, month, day = (*parts, *defaults[len(parts) - 1:])
    return year, month, day


def _check_values(query: Query, text: str) -> None:
    """Refuse field values that can match nothing: ``lang:de`` (``lang:unknown`` is a value)."""
    for leaf in query.leaves():
        if getattr(leaf, "fieldname", None) == "lang" and isinstance(leaf, wq.Term):
            value = str(leaf.text).lower()
            if value not in {str(lang) for lang in LANGS} | {UNKNOWN_LANG}:
                raise QueryError(text, f"lang:{leaf.text} is not a language of the index; use "
                                 "lang:uk, lang:ru, lang:en or lang:unknown",
                                 position=text.find("lang:"))
            leaf.text = value


_TILDE = re.compile(r"(?<=\S)~([0-9]*)")
_CARET = re.compile(r"(?<=\S)\^([^\s)]*)")
_BOOST = re.compile(r"[0-9]*\.?[0-9]+")


def _check_numbers(text: str) -> None:
    """Refuse fuzzy distances over `MAX_FUZZY`, phrase distances over `MAX_SLOP` and boosts that
    are not a number in (0, `MAX_BOOST`], pointing at the number (Whoosh reads one digit of
    `~999` and silently keeps the rest as a word, and takes `^nan` as text)."""
    outside = _outside_quotes(text)
    for match in _TILDE.finditer(text):
        if outside[match.start()] != "~" and text[match.start() - 1] != '"':
            continue  # inside a phrase
        digits = match.group(1)
        value = int(digits) if digits else 1
        if text[match.start() - 1] == '"':
            if value > MAX_SLOP:
                raise QueryError(text, f"a phrase distance of {value} words; the largest is "
                                 f"{MAX_SLOP}", position=match.start(1))
        elif value > MAX_FUZZY:
            raise QueryError(text, f"a fuzzy edit distance of {digits}; at most {MAX_FUZZY} "
                             f"(word~ allows 1 edit, word~{MAX_FUZZY} allows {MAX_FUZZY})",
                             position=match.start())
    for match in _CARET.finditer(text):
        if outside[match.start()] != "^":
            continue
        value = match.group(1)
        if not (_BOOST.fullmatch(value) and 0 < float(value) <= MAX_BOOST):
            raise QueryError(text, f"boost ^{value} is not a number above 0 and at most "
                             f"{MAX_BOOST:g}, e.g. Канада^2", position=match.start())


def _printable(text: str) -> str:
    """The text with control characters shown as U+FFFD (same length, so carets line up)."""
    return "".join("\ufffd" if unicodedata.category(c) in _CONTROL else c for c in text)


def _outside_quotes(text: str) -> str:
    """The text with everything inside quotes blanked (offsets unchanged)."""
    return re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), text)


def _lone_stars_match_all(query: Query) -> Query:
    # `*` in a field would walk the postings of every word of the field; "every article" is what
    # it means, and `Every()` without a field is the cheap list of all documents.
    if isinstance(query, wq.Every) or (isinstance(query, wq.Wildcard)
                                       and not query.text.strip("*")):
        return _AllArticles()
    if isinstance(query, wq.FuzzyTerm):
        # Misspellings rarely touch the first letter (much faster); a `~/N` prefix longer than
        # the word is the whole word (Whoosh's automaton would index past its end).
        query.prefixlength = min(query.prefixlength or 1, len(query.text))
    if isinstance(query, wq.compound.CompoundQuery):
        query.subqueries = [_lone_stars_match_all(q) for q in query.subqueries]
    elif isinstance(query, wq.Not):
        query.query = _lone_stars_match_all(query.query)
    return query


def _expanding(query: Query) -> Iterator[Query]:
    if isinstance(query, wq.MultiTerm):
        yield query
    for child in query.children():
        yield from _expanding(child)


def check_expansions(query: Query, reader, text: str, *, limit: int = MAX_EXPANSIONS,
                     postings: int = MAX_POSTINGS) -> None:
    """Bound the work of running `query`: raise `QueryError` when its wildcards, prefixes,
    fuzzy terms and ranges would expand to more than `limit` words of the index in all, when a
    wildcard starts a word (it would read every word of the index), or when its words hold more
    than `postings` article entries together.

    Counting stops at each limit, so the check itself is bounded.
    """
    budget = limit
    entries = 0
    for multi in _expanding(query):
        if multi.fieldname not in reader.schema:
            continue
        pattern = getattr(multi, "text", "")
        if isinstance(multi, wq.Wildcard) and pattern[:1] in ("*", "?"):
            raise QueryError(text, f"{pattern!r} starts with a wildcard, which would read every "
                             "word of the index; put at least one letter before the * or ?")
        for btext in islice(multi._btexts(reader), budget + 1):
            budget -= 1
            entries += reader.doc_frequency(multi.fieldname, btext)
        if budget < 0:
            shown = pattern or str(multi)
            shown += "*" if isinstance(multi, wq.Prefix) else ""
            raise QueryError(text, f"{shown!r} matches more than {limit} different "
                             "words in the index; add letters before the * or narrow the range")
    for leaf in query.leaves():
        if isinstance(leaf, wq.Term | wq.Phrase) and leaf.fieldname in reader.schema:
            words = leaf.words if isinstance(leaf, wq.Phrase) else (leaf.text,)
            entries += sum(reader.doc_frequency(leaf.fieldname, word) for word in words)
        if entries > postings:
            raise QueryError(text, f"its words occur in more than {postings:,} article entries "
                             "together, too many to read for one query; use fewer or rarer "
                             "words, or filters")


def query_words(text: str) -> list[tuple[int, str]]:
    """The plain words of a query with their offsets: not operators, field names, wildcards,
    fuzzy terms or quoted phrases (used by did-you-mean)."""
    blanked = _outside_quotes(text)
    words: list[tuple[int, str]] = []
    for match in _WORD.finditer(blanked):
        word = match.group(0)
        end = match.end()
        if word in _OPERATORS or any(c in word for c in "*?") or text[end:end + 1] in (":", "~"):
            continue
        if match.start() and text[match.start() - 1] in ":~^":
            continue
        words.append((match.start(), word))
    return words
