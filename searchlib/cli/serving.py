"""The `serve` command: the HTTP API and the search page over one index (extra ``serve``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from searchlib.cli._app import main
from searchlib.cli._options import index_option
from searchlib.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from searchlib.store.opensearch.address import OpenSearchAddress

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@main.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback: only this machine can connect).")
@click.option("--port", default=8750, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--allow-write", is_flag=True,
              help="Enable POST /api/articles and DELETE /api/articles/ID; needs a bearer "
                   "token in the environment variable SEARCHLIB_TOKEN.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds a request may take before it is answered with 504.")
@click.option("--cache-mb", default=64, show_default=True, type=click.IntRange(0, 65536),
              help="Memory for answers of repeated requests, dropped at every commit (0: off).")
@click.option("--workers", type=click.IntRange(1, 64), metavar="N",
              help="Library processes behind the one HTTP process, each opening the index "
                   "and running one call at a time from one queue (default: one per core, up "
                   "to 4; ~130 MB each; 1: threads of the HTTP process).")
@click.option("--access-log", is_flag=True, help="Log every request on stderr.")
def serve(index_dir: Path | OpenSearchAddress, host: str, port: int, allow_write: bool,
          timeout: float, cache_mb: int, workers: int | None, access_log: bool) -> None:
    """Serve the JSON API (/api/..., /docs) and the search page (/) until Ctrl-C.

    Example: searchlib serve --index ./index --port 8750  (or --index http://HOST:9200/NAME)
    """
    try:
        from searchlib import web
    except ImportError as err:
        raise ConfigError(f"searchlib serve needs the serve extra ({err.name} is missing): "
                          "pip install 'searchlib[serve]'") from err
    settings = web.WebSettings(index=index_dir, allow_write=allow_write,
                               token=os.environ.get(web.TOKEN_ENV), timeout=timeout,
                               cache_bytes=cache_mb * 1024 * 1024)
    sock = web.bind(host, port)
    if host not in _LOOPBACK:
        click.echo(f"warning: listening on {host}, not loopback: other machines can connect "
                   "(no TLS; put a reverse proxy in front)", err=True)
    from searchlib.api import Index

    try:
        exists = Index.exists(index_dir)
    except StoreError as err:  # a cluster that does not answer now may answer later
        click.echo(f"warning: {err}; requests get 503 until it answers", err=True)
    else:
        if not exists:
            click.echo(f"warning: no index at {index_dir} yet; requests get 503 until one "
                       "exists", err=True)
    # The URL goes to stdout (the command's one result, for scripts); the rest to stderr.
    click.echo(f"searchlib serving {index_dir} at {web.url_of(sock)} "
               f"({'writing on' if allow_write else 'read-only'}; Ctrl-C stops)")
    sys.stdout.flush()
    web.run(settings, sock, processes=workers or min(4, os.cpu_count() or 1),
            access_log=access_log)
    click.echo("stopped", err=True)
