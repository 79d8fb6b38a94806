"""Options and helpers shared by the commands: defined once, reused through decorators."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from searchlib.model import Failure, Lang, parse_datetime

DEFAULT_INDEX = "./index"


def index_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
        envvar="SEARCHLIB_INDEX", default=DEFAULT_INDEX, show_default=True,
        help="Index folder (env SEARCHLIB_INDEX).",
    )(func)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


SORT_CHOICES = ("relevance", "date", "-date")


def collapse_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--no-collapse", is_flag=True,
        help="Keep near-duplicates (reprints); by default a group shows its earliest article.",
    )(func)


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--json and --csv (mutually exclusive: see `_output_format`)."""
    func = click.option("--csv", "as_csv", is_flag=True, help="Print CSV rows.")(func)
    return json_option(func)


def _output_format(as_json: bool, as_csv: bool) -> str:
    if as_json and as_csv:
        raise click.UsageError("--json and --csv cannot be used together; choose one")
    return "json" if as_json else "csv" if as_csv else "text"


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    try:
        return parse_datetime(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--lang", type=click.Choice([lang.value for lang in Lang]),
                     help="Only articles in this language."),
        click.option("--source", help="Only articles from this outlet (e.g. kyivindependent.com)."),
        click.option("--author", help="Only articles by this author."),
        click.option("--tag", help="Only articles with this tag."),
        click.option("--since", callback=_parse_date, help="Published on or after (YYYY-MM-DD)."),
        click.option("--until", callback=_parse_date, help="Published on or before (YYYY-MM-DD)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _open_index(index_dir: Path):
    from searchlib.api import Index

    return Index.open(index_dir)


def _emit_json(record: Any) -> None:
    click.echo(json.dumps(record, ensure_ascii=False))


def _use_colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr when stderr is a terminal; otherwise no callback."""
    if not sys.stderr.isatty() or total < 2:
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _report_failures(failures: tuple[Failure, ...]) -> None:
    for failure in failures:
        kind = "skipped" if failure.skipped else "failed"
        click.echo(f"{kind}: {failure}", err=True)


def wait_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--wait", default=0.0, type=click.FloatRange(0), metavar="SECONDS",
        help="Wait up to SECONDS for another writer to finish (default: fail at once).",
    )(func)


def _filters(values: dict[str, Any]):
    from searchlib.query import Filters

    return Filters.of(**values)


def _write_csv(header: list[str], rows: Iterator[list[Any]]) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["; ".join(map(str, v)) if isinstance(v, list | tuple) else
                         "" if v is None else v for v in row])
