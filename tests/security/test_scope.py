"""Issue 13 item 3: scope is checked on a record's stored place AND its new place, on every table, by the
web forms/API and by import; a record outside the scope answers exactly as a missing one.

yanlou is data entry for 阎楼镇 371521101; 阿城镇 371521103 is outside its scope."""

from __future__ import annotations

from typing import Any

from tests.conftest import web_client
from tests.security.conftest import current, db_state, one_in, workbook
from wangdi.registry.schema import TABLE_MAP

THC = "371521101-C220"  # 阎楼镇卫生院, inside yanlou's scope
OTHER = "371521103"  # 阿城镇


def _other_staff(url: str) -> dict[str, Any]:
    inst = one_in(url, "institution", "division_code", OTHER)
    return current(url, "staff", institution_code=inst["code"])[0]


def _row(table: str, rec: dict[str, Any]) -> list[Any]:
    return [rec[f.name] if not isinstance(rec[f.name], bool) else ("是" if rec[f.name] else "否")
            for f in TABLE_MAP[table].fields]


def test_api_cannot_pull_another_townships_staff_into_scope(sec_app: Any, sec_db: str) -> None:
    staff = _other_staff(sec_db)
    c = web_client(sec_app, "yanlou")
    before = db_state(sec_db)
    wrong = c.put(f"/api/v1/staff/{staff['staff_code']}", json={"version": 1, "values": {"institution_code": THC}})
    missing = c.put("/api/v1/staff/NO-SUCH-PERSON", json={"version": 1, "values": {"institution_code": THC}})
    assert wrong.status_code == missing.status_code == 404, wrong.text  # failed before: 409 with current_version
    e1, e2 = wrong.json()["error"], missing.json()["error"]
    assert e1["code"] == e2["code"] == "record-not-found" and e1["message"] == e2["message"]
    assert "version" not in str(e1["details"]) and "yanlou" not in e1["message"]
    right = c.put(f"/api/v1/staff/{staff['staff_code']}", json={"version": staff["row_id"],
                                                               "values": {"institution_code": THC}})
    assert right.status_code == 404 and right.json()["error"] == {**e1, "details": right.json()["error"]["details"]}
    assert db_state(sec_db) == before
    assert current(sec_db, "staff", staff_code=staff["staff_code"])[0]["institution_code"] == staff["institution_code"]


def test_api_cannot_move_an_institution_out_of_scope(sec_app: Any, sec_db: str) -> None:
    c = web_client(sec_app, "yanlou")
    d = c.get(f"/api/v1/institutions/{THC}").json()["institution"]
    r = c.put(f"/api/v1/institutions/{THC}", json={"version": d["version"], "values": {"division_code": OTHER + "001"}})
    assert r.status_code == 404 and r.json()["error"]["code"] == "record-not-found"
    assert current(sec_db, "institution", code=THC)[0]["division_code"] == d["division_code"]


def _upload(app: Any, user: str, sheets: dict[str, list[list[Any]]]) -> dict[str, Any]:
    r = web_client(app, user).post("/api/v1/imports", files={"file": ("one.xlsx", workbook(sheets))})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_upload_cannot_pull_another_townships_staff_into_scope(sec_app: Any, sec_db: str) -> None:
    staff = _other_staff(sec_db)
    moved = dict(staff, institution_code=THC)
    res = _upload(sec_app, "yanlou", {"人员": [TABLE_MAP["staff"].columns, _row("staff", moved)]})
    assert not res["valid"]  # failed before: only the new place was checked
    err = res["report"]["errors"][0]
    assert err["slug"] == "out-of-scope" and err["row"] == 2 and err["sheet"] == "人员"


def test_upload_training_of_another_townships_staff_is_refused(sec_app: Any, sec_db: str) -> None:
    staff = _other_staff(sec_db)
    rows = [TABLE_MAP["training"].columns, ["SEC-T1", staff["staff_code"], "急救", "2025-03-02", "2025-03-03", 8, "否"]]
    res = _upload(sec_app, "yanlou", {"培训": rows})
    assert not res["valid"]  # failed before: training had no scope check at all
    assert res["report"]["errors"][0]["slug"] == "out-of-scope"
    mine = current(sec_db, "staff", institution_code=THC)[0]
    ok = _upload(sec_app, "yanlou", {"培训": [rows[0], ["SEC-T2", mine["staff_code"], *rows[1][2:]]]})
    assert ok["valid"], ok["report_text"]


def test_upload_cannot_take_over_an_out_of_scope_record_key(sec_app: Any, sec_db: str) -> None:
    inst = one_in(sec_db, "institution", "division_code", OTHER)
    mine = current(sec_db, "institution", code=THC)[0]["division_code"]
    moved = dict(inst, division_code=mine, manager_code=THC if inst["type_code"] == "D600" else None)
    res = _upload(sec_app, "yanlou", {"机构": [TABLE_MAP["institution"].columns, _row("institution", moved)]})
    assert not res["valid"] and {e["slug"] for e in res["report"]["errors"]} == {"out-of-scope"}
