"""Cold start (issue 7): a command imports only what it needs. Checked on the modules a fresh
process has loaded, never on timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from searchlib.api import Index
from searchlib.model import Article

ROOT = Path(__file__).resolve().parents[1]

# Loaded by `searchlib search` before this work; none of them is needed to search.
NOT_FOR_SEARCH = (
    "searchlib.ingest", "searchlib.cli.maintain", "trafilatura", "lxml", "warcio", "htmldate",
    "charset_normalizer", "dateutil", "courlan", "matplotlib", "importlib.metadata", "asyncio",
    "urllib.request", "http.client", "email", "ssl", "whoosh.lang.morph_en",
    "searchlib.query.exporting", "searchlib.query.timelines", "searchlib.query.similarity",
    "searchlib.query.terms", "searchlib.store.check", "whoosh.qparser.dateparse",
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True, cwd=ROOT)


def test_search_loads_only_what_it_needs(sample_index_dir: Path) -> None:
    code = (
        "import json, sys\n"
        "from searchlib.cli import main\n"
        f"main(['search', 'Канада', '--index', {str(sample_index_dir)!r}, '--json'],"
        " standalone_mode=False)\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = _run(code)
    assert json.loads(result.stdout)["total"] >= 1
    loaded = set(json.loads(result.stderr.strip().splitlines()[-1]))
    assert "whoosh" in loaded and "searchlib.cli.research" in loaded
    assert sorted(m for m in NOT_FOR_SEARCH if m in loaded) == []


def test_ukrainian_search_loads_no_russian_dictionary(tmp_path: Path) -> None:
    # The query is analysed in every language (issue 18) and the snippet's names are
    # lemmatised, but a word with a letter Russian lacks (і ї є ґ) is unknown to Russian without
    # loading its dictionary or word list (each 16-30 ms of a cold search).
    index = Index.create(tmp_path / "index")
    index.add([Article(id="a", title="Новини", text="У Києві Ксантірадзе відкрив виставку.")])
    code = (
        "from searchlib.api import Index\n"
        "from searchlib.analysis import morph\n"
        f"hit = Index.open({str(tmp_path / 'index')!r}).search('Київ').hits[0]\n"
        "print(hit.snippet.text, [str(lang) for lang in morph._MORPH],\n"
        "      [str(lang) for lang in morph._WORDS])\n"
    )
    assert _run(code).stdout.split() == [
        "У", "Києві", "Ксантірадзе", "відкрив", "виставку…", "['uk']", "[]"]


def test_query_and_store_names_load_their_modules_on_first_use() -> None:
    code = (
        "import sys, searchlib.query, searchlib.store\n"
        "lazy = ('exporting', 'timelines', 'similarity', 'suggestions', 'terms')\n"
        "print(sorted(m for m in lazy if 'searchlib.query.' + m in sys.modules))\n"
        "import searchlib.query.timelines, searchlib.query.exporting\n"
        "from searchlib.query import (Export, Suggestion, Timeline, TopTerms, export, similar,\n"
        "                             suggest, timeline, top_terms)\n"
        "from searchlib.store import CheckReport\n"
        "print(all(callable(f) and f.__module__.startswith('searchlib.query.')\n"
        "          for f in (export, similar, suggest, timeline, top_terms)),\n"
        "      Timeline.__module__, CheckReport.__name__)\n"
    )
    assert _run(code).stdout.split("\n")[:2] == [
        "[]", "True searchlib.query.timelines CheckReport"]


def test_help_loads_no_library() -> None:
    code = (
        "import sys\n"
        "from searchlib.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(','.join(m for m in ('whoosh', 'pymorphy3', 'searchlib.api') if m in sys.modules),"
        " file=sys.stderr)\n"
    )
    result = _run(code)
    assert "search" in result.stdout and "optimize" in result.stdout
    assert result.stderr.strip() == ""


def test_skipped_whoosh_imports_still_work_when_used() -> None:
    # The stand-ins of `_imports` forward to the real modules, which import normally later.
    code = (
        "from searchlib.cli._imports import import_library\n"
        "import_library()\n"
        "import asyncio, urllib.request\n"
        "from whoosh import compat\n"
        "from whoosh.query import terms\n"
        "from cached_property import cached_property\n"
        "class Lazy:\n"
        "    @cached_property\n"
        "    def value(self):\n"
        "        return 42\n"
        "    @cached_property\n"
        "    async def later(self):\n"
        "        return 7\n"
        "async def both():\n"
        "    return await Lazy().later\n"
        "print(Lazy().value, asyncio.run(both()), callable(urllib.request.urlopen),\n"
        "      compat.urlretrieve.__name__, 'running' in terms.variations('run'))\n"
    )
    assert _run(code).stdout.split() == ["42", "7", "True", "urlretrieve", "True"]


def test_every_command_is_found_in_its_module() -> None:
    from searchlib.cli import main
    from searchlib.cli._app import _COMMAND_MODULES

    listed = main.list_commands(click.Context(main))
    commands = {name: main.get_command(click.Context(main), name) for name in listed}
    assert all(isinstance(command, click.Command) for command in commands.values())
    assert set(main.commands) == set(_COMMAND_MODULES) == set(listed)
