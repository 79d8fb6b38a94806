"""Commands that read files or change the index: index, extract, show, stats, delete, rebuild,
check, optimize. Each is one library call plus rendering."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from searchlib.cli._app import main
from searchlib.cli._options import (
    Progress,
    _echo,
    _emit_json,
    _marked,
    _open_index,
    _report_failures,
    _safe,
    _use_colour,
    cluster_options,
    index_option,
    json_option,
    shard_options,
    wait_option,
)
from searchlib.errors import ArticleNotFound
from searchlib.model import Article, Lang


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1),
              help="Articles per commit.")
@click.option("--wait", default=0.0, type=click.FloatRange(0), help="Seconds to wait for a lock.")
@click.option("--source", help="The outlet of every article read (overrides the files' own).")
@click.option("--lang", type=click.Choice([lang.value for lang in Lang]),
              help="The language of every article read (overrides detection).")
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="Add this tag to every article read (repeatable).")
@click.option("--url-prefix", metavar="URL",
              help="HTML pages without a URL get URL + their path under the folder given.")
@shard_options
@json_option
def index(paths: tuple[Path, ...], index_dir: Path, batch_size: int, wait: float,
          source: str | None, lang: str | None, tags: tuple[str, ...], url_prefix: str | None,
          shards: int | None, replicas: int | None, as_json: bool) -> None:
    """Index HTML, .html.gz, WARC and JSONL files or folders.

    \b
    JSON Lines (.jsonl, .jsonl.gz): one UTF-8 JSON object per line. Required: "text".
    Optional: "id", "title", "lead", "url", "canonical_url", "source", "lang" (uk|ru|en;
    else detected), "published"/"modified" (ISO 8601, e.g. 2025-08-24T10:30:00+03:00, or
    RFC 2822; no zone = UTC), "authors", "tags" (lists of strings), "alternates" ([[lang,
    url], ...]). Schema: searchlib/ingest/data/article.schema.json; README "Input formats".

    Example: searchlib index pages/ --source zn.ua --lang uk --tag war --url-prefix https://zn.ua/
    """
    from searchlib.api import Index
    from searchlib.ingest import IngestOptions, input_size, read_articles

    options = IngestOptions(source=source, lang=Lang(lang) if lang else None, tags=tags,
                            url_prefix=url_prefix)
    cluster = cluster_options(index_dir, shards, replicas)
    with Progress("Indexing", total=input_size(paths), unit="records") as progress:
        report = Index.add_to(index_dir, progress.records(
            read_articles(paths, options=options, progress=progress.read)),
            batch_size=batch_size, wait=wait, **cluster)
    _report_failures(report.failures)
    summary = progress.summary(f"indexed {report.indexed}, updated {report.updated}, "
                               f"skipped {report.skipped}, failed {len(report.failed)}")
    if report.indexed_by:
        summary += f"; {report.indexed_by}"
    if as_json:
        _emit_json(report.to_json())
        click.echo(summary, err=True)
    else:
        click.echo(summary)
    if report.failed and not (report.indexed or report.updated or report.unchanged):
        sys.exit(1)



@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="JSON Lines (the only output; accepted as everywhere else).")
def extract(paths: tuple[Path, ...], as_json: bool) -> None:
    """Extract articles from files without indexing them; prints JSON Lines.

    Example: searchlib extract samples/uk/ > articles.jsonl
    """
    from searchlib.ingest import find_inputs, read_articles

    extracted = failed = 0
    for item in read_articles(find_inputs(paths)):
        if isinstance(item, Article):
            extracted += 1
            _emit_json(item.to_json())
            sys.stdout.flush()
        else:
            failed += not item.skipped
            _report_failures((item,))
    if failed and not extracted:
        sys.exit(1)


@main.command()
@click.argument("article_id", metavar="ID")
@index_option
@click.option("--query", metavar="QUERY",
              help="Mark the words of this search query (as its snippets mark them).")
@json_option
def show(article_id: str, index_dir: Path, query: str | None, as_json: bool) -> None:
    """Show one indexed article in full.

    Example: searchlib show 3f2a9c0e1b7d4a55 --query "Північний потік"
    """
    index = _open_index(index_dir)
    article = index.get(article_id)
    if article is None:
        raise ArticleNotFound(str(index_dir), article_id)
    marks = index.highlight(article_id, query) if query else None
    if as_json:
        _emit_json({**article.to_json(), **({"highlights": marks.to_json()} if marks else {})})
        return
    colour = _use_colour()
    before, after = ("\x1b[1;33m", "\x1b[0m") if colour else ("[", "]")

    def marked(name: str, text: str) -> str:
        return _marked(text, getattr(marks, name), before, after) if marks else _safe(text)

    title = marked("title", article.title)  # made safe before our own colour codes
    click.echo(click.style(title, bold=True) if colour else title)
    for label, value in (
        ("id", article.id),
        ("url", article.canonical_url or article.url),
        ("published", article.published.isoformat() if article.published else None),
        ("language", article.lang),
        ("source", article.source),
        ("authors", ", ".join(article.authors)),
        ("tags", ", ".join(article.tags)),
    ):
        if value:
            _echo(f"{label + ':':<11}{value}")
    _echo("")
    if article.lead:
        click.echo(marked("lead", article.lead) + "\n")
    click.echo(marked("text", article.text))


STATS_SOURCES = 10
"""Sources listed by `stats` without --all."""


@main.command()
@index_option
@click.option("--all", "show_all", is_flag=True,
              help="List every source, and the text size per language (reads every article).")
@json_option
def stats(index_dir: Path, show_all: bool, as_json: bool) -> None:
    """Show how many articles the index holds: by language, source and year, undated, size.

    Example: searchlib stats --all
    """
    info = _open_index(index_dir).stats(text_sizes=show_all)
    if as_json:
        _emit_json(info.to_json())
        return
    _echo(f"index:      {info.path}")
    _echo(f"articles:   {info.articles} ({info.undated} without a date)")
    _echo("languages:  " + ", ".join(f"{k} {v}" for k, v in info.by_lang.items()))
    sources = list(info.by_source.items())
    shown = sources if show_all else sources[:STATS_SOURCES]
    more = len(sources) - len(shown)
    _echo(f"sources:    {len(sources)}: " + ", ".join(f"{k} {v}" for k, v in shown)
               + (f" ... and {more} more (--all lists them)" if more else ""))
    if info.by_year:
        _echo("per year:   " + ", ".join(f"{k} {v}" for k, v in info.by_year.items()))
    if info.first_published:
        _echo(f"published:  {info.first_published.date()} .. {info.last_published.date()}")
    if info.chars_by_lang is not None:
        _echo("text:       " + ", ".join(f"{k} {v / 1e6:.1f}M characters"
                                              for k, v in info.chars_by_lang.items()))
    _echo(f"size:       {info.size_bytes / 1e6:.1f} MB in {info.segments} segment(s)")
    _echo(f"analyzer:   {info.analyzer}; {info.schema}; build {info.build_id}")


@main.command()
@click.argument("article_ids", nargs=-1, metavar="[ID]...")
@click.option("--url", "urls", multiple=True, metavar="URL",
              help="Delete the article with this URL or canonical URL (repeatable).")
@index_option
@wait_option
@json_option
def delete(article_ids: tuple[str, ...], urls: tuple[str, ...], index_dir: Path, wait: float,
           as_json: bool) -> None:
    """Delete articles by id or by URL; exits 1 when nothing matched.

    Example: searchlib delete 3f2a9c0e1b7d4a55 --url https://news.example/story
    """
    if not article_ids and not urls:
        raise click.UsageError("give at least one ID or --url URL")
    report = _open_index(index_dir).remove(article_ids, urls=urls, wait=wait)
    for missing in report.not_found:
        _echo(f"not found: {missing}", err=True)
    if as_json:
        _emit_json(report.to_json())
    else:
        click.echo(f"deleted {len(report.deleted)}, not found {len(report.not_found)}")
    if not report.deleted:
        sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1),
              help="Articles per commit.")
@click.option("--allow-shrink", is_flag=True,
              help="Swap in the new index even when it holds fewer articles than the old one.")
@wait_option
@shard_options
@json_option
def rebuild(paths: tuple[Path, ...], index_dir: Path, batch_size: int, allow_shrink: bool,
            wait: float, shards: int | None, replicas: int | None, as_json: bool) -> None:
    """Rebuild the index aside and swap it in atomically; searches keep working meanwhile.

    Without PATH, re-indexes the index's own stored articles (after a searchlib upgrade);
    with PATH..., the new index holds exactly the articles read from those files. Refuses
    (index unchanged, exit 1) a missing PATH, inputs holding no article, and a new index
    smaller than the old one unless --allow-shrink. An OpenSearch index is rebuilt into a new
    index (--shards, --replicas: e.g. to reshard), then its alias moves in one step.

    Example: searchlib rebuild --index ./index
    """
    from searchlib.api import Index

    cluster = cluster_options(index_dir, shards, replicas)
    if not paths:
        with Progress("Rebuilding", total=_articles_in(index_dir)) as progress:
            report = Index.rebuild(index_dir, batch_size=batch_size, wait=wait,
                                   allow_shrink=allow_shrink, progress=progress.done, **cluster)
    else:
        from searchlib.ingest import find_inputs, input_size, read_articles

        inputs = find_inputs(paths, must_exist=True)
        with Progress("Rebuilding", total=input_size(inputs), unit="records") as progress:
            report = Index.rebuild(index_dir, progress.records(
                read_articles(inputs, progress=progress.read)), batch_size=batch_size,
                wait=wait, allow_shrink=allow_shrink, **cluster)
    _report_failures(report.report.failures)
    before = "unreadable" if report.previous_articles is None else report.previous_articles
    summary = progress.summary(
        f"rebuilt {report.path}: {report.articles} articles (before: {before}), "
        f"failed {len(report.report.failed)}, build {report.build_id}")
    if report.report.indexed_by:
        summary += f"; {report.report.indexed_by}"
    if as_json:
        _emit_json(report.to_json())
        click.echo(summary, err=True)
    else:
        click.echo(summary)


def _articles_in(index_dir: Path) -> int | None:
    """The articles of an index, for a progress bar; None when it cannot be opened."""
    from searchlib.api import Index
    from searchlib.errors import SearchlibError

    try:
        return len(Index.open(index_dir))
    except SearchlibError:
        return None  # rebuild says why (or repairs it)


@main.command()
@index_option
@json_option
def check(index_dir: Path, as_json: bool) -> None:
    """Verify the index (meta, segments, stored documents, counts); exits 1 on problems.

    Example: searchlib check --index ./index --json
    """
    from searchlib.api import Index

    with Progress("Checking") as progress:
        report = Index.check(index_dir)
    summary = progress.summary(f"checked {report.articles} articles", count=report.articles)
    if as_json:
        _emit_json(report.to_json())
        click.echo(summary, err=True)
    else:
        click.echo(f"index:      {report.path}")
        click.echo(f"articles:   {report.articles} ({report.documents} documents in "
                   f"{report.segments} segment(s))")
        click.echo(f"build:      {report.build_id}; {report.schema}; {report.analyzer}")
        for note in report.notes:
            _echo(f"note:       {note}")
        for problem in report.problems:
            _echo(f"problem:    {problem}")
        click.echo(("ok" if report.ok else f"{len(report.problems)} problem(s)") + "; " + summary)
    if not report.ok:
        sys.exit(1)


@main.command()
@index_option
@wait_option
@json_option
def optimize(index_dir: Path, wait: float, as_json: bool) -> None:
    """Merge the index into one segment: faster searches, deleted articles purged from disk.

    Example: searchlib optimize --index ./index
    """
    store = _open_index(index_dir)
    with Progress("Optimizing") as progress:
        report = store.optimize(wait=wait)
    summary = progress.summary(
        f"optimized: {report.articles} articles, segments {report.segments_before} -> "
        f"{report.segments_after}, size {report.size_before / 1e6:.1f} MB -> "
        f"{report.size_after / 1e6:.1f} MB", count=report.articles)
    if as_json:
        _emit_json(report.to_json())
        click.echo(summary, err=True)
    else:
        click.echo(summary)
