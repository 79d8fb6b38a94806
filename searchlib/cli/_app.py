"""The click group: the `searchlib` command and the one place errors become exit codes.

Usage, query and option errors exit 2, other searchlib errors exit 1, with a one-line message
on stderr.
Each command's module is imported only when that command runs (or help lists it), so
`searchlib search` does not pay for the imports of `index` or `check` (cold start, issue 7).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from searchlib.errors import OptionError, QueryError, SearchlibError

_COMMAND_MODULES = {
    **dict.fromkeys(("index", "extract", "show", "stats", "delete", "rebuild", "check",
                     "optimize"), "searchlib.cli.maintain"),
    **dict.fromkeys(("search", "count", "timeline", "top-terms", "similar", "suggest", "export"),
                    "searchlib.cli.research"),
    "serve": "searchlib.cli.serving",
}
"""Command name -> the module whose `@main.command()` defines it."""


class SearchlibGroup(click.Group):
    """Loads a command's module on first use; maps searchlib errors to a one-line message on
    stderr and a meaningful exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(_COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMAND_MODULES:
            importlib.import_module(_COMMAND_MODULES[cmd_name])
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        from searchlib.cli._imports import import_library
        from searchlib.cli._options import _echo

        import_library()  # before any command: the library without Whoosh's unused imports
        try:
            return super().invoke(ctx)
        except (QueryError, OptionError) as err:
            _echo(f"Error: {err}", err=True)
            ctx.exit(2)
        except SearchlibError as err:
            _echo(f"Error: {err}", err=True)
            ctx.exit(1)


@click.group(cls=SearchlibGroup)
@click.version_option(package_name="searchlib")
def main() -> None:
    """Full-text search for news archives in Ukrainian, Russian and English."""
