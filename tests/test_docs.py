"""Docs match the code: every CLI command is documented, and the registry doc is generated from the schema."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from wangdi.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> dict[str, list[str]]:
    """Every command of the one CLI app (sub-apps included) with its long option names."""
    import typer.main

    root = typer.main.get_command(app)
    found: dict[str, list[str]] = {}

    def walk(cmd: Any, prefix: str) -> None:
        options = [o for p in cmd.params for o in p.opts if o.startswith("--")]
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click); `plan` also runs by itself
            for name, sub in cmd.commands.items():
                walk(sub, f"{prefix} {name}".strip())
            if not (prefix and options):
                return
        found[prefix] = options

    walk(root, "")
    return found


def _doc_rows() -> dict[str, str]:
    """docs/cli.md's command table: the command a row starts with → the whole row."""
    rows: dict[str, str] = {}
    for line in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `wangdi ([a-z][a-z -]*?)(?= [A-Z\[(-]|`)", line)
        if m:
            rows[m.group(1).strip()] = line
    return rows


def test_the_app_knows_every_command() -> None:
    assert len(_commands()) >= 27, sorted(_commands())


def test_every_command_and_option_is_in_docs_cli_md() -> None:
    rows = _doc_rows()
    for name, options in _commands().items():
        assert name in rows, f"wangdi {name} is missing from docs/cli.md's command table"
        for opt in options:
            if opt != "--help":
                assert re.search(rf"{re.escape(opt)}(?![a-z-])", rows[name]), f"wangdi {name} {opt} is not in docs/cli.md"


def test_docs_cli_md_lists_no_command_that_does_not_exist() -> None:
    commands = _commands()
    for name in _doc_rows():
        assert name in commands, f"docs/cli.md lists wangdi {name}, which the CLI does not have"


def test_help_works_for_every_command() -> None:
    from typer.testing import CliRunner

    for name in _commands():
        result = CliRunner().invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_registry_doc_is_generated_from_the_schema() -> None:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (ROOT / "docs" / "registry.md").read_text(encoding="utf-8") == mod.render(), \
        "docs/registry.md is stale: run python scripts/gen_docs.py"
