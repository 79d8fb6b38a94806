"""The command-line interface: one function per command, each one library call plus rendering.

Results go to stdout; progress, warnings and per-file reasons go to stderr. Errors are mapped to
exit codes in one place (`SearchlibGroup.invoke` in `_app`).
"""

from searchlib.cli import maintain, research
from searchlib.cli._app import main

__all__ = ["main", "maintain", "research"]
