"""Issue 13 item 8: approval locks live in the registry (every writer, the CLI import too), respect the
period; one import at a time; web writes wait for an import instead of failing."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import web_client
from tests.security.conftest import current, db_state, one_in, workbook
from wangdi import api
from wangdi.errors import WangdiError
from wangdi.registry import locks, store
from wangdi.registry.schema import TABLE_MAP
from wangdi.web import approvals, auth

TOWN = "371521105"  # approved for 2025 in this module


def _beds_workbook(tmp_path: Path, url: str) -> tuple[Path, dict[str, Any]]:
    inst = one_in(url, "institution", "division_code", TOWN)
    row = [inst[f.name] for f in TABLE_MAP["institution"].fields]
    row[TABLE_MAP["institution"].columns.index("beds")] = (inst["beds"] or 0) + 7
    p = tmp_path / "beds.xlsx"
    p.write_bytes(workbook({"机构": [TABLE_MAP["institution"].columns,
                                   [("是" if v else "否") if isinstance(v, bool) else v for v in row]]}))
    return p, inst


@pytest.fixture(scope="module")
def approved(sec_db: str) -> str:
    admin = auth.User("admin", "administrator", "")
    for action in ("submit", "approve"):
        approvals.transition(TOWN, "2025", action, admin, url=sec_db)
    return TOWN


def test_cli_import_refuses_an_approved_township(approved: str, sec_db: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path, inst = _beds_workbook(tmp_path, sec_db)
    before = db_state(sec_db)
    monkeypatch.setenv("WANGDI_DATABASE_URL", sec_db)
    from wangdi.cli import app

    out = CliRunner().invoke(app, ["import", str(path), "--effective", "2025-12-31"])
    assert out.exit_code == 1 and "locked" in out.output and "审核锁定" in out.output  # failed before: written
    assert db_state(sec_db) == before
    assert current(sec_db, "institution", code=inst["code"])[0]["beds"] == inst["beds"]


def test_locks_respect_the_period(approved: str, sec_db: str, tmp_path: Path) -> None:
    path, _ = _beds_workbook(tmp_path, sec_db)
    in_period = api.import_census(path, url=sec_db, dry_run=True, effective=date(2025, 6, 30))
    assert [e.slug for e in in_period.report.errors] == ["locked"]
    later = api.import_census(path, url=sec_db, dry_run=True, effective=date(2026, 3, 1))
    assert later.report.valid, later.report.text()  # 2026 is not approved: the 2025 lock does not hold it


def test_second_import_is_refused_at_once(sec_db: str, tmp_path: Path) -> None:
    path, _ = _beds_workbook(tmp_path, sec_db)
    eng = store.init_db(sec_db)
    with locks.import_lock(eng, sec_db):  # another import is running
        t0 = time.monotonic()
        with pytest.raises(WangdiError) as e:
            api.import_census(path, url=sec_db, effective=date(2026, 3, 1))
        assert time.monotonic() - t0 < 5
    assert e.value.code == "import-in-progress" and e.value.zh.startswith("另一个导入正在进行")


def _hold_write_lock(url: str, seconds: float, started: threading.Event) -> None:
    """What an import does to SQLite: take the write lock, write, hold it a while, commit."""
    con = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO audit (at, actor, action, table_name, entity_key) "
                "VALUES (CURRENT_TIMESTAMP, 'importer', 'test', 'x', 'x')")
    started.set()
    time.sleep(seconds)
    con.execute("COMMIT")
    con.close()


def test_web_write_waits_for_an_import_instead_of_failing(sec_app: Any, sec_db: str) -> None:
    if not sec_db.startswith("sqlite"):
        pytest.skip("SQLite's single writer lock")
    c = web_client(sec_app, "yanlou")
    d = c.get("/api/v1/institutions/371521101-C220").json()["institution"]
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(sec_db, 1.5, started))
    holder.start()
    started.wait(5)
    r = c.put("/api/v1/institutions/371521101-C220", json={"version": d["version"],
                                                          "values": {"beds": (d["beds"] or 0) + 1}})
    holder.join()
    assert r.status_code == 200, r.text  # failed before: HTTP 500 (database is locked)


def test_busy_beyond_the_timeout_is_a_clear_error(sec_app: Any, sec_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the busy timeout a web write answers 503 "数据库正忙…请稍后重试", not a 500 internal error."""
    if not sec_db.startswith("sqlite"):
        pytest.skip("SQLite's single writer lock")
    c = web_client(sec_app, "yanlou")
    d = c.get("/api/v1/institutions/371521101-C220").json()["institution"]
    monkeypatch.setenv("WANGDI_BUSY_TIMEOUT_S", "0.2")
    store._ENGINES.pop(sec_db).dispose()
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(sec_db, 1.5, started))
    holder.start()
    started.wait(5)
    try:
        r = c.put("/api/v1/institutions/371521101-C220", json={"version": d["version"], "values": {"beds": 1}})
    finally:
        holder.join()
        store._ENGINES.pop(sec_db).dispose()
    assert r.status_code == 503 and r.json()["error"]["code"] == "database-busy", r.text
    assert "请稍后重试" in r.json()["error"]["message"]
