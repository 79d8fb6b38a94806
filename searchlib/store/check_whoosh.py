"""Check that exactly one installed distribution provides the `whoosh` package.

Whoosh forks (Whoosh, whoosh-reloaded, whoosh3, whoosh-ng, ...) all install into the same
`whoosh/` folder and silently overwrite each other. searchlib is tested on whoosh-reloaded 2.7.5
only. Run `python -m searchlib.store.check_whoosh`; exit 1 names the clashing distributions.
"""

from __future__ import annotations

import sys
from importlib import metadata

from searchlib.errors import ConfigError

__all__ = ["whoosh_distributions", "check_whoosh"]

EXPECTED = ("Whoosh-Reloaded", "2.7.5")


def whoosh_distributions() -> list[tuple[str, str]]:
    """(name, version) of every installed distribution that ships the top-level `whoosh`."""
    return sorted(
        (dist.metadata["Name"], dist.version)
        for dist in metadata.distributions()
        if "whoosh" in (dist.read_text("top_level.txt") or "").split()
        or any(str(f).startswith("whoosh/") for f in dist.files or ())
    )


def check_whoosh() -> None:
    """Raise `ConfigError` unless whoosh-reloaded 2.7.5 is the only `whoosh` installed."""
    found = whoosh_distributions()
    normalised = [(name.lower().replace("_", "-"), version) for name, version in found]
    if normalised != [(EXPECTED[0].lower(), EXPECTED[1])]:
        listed = ", ".join(f"{name} {version}" for name, version in found) or "none"
        raise ConfigError(
            f"expected exactly one whoosh distribution, {EXPECTED[0]} {EXPECTED[1]}; found: "
            f"{listed}. Uninstall the others and reinstall searchlib."
        )


if __name__ == "__main__":
    try:
        check_whoosh()
    except ConfigError as err:
        sys.exit(f"Error: {err}")
    print(f"ok: {EXPECTED[0]} {EXPECTED[1]} is the only whoosh installed")
