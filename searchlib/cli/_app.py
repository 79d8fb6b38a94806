"""The click group: the `searchlib` command and the one place errors become exit codes.

Usage and query errors exit 2, other searchlib errors exit 1, with a one-line message on stderr.
"""

from __future__ import annotations

from typing import Any

import click

from searchlib.errors import QueryError, SearchlibError


class SearchlibGroup(click.Group):
    """Maps searchlib errors to a one-line message on stderr and a meaningful exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QueryError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(2)
        except SearchlibError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(1)


@click.group(cls=SearchlibGroup)
@click.version_option(package_name="searchlib")
def main() -> None:
    """Full-text search for news archives in Ukrainian, Russian and English."""
