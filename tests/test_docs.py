"""Docs match the code: every CLI command is documented, and the registry doc is generated from the schema."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from wangdi.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    names: list[str] = []
    for cmd in app.registered_commands:
        names.append(cmd.name or (cmd.callback.__name__ if cmd.callback else ""))
    for group in app.registered_groups:
        for cmd in group.typer_instance.registered_commands:  # type: ignore[union-attr]
            names.append(f"{group.name} {cmd.name or (cmd.callback.__name__ if cmd.callback else '')}")
    return [n.replace("_", "-") for n in names]


def test_every_command_is_in_docs_cli_md() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in _commands():
        assert re.search(rf"`wangdi {name}[ `]", text), f"wangdi {name} is missing from docs/cli.md"


def test_registry_doc_is_generated_from_the_schema() -> None:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (ROOT / "docs" / "registry.md").read_text(encoding="utf-8") == mod.render(), \
        "docs/registry.md is stale: run python scripts/gen_docs.py"
