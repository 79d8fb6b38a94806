"""Every CLI command has help with an example and appears in the README's reference."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from searchlib.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = main.list_commands(click.Context(main))


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout, f"{name} --help has no example"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_the_readme(name: str) -> None:
    assert f"`{name}" in README, f"README.md does not document `searchlib {name}`"


def test_readme_quickstart_has_exactly_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert quickstart.count("```bash") == 2


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_a_description(name: str) -> None:
    command = main.get_command(click.Context(main), name)
    assert command is not None
    missing = [param.opts[0] for param in command.params
               if isinstance(param, click.Option) and not (param.help or "").strip()]
    assert not missing, f"searchlib {name}: options without a description: {missing}"
