"""Collection: `searchlib/web` needs the ``serve`` extra; without it its modules are not
collected as doctests (tests/web skips with a reason instead)."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("fastapi") else ["searchlib/web"]
