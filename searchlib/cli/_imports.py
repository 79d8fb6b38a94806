"""Importing the library for a command without the modules Whoosh loads and never uses.

whoosh-reloaded imports three things at import time that a search never needs:
`whoosh.compat` imports `urllib.request` (http.client, email, ssl, socket) for a Python 2 era
`urlretrieve` nothing calls; `whoosh.reading` imports the `cached_property` package, which
imports `asyncio` for coroutine properties Whoosh does not have; `whoosh.query.terms` compiles
the large suffix-rule regular expressions of `whoosh.lang.morph_en` for the `Variations` query
we do not use. Together 0.06-0.1 s of CPU in a cold `searchlib search` (A/B medians, issue 7).

While `import_library` imports the library, small stand-ins take those modules' places in
`sys.modules`; they are removed right after, so a later import gets the real module. A stand-in
function forwards to the real one on first call, and any other attribute asked of a stand-in
imports the real module, so an import that does need one of them still works, only slower. Only
the CLI does this, because it owns its process: the library itself never touches `sys.modules`.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from collections.abc import Callable
from typing import Any


def _forward(module: str, name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


def _iscoroutinefunction(func: Any) -> bool:
    # asyncio's version also accepts functions marked by asyncio itself: none exist until
    # asyncio is imported.
    real = sys.modules.get("asyncio")
    if real is not None:
        return bool(real.iscoroutinefunction(func))
    return inspect.iscoroutinefunction(func)


class _StandIn(types.ModuleType):
    """A module whose other attributes come from the real module, imported on first use."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            if name.startswith("__"):  # the import system probing (__path__...): not a use
                raise AttributeError(name)
            del sys.modules[self.__name__]  # needed during the import: stop standing in
        return getattr(importlib.import_module(self.__name__), name)


_STAND_INS: dict[str, dict[str, Any]] = {
    "urllib.request": {"urlretrieve": _forward("urllib.request", "urlretrieve")},
    "asyncio": {"iscoroutinefunction": _iscoroutinefunction,
                "ensure_future": _forward("asyncio", "ensure_future")},
    "whoosh.lang.morph_en": {"variations": _forward("whoosh.lang.morph_en", "variations")},
}


def import_library() -> None:
    """Import `searchlib.api` (and with it Whoosh) without Whoosh's unused imports."""
    if "searchlib.api" in sys.modules:
        return
    placed: dict[str, _StandIn] = {}
    if "whoosh" not in sys.modules:  # once Whoosh is in, there is nothing left to save
        for name, attributes in _STAND_INS.items():
            if name not in sys.modules:
                placed[name] = _StandIn(name)
                placed[name].__dict__.update(attributes)
                sys.modules[name] = placed[name]
    try:
        importlib.import_module("searchlib.api")
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
