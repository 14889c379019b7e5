"""Issue 13 item 9: the CLI prints user text as text: Rich markup in a path or name never crashes a command,
and an escape sequence in an audit entry is shown, not obeyed."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

from wangdi.registry import store
from wangdi.registry.tables import audit


def _main(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from wangdi.cli.core import main

    monkeypatch.setattr(sys, "argv", ["wangdi", *argv])
    with pytest.raises(SystemExit) as e:
        main()
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out + out.err


@pytest.mark.parametrize("argv", [["import", "/tmp/[/x]/none.xlsx"], ["import", "[bold]x[/bold][/]"],
                                  ["export", "--out", "/proc/[/x]/a.xlsx", "--format", "xlsx"],
                                  ["explain", "--run", "[/x]", "--rule", "r", "--entity", "e"],
                                  ["packs", "lint", "/tmp/[/x]"], ["regions", "find", "[/x]"]])
def test_markup_in_user_text_never_crashes(argv: list[str], db_url: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _main(argv, monkeypatch, capsys)
    assert "内部错误" not in out and "Traceback" not in out and "MarkupError" not in out, out  # before: crashed
    assert code in (0, 1, 2) and ("[/x]" in out or "[/]" in out or "x" in out)


def test_escape_sequences_in_audit_entries_are_shown_not_obeyed(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    with store.transaction(db_url) as conn:
        conn.execute(audit.insert().values(at=datetime(2026, 1, 1), actor="\x1b]0;pwned\x07", action="change",
                                           table_name="institution", entity_key="T1\x1b[2J",
                                           new=json.dumps({"name": "\x1b[31m红"})))
    code, out = _main(["audit"], monkeypatch, capsys)
    assert code == 0 and "\x1b" not in out and "\x07" not in out  # before: the terminal title was rewritten
    assert "\\x1b]0;pwned" in out and "\\x1b[2J" in out


def test_markup_in_a_username_is_printed_literally(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("WANGDI_PASSWORD", "password-123")
    code, out = _main(["users", "add", "[/x]ann", "--role", "viewer"], monkeypatch, capsys)
    assert code == 0 and "[/x]ann" in out, out
    code, out = _main(["users", "list"], monkeypatch, capsys)
    assert code == 0 and "[/x]ann" in out, out
