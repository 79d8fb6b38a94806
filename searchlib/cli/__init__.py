"""The command-line interface: one function per command, each one library call plus rendering.

Results go to stdout; progress, warnings and per-file reasons go to stderr. Errors are mapped to
exit codes in one place (`SearchlibGroup.invoke` in `_app`). Commands live in `maintain` (index,
extract, show, stats, delete, rebuild, check, optimize) and `research` (search, timeline,
top-terms, similar, suggest, export); `_app` imports each module when one of its commands runs.
"""

from searchlib.cli._app import main

__all__ = ["main"]
