"""The Whoosh schema of a searchlib index and the mapping between `Article` and stored fields.

Text is indexed once per language field (`title_uk`, `text_uk`, ...): an article fills only the
fields of its own language, so a query analysed for several languages scores each article by its
own language alone. `*_exact` fields hold surface forms for phrases and exact-form search;
`names` holds script-independent keys of capitalised words (`Zelenskyy` meets `Зеленський`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from whoosh import analysis, fields

from searchlib.analysis import build_analyzer, build_exact_analyzer, build_translit_analyzer
from searchlib.analysis.memo import JointAnalysis, MemoAnalyzer
from searchlib.analysis.tokenizers import TokenisedText
from searchlib.model import Article, Lang
from searchlib.text import domain_of

__all__ = [
    "SCHEMA_VERSION",
    "LANGS",
    "build_schema",
    "article_to_document",
    "document_to_article",
    "title_field",
    "text_field",
]

SCHEMA_VERSION = "searchlib-schema@7"
"""Bump when fields or the files' format change; an index with another version is refused.
@5: the outlet's domain beside the source name; @6: author name keys; @7: checksums in tables
of contents and segment files (`files.py`)."""

LANGS: tuple[Lang, ...] = (Lang.UK, Lang.RU, Lang.EN)
TITLE_BOOST = 2.5
"""Title terms count 2.5x body terms in BM25F (the title states what the story is about)."""


def title_field(lang: Lang) -> str:
    return f"title_{lang}"


def text_field(lang: Lang) -> str:
    return f"text_{lang}"


def build_schema() -> fields.Schema:
    """A fresh schema object; every index of this SCHEMA_VERSION has exactly these fields."""
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        url=fields.ID(stored=True),
        canonical_url=fields.ID(stored=True),
        title=fields.STORED(),
        lead=fields.STORED(),
        text=fields.STORED(),
        authors=fields.STORED(),
        tags=fields.STORED(),
        alternates=fields.STORED(),
        path=fields.STORED(),
        modified=fields.STORED(),
        content_hash=fields.ID(stored=True, sortable=True),
        lang=fields.ID(stored=True, sortable=True),
        # The outlet (issue 18): `source` is its name as the article gives it, `domain` the site
        # of its canonical URL (else its URL), `outlet` the key facets, counts and filters
        # group by: the domain, else the name lowercased. Names are indexed lowercased too.
        source=fields.ID(stored=True, sortable=True,
                         analyzer=analysis.IDAnalyzer(lowercase=True)),
        domain=fields.ID(stored=True),
        outlet=fields.ID(sortable=True),
        author=fields.KEYWORD(commas=True, lowercase=True, scorable=True),
        # Script-independent keys of each word of the authors' names: `author:Andrews`,
        # `author:"Oksana Hrebeniuk"` finds "Оксана Гребенюк" (`searchlib.text.translit`).
        author_keys=fields.TEXT(analyzer=build_translit_analyzer(), phrase=True),
        tag=fields.KEYWORD(commas=True, lowercase=True, scorable=True),
        published=fields.DATETIME(stored=True, sortable=True),
        # Near-duplicate groups (`searchlib.store.dedup`): group key column, sketch terms.
        dup_group=fields.ID(stored=True, sortable=True),
        dup_sketch=fields.KEYWORD(),
        dup_values=fields.STORED(),
        title_exact=fields.TEXT(analyzer=build_exact_analyzer(), phrase=True,
                                field_boost=TITLE_BOOST),
        text_exact=fields.TEXT(analyzer=build_exact_analyzer(), phrase=True),
        names=fields.TEXT(analyzer=build_translit_analyzer(), phrase=False),
    )
    for lang in LANGS:
        analyzer = build_analyzer(lang)
        schema.add(title_field(lang), fields.TEXT(analyzer=analyzer, phrase=True,
                                                  field_boost=TITLE_BOOST))
        schema.add(text_field(lang), fields.TEXT(analyzer=analyzer, phrase=True))
    return schema


def _naive_utc(value: datetime | None) -> datetime | None:
    # Whoosh's DATETIME compares naive datetimes; the index keeps UTC without tzinfo.
    return value.astimezone(UTC).replace(tzinfo=None) if value else None


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value else None


@cache
def _chains(lang: Lang) -> dict[str, MemoAnalyzer]:
    """The chains of the schema's exact, language and names fields, for `JointAnalysis`."""
    return {"exact": build_exact_analyzer(), "lang": build_analyzer(lang),
            "names": build_translit_analyzer()}


def article_to_document(article: Article, content_hash: str) -> dict[str, Any]:
    """The Whoosh document for an article (keyword arguments of `add_document`)."""
    body = TokenisedText("\n\n".join(part for part in (article.lead, article.text) if part))
    title = TokenisedText(article.title)
    lang = article.lang or Lang.EN
    # Each text is tokenised once, and its words analysed in one pass, for the three chains it
    # feeds (issue 24).
    joint = JointAnalysis(title, body, **_chains(lang))
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "lead": article.lead,
        "text": article.text,
        "authors": article.authors,
        "tags": article.tags,
        "alternates": article.alternates,
        "path": article.path,
        "modified": _naive_utc(article.modified),
        "content_hash": content_hash,
        "lang": str(article.lang) if article.lang else "",
        "title_exact": title,
        "text_exact": body,
        "names": joint.names_text(title, body),
        title_field(lang): title,
        text_field(lang): body,
    }
    domain = domain_of(article.canonical_url) or domain_of(article.url)
    optional = {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "domain": domain,
        "outlet": domain or (article.source or "").strip().lower() or None,
        "published": _naive_utc(article.published),
        "author": ",".join(a.replace(",", " ") for a in article.authors) or None,
        # Keys are made of capitalised words: a name written in lower case still gets them.
        "author_keys": "\n".join(a.title() for a in article.authors) or None,
        "tag": ",".join(t.replace(",", " ") for t in article.tags) or None,
    }
    doc.update({key: value for key, value in optional.items() if value})
    return doc


def document_to_article(stored: dict[str, Any]) -> Article:
    """Rebuild the `Article` from a document's stored fields."""
    lang = stored.get("lang")
    return Article(
        id=stored["id"],
        title=stored.get("title") or "",
        text=stored.get("text") or "",
        url=stored.get("url"),
        canonical_url=stored.get("canonical_url"),
        lead=stored.get("lead"),
        authors=tuple(stored.get("authors") or ()),
        published=_aware(stored.get("published")),
        modified=_aware(stored.get("modified")),
        lang=Lang(lang) if lang else None,
        source=stored.get("source"),
        tags=tuple(stored.get("tags") or ()),
        alternates=tuple(tuple(p) for p in stored.get("alternates") or ()),
        path=stored.get("path"),
    )
