"""Options and helpers shared by the commands: defined once, reused through decorators."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from searchlib.errors import OptionError
from searchlib.model import Failure, Lang, parse_datetime

DEFAULT_INDEX = "./index"
# What article text may not send to a terminal: C0 controls but tab and newline (ESC starts the
# sequences that clear the screen, set the window title or make OSC 8 links), DEL, C1 controls
# (0x9b is a one-byte CSI), and the bidi embeddings, overrides and isolates that reorder what
# follows them (the "RTL override" spoof).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# OWASP "CSV injection": a cell starting with these is a formula to a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    r"""`text` fit for a terminal: unsafe controls dropped, lone surrogates as U+FFFD.

    >>> _safe("a\x1b[2Jb\u202ec\td")
    'a[2Jbc\td'
    """
    return _SURROGATE.sub("\ufffd", _UNSAFE.sub("", text))


def _marked(text: str, highlights: Iterable[tuple[int, int]], before: str, after: str) -> str:
    """`text` with each highlighted range between `before` and `after`, the text made safe."""
    parts: list[str] = []
    cursor = 0
    for start, end in highlights:
        parts.extend((_safe(text[cursor:start]), before, _safe(text[start:end]), after))
        cursor = end
    parts.append(_safe(text[cursor:]))
    return "".join(parts)


def _echo(text: str = "", *, err: bool = False) -> None:
    """Print text for a person (not JSON or CSV), made safe for the terminal."""
    click.echo(_safe(text), err=err)


class QueryCommand(click.Command):
    """A command whose QUERY may start with ``-`` (``searchlib search -Канада``: every article
    without Канада). A word starting with one ``-`` that is no option of the command, nor the
    value of the option before it, is query text, as if given after ``--``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" not in args:
            options = [p for p in self.params if isinstance(p, click.Option)]
            names = {name for p in options for name in (*p.opts, *p.secondary_opts)}
            valued = {name for p in options if not p.is_flag and not p.count
                      for name in p.opts}
            kept: list[str] = []
            query: list[str] = []
            for arg in args:
                if (len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and arg not in names
                        and not (kept and kept[-1] in valued)):
                    query.append(arg)
                else:
                    kept.append(arg)
            if query:
                args = [*kept, "--", *query]
        return super().parse_args(ctx, args)


class IndexLocationType(click.ParamType):
    """An index folder (a `Path`) or the URL of an OpenSearch index (an `OpenSearchAddress`,
    with the ``--ca-certs`` file given before or after ``--index``)."""

    name = "DIR|URL"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        from searchlib.store.opensearch.address import OpenSearchAddress, is_url, parse_address

        if isinstance(value, Path | OpenSearchAddress):
            return value
        if not is_url(value):
            return Path(value)
        try:
            return parse_address(value, ca_certs=ctx.meta.get(_CA_CERTS) if ctx else None)
        except OptionError as err:
            self.fail(str(err), param, ctx)


_CA_CERTS = "searchlib.ca_certs"


def _remember_ca_certs(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta[_CA_CERTS] = value


def index_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--index DIR|URL`` (env SEARCHLIB_INDEX) and ``--ca-certs FILE`` for an https URL."""
    func = click.option(
        "--index", "index_dir", type=IndexLocationType(), envvar="SEARCHLIB_INDEX",
        default=DEFAULT_INDEX, show_default=True,
        help="Index folder, or the URL of an OpenSearch index (http(s)://HOST:PORT/NAME; "
             "credentials from SEARCHLIB_OPENSEARCH_USER/_PASSWORD or _API_KEY) "
             "(env SEARCHLIB_INDEX).",
    )(func)
    return click.option(
        "--ca-certs", type=click.Path(exists=True, dir_okay=False), is_eager=True,
        expose_value=False, callback=_remember_ca_certs, envvar="SEARCHLIB_OPENSEARCH_CA_CERTS",
        help="CA certificates (PEM) to verify an https OpenSearch URL.",
    )(func)


def shard_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--shards`` and ``--replicas`` of a new OpenSearch index (`cluster_options`)."""
    func = click.option("--replicas", type=click.IntRange(0), metavar="N",
                        help="OpenSearch URL only: replicas of a new index (default: env "
                             "SEARCHLIB_OPENSEARCH_REPLICAS, else 1, 0 on one node).")(func)
    return click.option("--shards", type=click.IntRange(1), metavar="N",
                        help="OpenSearch URL only: primary shards of a new index (default: "
                             "env SEARCHLIB_OPENSEARCH_SHARDS, else 1; rebuild: the old "
                             "index's).")(func)


def cluster_options(index_dir: Any, shards: int | None,
                    replicas: int | None) -> dict[str, int]:
    """The keyword arguments `--shards` / `--replicas` give; a usage error for a folder."""
    from searchlib.store.opensearch.address import is_url

    given = {k: v for k, v in (("shards", shards), ("replicas", replicas)) if v is not None}
    if given and not is_url(index_dir):
        raise click.UsageError("--shards and --replicas apply to an OpenSearch index "
                               "(--index http://HOST:PORT/NAME), not to a folder")
    return given


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
        click.option("--lang", type=click.Choice([*(lang.value for lang in Lang), "unknown"]),
                     help="Only articles in this language (unknown: not detected)."),
        click.option("--source", help="Only articles from this outlet: its domain or a source "
                     "name, any case (e.g. kyivindependent.com, \"Kyiv Independent\")."),
        click.option("--author", help="Only articles by this author (a name or a word of it, "
                                      "in any script)."),
        click.option("--tag", help="Only articles with this tag."),
        click.option("--since", callback=_parse_date, help="Published on or after (YYYY-MM-DD)."),
        click.option("--until", callback=_parse_date, help="Published on or before (YYYY-MM-DD)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _open_index(index_dir: Any):
    """The index at a folder (Whoosh) or an `OpenSearchAddress` (OpenSearch)."""
    from searchlib.engine import open_index

    return open_index(index_dir)


def _emit_json(record: Any) -> None:
    # JSON escapes control characters; a lone surrogate (from an index written before they
    # were refused) is escaped too, so it cannot make the output unwritable as UTF-8.
    text = json.dumps(record, ensure_ascii=False)
    click.echo(_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _use_colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


class Progress:
    """Progress of long work on stderr, only when stderr is a terminal: the records done, their
    rate and, when the total is known, the share done and the time left. Redrawn at most 5
    times a second on one line, erased at the end.

    `read(n)` takes the bytes of input read (`read_articles(progress=...)`: the total is the
    inputs' size) and `records(items)` counts the items passing through; `done(n)` counts
    records when the total is a number of records.
    """

    def __init__(self, label: str, *, total: int | None = None, unit: str = "articles",
                 shown: bool = True) -> None:
        self.label = label
        self.unit = unit
        self.total = total
        self.count = 0
        self.started = time.monotonic()
        self._position = 0
        self._drawn = 0.0
        self._shown = shown and sys.stderr.isatty()
        self._ticker: threading.Thread | None = None
        self._phase = ""
        self._stop = threading.Event()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def read(self, amount: int) -> None:
        self._position += amount
        self._draw()

    def done(self, amount: int) -> None:
        self.count += amount
        self._position += amount
        self._draw()

    def records(self, items: Iterable[Any]) -> Iterator[Any]:
        """`items`, counted as they pass (the progress itself comes from `read`)."""
        for item in items:
            self.count += 1
            yield item
        self._then("all read, writing the index")

    def counted(self, items: Iterable[Any]) -> Iterator[Any]:
        """`items`, each one a record done of `total` records."""
        for item in items:
            yield item
            self.done(1)

    def __enter__(self) -> Progress:
        if self.total is None:  # no measure of the work: show time passing
            self._then("")
        return self

    def _then(self, phase: str) -> None:
        """From now on, show `phase` and the time passing (the work left is not measured)."""
        self._phase = phase
        if self._shown and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._shown and self._drawn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._draw()

    def _draw(self) -> None:
        now = time.monotonic()
        if not self._shown or now - self._drawn < 0.2:
            return
        self._drawn = now
        elapsed = now - self.started
        parts = [f"{self.label}:"]
        if self.count:
            parts.append(f"{self.count:,} {self.unit}, {self.count / elapsed:,.0f}/s")
        if self._phase:
            parts.append(self._phase)
        elif self.total:
            share = min(1.0, self._position / self.total)
            parts.append(f"{100 * share:.0f}%")
            if 0 < share < 1:
                parts.append(f"ETA {_duration(elapsed * (1 - share) / share)}")
        parts.append(_duration(elapsed))
        sys.stderr.write("\r\x1b[K" + "  ".join(parts))
        sys.stderr.flush()

    def summary(self, what: str, count: int | None = None) -> str:
        """`what`, then the elapsed time and the rate: "indexed 40 ... in 2.1 s (19 articles/s)"."""
        count = self.count if count is None else count
        elapsed = self.elapsed
        rate = f", {count / elapsed:,.0f} {self.unit}/s" if elapsed > 0 and count else ""
        return f"{what} in {_duration(elapsed)}{rate}"


def _duration(seconds: float) -> str:
    """Seconds for a person.

    >>> _duration(3.21), _duration(75), _duration(3725)
    ('3.2 s', '1:15', '1:02:05')
    """
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _report_failures(failures: tuple[Failure, ...]) -> None:
    for failure in failures:
        kind = "skipped" if failure.skipped else "failed"
        _echo(f"{kind}: {failure}", err=True)


def wait_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--wait", default=0.0, type=click.FloatRange(0), metavar="SECONDS",
        help="Wait up to SECONDS for another writer to finish (default: fail at once).",
    )(func)


def _filters(values: dict[str, Any]):
    from searchlib.query import Filters

    return Filters.of(**values)


def _write_csv(header: list[str], rows: Iterator[list[Any]], *, raw: bool = False) -> None:
    """CSV on stdout; text cells a spreadsheet would run as a formula get a leading ``'``
    unless `raw`."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        cells = ["; ".join(map(str, v)) if isinstance(v, list | tuple) else
                 "" if v is None else v for v in row]
        if not raw:
            cells = [f"'{c}" if isinstance(c, str) and c.startswith(_FORMULA_START) else c
                     for c in cells]
        writer.writerow([_SURROGATE.sub("\ufffd", c) if isinstance(c, str) else c
                         for c in cells])


def csv_raw_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--csv-raw", is_flag=True,
        help="CSV: keep cells starting with = + - @ as they are (by default they get a leading "
             "' so a spreadsheet shows them as text instead of running them).",
    )(func)
