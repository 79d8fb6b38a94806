"""Commands that query the index: search, timeline, top-terms, similar, suggest, export.
Each is one library call plus rendering."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from searchlib.cli._app import main
from searchlib.cli._options import (
    SORT_CHOICES,
    Progress,
    QueryCommand,
    _echo,
    _emit_json,
    _filters,
    _marked,
    _open_index,
    _output_format,
    _safe,
    _use_colour,
    _write_csv,
    collapse_option,
    csv_raw_option,
    filter_options,
    index_option,
    json_option,
    output_options,
)
from searchlib.errors import QueryError


@main.command(cls=QueryCommand)
@click.argument("query", required=False)
@index_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0, 10000),
              help="Hits per page; 0 prints the total (and facets) only.")
@click.option("--offset", type=click.IntRange(0), help="Skip this many hits.")
@click.option("--page", type=click.IntRange(1),
              help="Show page N of --limit hits (instead of --offset).")
@click.option("--sort", type=click.Choice(SORT_CHOICES), default="relevance", show_default=True,
              help="Order: relevance, date (oldest first) or -date (newest first).")
@click.option("--facets", is_flag=True, help="Count matches by source, language, author, tag.")
@collapse_option
@click.option("--explain", is_flag=True, help="Print the query as parsed, do not search.")
@click.option("--strict", is_flag=True,
              help="Never fill the page with articles that have only some of the words.")
@click.option("--queries-file", type=click.File("r", encoding="utf-8"),
              help="Run one query per line (or JSONL {\"id\", \"query\"}); prints JSON Lines.")
@filter_options
@json_option
def search(query: str | None, index_dir: Path, limit: int, offset: int | None,
           page: int | None, sort: str, facets: bool, no_collapse: bool, explain: bool,
           strict: bool, queries_file, as_json: bool, **filters: Any) -> None:
    """Search the index; ranked results with highlighted snippets.

    Example: searchlib search "Канада оборона" --limit 5
    """
    if (query is None) == (queries_file is None):
        raise click.UsageError("give either QUERY or --queries-file, not both or neither")
    if page is not None and offset is not None:
        raise click.UsageError("--page and --offset cannot be used together")
    from searchlib.query import SearchOptions

    options = SearchOptions(
        limit=limit, offset=(page - 1) * limit if page else offset or 0, sort=sort,
        facets=facets, collapse=not no_collapse, relax=not strict).updated(**filters)
    store = _open_index(index_dir)
    if explain and query is not None:
        parsed = store.explain(query)
        if as_json:
            _emit_json({"query": query, "parsed": parsed})
        else:
            _echo(parsed)
        return
    if queries_file is not None:
        options = options.updated(suggest=False)  # batch runs: no did-you-mean lookups
        for query_id, text in _read_queries(queries_file):
            record: dict[str, Any] = {"query_id": query_id}
            try:
                record.update(store.search(text, options).to_json() if text.strip() else
                              {"query": text, "total": 0, "hits": []})
            except QueryError as err:
                record.update({"query": text, "error": str(err), "total": 0, "hits": []})
            _emit_json(record)
            sys.stdout.flush()
        return
    results = store.search(query, options)
    if as_json:
        _emit_json(results.to_json())
        return
    _render_results(results)


def _read_queries(lines) -> Iterator[tuple[str, str]]:
    """(query id, query) per input line, one for every line: a JSONL record's "id" or else the
    line number, and an empty query for a blank line (its answer is an empty result)."""
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if line.startswith("{"):
            try:
                record = json.loads(line)
                found = record.get("id")
                yield str(number) if found is None else str(found), record["query"]
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                raise click.UsageError(f"queries file line {number}: not a JSON object with "
                                       f"a \"query\" ({err})") from None
        else:
            yield str(number), line


def _render_results(results) -> None:
    colour = _use_colour()
    _echo(_results_header(results))
    partial_shown = False
    for rank, hit in enumerate(results.hits, results.offset + 1):
        if hit.partial and not partial_shown:
            if results.total:
                _echo("\n  -- articles with only some of the words --")
            partial_shown = True
        meta = " · ".join(part for part in (
            str(hit.lang) if hit.lang else None,
            hit.source,
            hit.published.date().isoformat() if hit.published else None,
            f"id {hit.id}",
            f"+{hit.duplicates} near-duplicate{'s' if hit.duplicates > 1 else ''}"
            if hit.duplicates and results.collapsed else None,
        ) if part)
        # Article text is made safe before our own colour codes are added.
        title = click.style(_safe(hit.title), bold=True) if colour else _safe(hit.title)
        click.echo(f"\n{rank:>3}. {title}")
        _echo(f"     {meta}")
        if hit.url:
            _echo(f"     {hit.url}")
        before, after = ("\x1b[1;33m", "\x1b[0m") if colour else ("[", "]")
        click.echo(f"     {_marked(hit.snippet.text, hit.snippet.highlights, before, after)}")
    if results.suggestion:
        _echo(f"\nDid you mean: {results.suggestion}")
    for name, counts in results.facets.items():
        if counts:
            _echo(f"\n{name}: " + ", ".join(f"{value} {n}" for value, n in counts.items()))


def _results_header(results) -> str:
    """`showing 11-20 of 416 results for 'query'`; says so when only partial matches follow."""
    full = sum(1 for hit in results.hits if not hit.partial)
    plural = "s" if results.total != 1 else ""
    if full:
        return (f"showing {results.offset + 1}-{results.offset + full} of {results.total} "
                f"result{plural} for {results.query!r}")
    if results.hits:
        if results.total:  # the page starts past the full matches
            return (f"{results.total} result{plural} for {results.query!r}; showing articles "
                    "with only some of the words")
        return (f"no article has all the words of {results.query!r}; showing articles with "
                "some of them")
    if results.total and results.offset >= results.total:
        return f"{results.total} result{plural} for {results.query!r}; none past {results.total}"
    return f"{results.total} result{plural} for {results.query!r}"


@main.command(cls=QueryCommand)
@click.argument("query")
@index_option
@click.option("--by", type=click.Choice(("lang", "source", "tag", "author")),
              help="Also count the matches per language, source, tag or author.")
@collapse_option
@filter_options
@output_options
@csv_raw_option
def count(query: str, index_dir: Path, by: str | None, no_collapse: bool, as_json: bool,
          as_csv: bool, csv_raw: bool, **filters: Any) -> None:
    """Print how many articles match (and, with --by, how they split); nothing else.

    Example: searchlib count "Канада OR Canada" --since 2025-01-01 --by lang
    """
    fmt = _output_format(as_json, as_csv)
    result = _open_index(index_dir).count(query, by=by, collapse=not no_collapse,
                                          filters=_filters(filters))
    if fmt == "json":
        _emit_json(result.to_json())
    elif fmt == "csv":
        _write_csv([by or "query", "count"], [[value, n] for value, n in result.counts.items()]
                   if by else [[query, result.total]], raw=csv_raw)
    else:
        click.echo(result.total)
        for value, n in result.counts.items():
            _echo(f"{value}\t{n}")


@main.command(cls=QueryCommand)
@click.argument("query")
@index_option
@click.option("--by", type=click.Choice(("day", "week", "month")), default="month",
              show_default=True, help="Bucket size.")
@click.option("--normalize", is_flag=True,
              help="Also give each bucket's share of all articles (same filters).")
@click.option("--split", type=click.Choice(("lang", "source")),
              help="Also count each bucket's matches per language or per source.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save a bar chart (.png, .svg or .pdf; needs matplotlib).")
@collapse_option
@filter_options
@output_options
@csv_raw_option
def timeline(query: str, index_dir: Path, by: str, normalize: bool, split: str | None,
             plot_path: Path | None, no_collapse: bool, as_json: bool, as_csv: bool,
             csv_raw: bool,
             **filters: Any) -> None:
    """Count matching articles per day, week or month; a chart, JSON, CSV or an image.

    With --since/--until the buckets cover that whole range (weeks start on --since).

    Example: searchlib timeline "Канада OR Canada" --by week --split lang --plot canada.png
    """
    fmt = _output_format(as_json, as_csv)
    store = _open_index(index_dir)
    result = store.timeline(query, by=by, normalize=normalize, collapse=not no_collapse,
                            split=split, filters=_filters(filters))
    if plot_path is not None:
        store.plot_timeline(result, plot_path)
        click.echo(f"plot saved to {plot_path}", err=True)
    if fmt == "json":
        _emit_json(result.to_json())
    elif fmt == "csv":
        _write_csv(["start", "end", "count", "total", "share", *result.series],
                   ([b.start.isoformat(), b.end.isoformat(), b.count, b.total, b.share,
                     *(b.split.get(value, 0) for value in result.series)]
                    for b in result.buckets), raw=csv_raw)
    else:
        _render_timeline(result)


SPLIT_COLUMNS = 6
"""Series shown as columns in the terminal chart (the rest summed as "other")."""
FOLD_ZERO_DAYS = 3
"""Runs of at least this many days without a match are one line in the terminal chart."""


def _render_timeline(result) -> None:
    span = f", {result.buckets[0].start} .. {result.buckets[-1].end}" if result.buckets else ""
    _echo(f"{result.matches} matching article{'s' if result.matches != 1 else ''} "
               f"for {result.query!r} per {result.by}{span}"
               + ("" if result.collapsed else " (near-duplicates counted)"))
    if result.undated:
        _echo(f"({result.undated} without a date left out)")
    columns = list(result.series[:SPLIT_COLUMNS])
    other = len(result.series) > SPLIT_COLUMNS
    values = [b.share or 0.0 for b in result.buckets] if result.normalized else \
        [b.count for b in result.buckets]
    top = max(values, default=0) or 1
    label = {"day": 10, "week": 10, "month": 7}[result.by]
    widths = [max(len(v), 4) + 2 for v in columns]
    if columns:
        _echo(f"{'':<10} {'all':>6}" + "".join(
            f"{v:>{w}}" for v, w in zip(columns, widths, strict=True))
            + (f"{'other':>7}" if other else ""))
    zeros: list = []

    def fold() -> None:
        if len(zeros) >= FOLD_ZERO_DAYS:
            _echo(f"{'...':<10} {0:>6}  ({len(zeros)} days without a match, "
                       f"{zeros[0].start} .. {zeros[-1].start})")
        else:
            for bucket in zeros:
                _echo(f"{bucket.start.isoformat():<10} {0:>6}")
        zeros.clear()

    for bucket, value in zip(result.buckets, values, strict=True):
        if result.by == "day" and bucket.count == 0:
            zeros.append(bucket)
            continue
        fold()
        bar = "█" * round(40 * value / top)
        split = "".join(f"{bucket.split.get(v, 0):>{w}}"
                        for v, w in zip(columns, widths, strict=True))
        if other:
            split += f"{bucket.count - sum(bucket.split.get(v, 0) for v in columns):>7}"
        share = f" {100 * bucket.share:5.1f}% of {bucket.total}" if result.normalized else ""
        _echo(f"{bucket.start.isoformat()[:label]:<10} {bucket.count:>6}{split}{share} "
                   f"{bar}")
    fold()


@main.command("top-terms", cls=QueryCommand)
@click.argument("query")
@index_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500),
              help="Words per language.")
@collapse_option
@filter_options
@output_options
@csv_raw_option
def top_terms(query: str, index_dir: Path, limit: int, no_collapse: bool, as_json: bool,
              as_csv: bool, csv_raw: bool, **filters: Any) -> None:
    """Words that distinguish the matching articles from the rest, per language.

    Example: searchlib top-terms "Канада" --limit 15
    """
    fmt = _output_format(as_json, as_csv)
    result = _open_index(index_dir).top_terms(query, limit=limit, collapse=not no_collapse,
                                               filters=_filters(filters))
    if fmt == "json":
        _emit_json(result.to_json())
    elif fmt == "csv":
        _write_csv(["lang", "word", "term", "articles", "matching", "share", "background",
                    "score"],
                   ([lang, t.word, t.term, t.articles, result.matches[lang], round(t.share, 4),
                     round(t.background, 4), round(t.score, 2)]
                    for lang, terms in result.terms.items() for t in terms), raw=csv_raw)
    else:
        if not result.terms:
            _echo(f"no articles match {query!r}")
        for lang, terms in result.terms.items():
            _echo(f"{lang}: {result.matches[lang]} matching articles, each word counted in all "
                  f"of them (candidate words from the best {result.sampled[lang]})")
            for term in terms:
                _echo(f"  {term.word:<24} {term.articles:>5}  {100 * term.share:5.1f}% vs "
                           f"{100 * term.background:5.1f}%")


@main.command()
@click.argument("article_id", metavar="ID")
@index_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="At most this many articles.")
@output_options
@csv_raw_option
def similar(article_id: str, index_dir: Path, limit: int, as_json: bool, as_csv: bool,
            csv_raw: bool) -> None:
    """Articles similar to one: its other-language versions, reprints, then related articles.

    Example: searchlib similar 3f2a9c0e1b7d4a55 --json
    """
    fmt = _output_format(as_json, as_csv)
    result = _open_index(index_dir).similar(article_id, limit=limit)
    if fmt == "json":
        _emit_json(result.to_json())
    elif fmt == "csv":
        _write_csv(["id", "reason", "score", "lang", "source", "published", "title", "url"],
                   ([a.id, a.reason, round(a.score, 4), a.lang, a.source,
                     a.published.isoformat() if a.published else None, a.title, a.url]
                    for a in result.articles), raw=csv_raw)
    else:
        _echo(f"similar to {result.title!r} (id {result.id}):")
        for a in result.articles:
            date = a.published.date().isoformat() if a.published else "-"
            _echo(f"  {a.reason:<11} {a.lang or '-':<2} {date}  {a.title}  (id {a.id})")


@main.command(cls=QueryCommand)
@click.argument("query")
@index_option
@json_option
def suggest(query: str, index_dir: Path, as_json: bool) -> None:
    """Did you mean: correct misspelt words of a query from the words the index holds.

    Example: searchlib suggest "Зеленьский санкции"
    """
    result = _open_index(index_dir).suggest(query)
    if as_json:
        _emit_json(result.to_json())
    elif result.suggestion:
        _echo(result.suggestion)
    else:
        _echo(f"no correction for {query!r}", err=True)


@main.command(cls=QueryCommand)
@click.argument("query")
@index_option
@click.option("--format", "fmt", type=click.Choice(("jsonl", "csv")),
              help="JSON Lines (first line: provenance; the default) or CSV.")
@click.option("--json", "as_json", is_flag=True, help="The same as --format jsonl.")
@click.option("--csv", "as_csv", is_flag=True, help="The same as --format csv.")
@click.option("--fields", help="Comma-separated fields (default: id,published,lang,source,"
                               "title,url,authors,tags,text,group,duplicates,path; also "
                               "modified,lead,canonical_url,duplicate_of).")
@click.option("--sort", type=click.Choice(SORT_CHOICES), default="date", show_default=True,
              help="Order: date (oldest first), -date (newest first) or relevance.")
@click.option("--provenance", "provenance_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the provenance record to this JSON file.")
@csv_raw_option
@collapse_option
@filter_options
def export(query: str, index_dir: Path, fmt: str | None, as_json: bool, as_csv: bool,
           fields: str | None, sort: str, provenance_path: Path | None, csv_raw: bool,
           no_collapse: bool,
           **filters: Any) -> None:
    """Stream every matching article (no cap) as JSON Lines or CSV, with provenance.

    In CSV, a text cell starting with = + - @ (a formula to a spreadsheet) gets a leading '
    unless --csv-raw.

    Example: searchlib export "Канада OR Canada" --format csv --fields id,published,title > out.csv
    """
    fmt = _export_format(fmt, as_json, as_csv)
    chosen = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    result = _open_index(index_dir).export(query, fields=chosen, sort=sort,
                                           collapse=not no_collapse, filters=_filters(filters))
    provenance = result.provenance.to_json()
    if provenance_path is not None:
        provenance_path.write_text(json.dumps(provenance, ensure_ascii=False, indent=2) + "\n",
                                   encoding="utf-8")
    # Progress only when the rows go to a file or a pipe, not to the same terminal.
    with result, Progress("Exporting", total=result.total,
                          shown=not sys.stdout.isatty()) as progress:
        rows = progress.counted(result.rows())
        if fmt == "jsonl":
            _emit_json({"provenance": provenance})
            for row in rows:
                _emit_json(row)
                sys.stdout.flush()
        else:
            if provenance_path is None:
                click.echo("provenance: " + json.dumps(provenance, ensure_ascii=False), err=True)
            names = list(result.provenance.fields)
            _write_csv(names, ([row[name] for name in names] for row in rows),
                       raw=csv_raw)
    click.echo(progress.summary(f"exported {result.total} article"
                                f"{'s' if result.total != 1 else ''}"), err=True)


def _export_format(fmt: str | None, as_json: bool, as_csv: bool) -> str:
    """--format, or its short forms --json / --csv; two different ones are a usage error."""
    given = {name: value for name, value in (("--format " + (fmt or ""), fmt),
                                             ("--json", "jsonl" if as_json else None),
                                             ("--csv", "csv" if as_csv else None)) if value}
    if len(set(given.values())) > 1:
        raise click.UsageError(f"{' and '.join(given)} cannot be used together; choose one")
    return next(iter(given.values()), "jsonl")
