"""The JSON API: every endpoint, the one error shape, sessions, CSRF, version checks, approval, imports."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import WEB_PASSWORD, web_client
from wangdi.web import create_app

THC = "371521101-C220"  # 阎楼镇卫生院 (synthetic, named in the Yanggu plan)


@pytest.fixture(scope="module")
def app(web_db: str) -> Any:
    return create_app(web_db)


def error_of(r: Any) -> dict[str, Any]:
    body = r.json()
    assert body["ok"] is False and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["message"], "every error has a Chinese message"
    return body["error"]  # type: ignore[no-any-return]


def test_login_me_logout_and_cookie_flags(app: Any) -> None:
    c = web_client(app)
    r = c.post("/api/v1/session", json={"username": "yanlou", "password": WEB_PASSWORD})
    assert r.status_code == 200 and r.json()["scope_code"] == "371521101" and r.json()["role"] == "data_entry"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    assert c.get("/api/v1/me").json()["username"] == "yanlou"
    assert c.delete("/api/v1/session").status_code == 200
    assert error_of(c.get("/api/v1/me"))["code"] == "not-authenticated"


def test_wrong_password_then_rate_limited(app: Any) -> None:
    c = web_client(app)
    codes = [c.post("/api/v1/session", json={"username": "viewer", "password": "wrong-one"}).status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert error_of(c.post("/api/v1/session", json={"username": "viewer", "password": WEB_PASSWORD}))["code"] == \
        "too-many-attempts"
    app.state.limiter.reset("u:viewer", "ip:testclient")


def test_unauthenticated_and_unknown_routes_share_the_error_shape(app: Any) -> None:
    c = web_client(app)
    assert c.get("/api/v1/regions/371521").status_code == 401
    assert error_of(c.get("/api/v1/nope"))["code"] == "http-404"
    admin = web_client(app, "admin")
    r = admin.post("/api/v1/runs", json={"pack": "yanggu-2024"})
    assert r.status_code == 422 and error_of(r)["code"] == "validation-error"


def test_writes_need_the_csrf_token(app: Any) -> None:
    c = web_client(app, "yanlou")
    del c.headers["X-CSRF-Token"]
    r = c.put(f"/api/v1/institutions/{THC}", json={"version": 1, "values": {}})
    assert r.status_code == 403 and error_of(r)["code"] == "csrf-failed"


def test_packs_regions_overview_search(app: Any) -> None:
    c = web_client(app, "analyst")
    assert {p["id"] for p in c.get("/api/v1/packs").json()} >= {"yanggu-2024", "baoding-2023"}
    reg = c.get("/api/v1/regions/371521").json()
    assert reg["name"] == "阳谷县" and len(reg["children"]) == 18
    ov = c.get("/api/v1/regions/371521/overview").json()
    assert ov["pack"] == "yanggu-2024" and ov["run"]["region_code"] == "371521"
    assert ov["registry"]["institutions"] == 457 and ov["registry"]["synthetic"] is True
    labels = {t["label"] for t in ov["targets"]}
    assert "三星级以上村卫生室比例" in labels
    t = next(t for t in ov["targets"] if t["rule_id"] == "clinic_three_stars_rate")
    assert t["milestones"] and t["history"][-1]["observed"] == t["observed"]
    assert {r["code"] for r in ov["heatmap"]["rows"]} <= {c["code"] for c in reg["children"]}
    assert ov["ranking"] and all(0 <= (r["pass_pct"] or 0) <= 100 for r in ov["ranking"])
    hits = c.get("/api/v1/search", params={"q": "阎楼"}).json()
    assert any(i["code"] == THC for i in hits["institutions"])


def test_institution_page_data_quotes_clauses(app: Any) -> None:
    d = web_client(app, "yanlou").get(f"/api/v1/institutions/{THC}").json()
    assert d["institution"]["name"] == "阳谷县阎楼镇卫生院" and d["equipment"] and d["staff"]
    v = {x["rule_id"]: x for x in d["verdicts"]}
    assert "CT、DR、彩超" in v["thc_equipment_full"]["text"]
    assert d["history"] and d["approval"]["status"] in ("open", "submitted", "approved", "returned", "reopened")


def test_edit_with_version_check(app: Any) -> None:
    a, b = web_client(app, "yanlou"), web_client(app, "yanlou")
    v0 = a.get(f"/api/v1/institutions/{THC}").json()["institution"]["version"]
    beds = a.get(f"/api/v1/institutions/{THC}").json()["institution"]["beds"]
    ok = a.put(f"/api/v1/institutions/{THC}", json={"version": v0, "values": {"beds": beds + 3}})
    assert ok.status_code == 200, ok.text
    late = b.put(f"/api/v1/institutions/{THC}", json={"version": v0, "values": {"beds": 1}})
    assert late.status_code == 409 and error_of(late)["code"] == "edit-conflict"
    now = a.get(f"/api/v1/institutions/{THC}").json()["institution"]
    assert now["beds"] == beds + 3 and now["version"] == ok.json()["version"]  # nothing overwritten
    bad = a.put(f"/api/v1/institutions/{THC}", json={"version": now["version"], "values": {"beds": -2}})
    assert bad.status_code == 422
    err = error_of(bad)
    assert any(e["field"] == "beds" and e["slug"] == "below-minimum" for e in err["details"]["errors"])
    audit = web_client(app, "admin").get("/api/v1/audit", params={"limit": 50}).json()
    assert any(r["actor"] == "yanlou" and r["entity_key"] == THC and r["action"] == "change" for r in audit)


def test_equipment_and_staff_edits(app: Any) -> None:
    c = web_client(app, "yanlou")
    d = c.get(f"/api/v1/institutions/{THC}").json()
    eq = d["equipment"][0]
    r = c.put(f"/api/v1/institutions/{THC}/equipment/{eq['item']}",
              json={"version": eq["version"], "values": {"count": eq["count"] + 1, "functioning": eq["count"] + 1}})
    assert r.status_code == 200, r.text
    bad = c.put(f"/api/v1/institutions/{THC}/equipment/{eq['item']}",
                json={"version": r.json()["version"], "values": {"count": 1, "functioning": 5}})
    assert error_of(bad)["code"] == "invalid-record"
    st = d["staff"][0]
    r = c.put(f"/api/v1/staff/{st['staff_code']}", json={"version": st["version"], "values": {"title": "intermediate"}})
    assert r.status_code == 200, r.text
    again = c.put(f"/api/v1/staff/{st['staff_code']}", json={"version": None, "values": {}})
    assert error_of(again)["code"] == "already-exists"


def test_township_user_cannot_reach_another_township(app: Any) -> None:
    c = web_client(app, "acheng")
    r = c.get(f"/api/v1/institutions/{THC}")
    assert r.status_code == 404 and "权限" in error_of(r)["message"]
    assert c.get("/api/v1/regions/371521101/overview").status_code == 403
    assert c.get("/api/v1/regions/371521/overview").status_code == 403
    assert c.put(f"/api/v1/institutions/{THC}", json={"version": 1, "values": {"beds": 1}}).status_code == 404
    assert c.put("/api/v1/institutions/NO-SUCH", json={"version": 1, "values": {"beds": 1}}).status_code == 404
    hits = c.get("/api/v1/search", params={"q": "卫生"}).json()
    assert hits["institutions"] and all(i["division_code"].startswith("371521103") for i in hits["institutions"])
    csv_text = c.get("/api/v1/tables/institution", params={"format": "csv"}).content.decode("utf-8-sig")
    assert "阿城镇" in csv_text and "阎楼镇" not in csv_text


def test_runs_start_list_compare(app: Any) -> None:
    c = web_client(app, "analyst")
    r = c.post("/api/v1/runs", json={"pack": "yanggu-2024", "region": "371521", "as_of": "2026-12-31"})
    assert r.status_code == 200 and r.json()["rows"] > 0
    runs = c.get("/api/v1/runs").json()
    assert len(runs) >= 2
    cmp = c.get("/api/v1/runs/compare", params={"a": runs[1]["run_id"], "b": runs[0]["run_id"]}).json()
    assert cmp["a"]["run_id"] == runs[1]["run_id"] and isinstance(cmp["summary"], list)
    assert error_of(c.get("/api/v1/runs/compare", params={"a": "nope", "b": "nope"}))["code"] == "run-not-found"
    assert web_client(app, "viewer").post("/api/v1/runs", json={"pack": "yanggu-2024", "region": "371521",
                                                                "as_of": "2026-12-31"}).status_code == 403


def test_rule_page_data(app: Any) -> None:
    d = web_client(app, "county").get("/api/v1/rules/yanggu-2024/thc_equipment_full", params={"region": "371521"}).json()
    assert d["rule"]["clause"] == "二（二）" and "应配尽配" in d["rule"]["text"]
    assert d["counts"] and d["trend"] and all(f["region_code"].startswith("371521") for f in d["failing"])


def _workbook(xlsx: Path, edit: Any) -> bytes:
    wb = openpyxl.load_workbook(xlsx)
    edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_bad_workbook_reports_rows_and_writes_nothing(app: Any, yanggu_xlsx: Path) -> None:
    c = web_client(app, "admin")
    before = c.get("/api/v1/tables/institution", params={"format": "csv", "region": "371521"}).content

    def spoil(wb: Any) -> None:
        wb["机构"]["P5"] = -3

    r = c.post("/api/v1/imports", files={"file": ("bad.xlsx", _workbook(yanggu_xlsx, spoil))})
    assert r.status_code == 200 and r.json()["valid"] is False and r.json()["token"] == ""
    errs = r.json()["report"]["errors"]
    assert any(e["row"] == 5 and e["column"] == "P" and e["slug"] == "below-minimum" for e in errs)
    assert c.get("/api/v1/tables/institution", params={"format": "csv", "region": "371521"}).content == before


def test_import_out_of_scope_rows_are_refused(app: Any, yanggu_xlsx: Path) -> None:
    r = web_client(app, "acheng").post("/api/v1/imports", files={"file": ("all.xlsx", yanggu_xlsx.read_bytes())})
    rep = r.json()["report"]
    assert r.json()["valid"] is False and any(e["slug"] == "out-of-scope" for e in rep["errors"])


def test_import_then_confirm(app: Any, yanggu_xlsx: Path) -> None:
    c = web_client(app, "admin")
    staged = c.post("/api/v1/imports", files={"file": ("y.xlsx", yanggu_xlsx.read_bytes())}).json()
    assert staged["valid"] and staged["token"] and not staged["written"]
    assert error_of(web_client(app, "yanlou").post(f"/api/v1/imports/{staged['token']}/confirm"))["code"] == \
        "upload-not-found"  # a token is bound to its user
    done = c.post(f"/api/v1/imports/{staged['token']}/confirm").json()
    assert done["written"] and set(done["counts"]) >= {"institution", "staff"}
    assert error_of(c.post(f"/api/v1/imports/{staged['token']}/confirm"))["code"] == "upload-not-found"


def test_approval_workflow_locks_data(app: Any) -> None:
    town, county = web_client(app, "acheng"), web_client(app, "county")
    inst = town.get("/api/v1/search", params={"q": "", "limit": 1}).json()["institutions"][0]["code"]
    period = "2025"
    assert error_of(county.post(f"/api/v1/approvals/371521103/{period}/approve", json={}))["code"] == "bad-transition"
    assert town.post(f"/api/v1/approvals/371521103/{period}/submit", json={}).json()["status"] == "submitted"
    assert error_of(town.post(f"/api/v1/approvals/371521103/{period}/approve", json={}))["code"] == "forbidden"
    assert error_of(county.post(f"/api/v1/approvals/371521103/{period}/return", json={}))["code"] == "comment-required"
    assert county.post(f"/api/v1/approvals/371521103/{period}/approve", json={}).json()["locked"] is True
    d = town.get(f"/api/v1/institutions/{inst}").json()["institution"]
    r = town.put(f"/api/v1/institutions/{inst}", json={"version": d["version"], "values": {"beds": (d["beds"] or 0) + 1}})
    assert r.status_code == 409 and error_of(r)["code"] == "locked"
    rows = county.get("/api/v1/approvals", params={"region": "371521", "period": period}).json()
    assert next(x for x in rows if x["division_code"] == "371521103")["status"] == "approved"
    assert county.post(f"/api/v1/approvals/371521103/{period}/reopen", json={}).json()["locked"] is False
    r = town.put(f"/api/v1/institutions/{inst}", json={"version": d["version"], "values": {"beds": (d["beds"] or 0) + 1}})
    assert r.status_code == 200, r.text
    assert county.post(f"/api/v1/approvals/371521101/{period}/nonsense", json={}).status_code == 400


def test_downloads_template_users(app: Any) -> None:
    c = web_client(app, "admin")
    x = c.get("/api/v1/tables/staff", params={"region": "371521101", "format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert "人员" in wb.sheetnames
    res = c.get("/api/v1/tables/results", params={"region": "371521101", "format": "csv"})
    assert res.status_code == 200 and "规则" in res.content.decode("utf-8-sig").splitlines()[0]
    assert c.get("/api/v1/template").content[:2] == b"PK"
    assert error_of(c.get("/api/v1/tables/nope"))["code"] == "table-not-found"
    assert {u["username"] for u in c.get("/api/v1/users").json()} >= {"admin", "yanlou"}
    assert web_client(app, "analyst").get("/api/v1/users").status_code == 403
    assert "password_hash" not in str(c.get("/api/v1/users").json())


def test_disabled_user_loses_its_sessions(app: Any) -> None:
    from wangdi.web import auth

    auth.add_user("temp", WEB_PASSWORD, "viewer", "371521", url=app.state.url)
    c = web_client(app, "temp")
    assert c.get("/api/v1/me").status_code == 200
    auth.disable_user("temp", url=app.state.url)
    assert c.get("/api/v1/me").status_code == 401
    assert web_client(app).post("/api/v1/session", json={"username": "temp", "password": WEB_PASSWORD}).status_code == 401
    audit = web_client(app, "admin").get("/api/v1/audit", params={"limit": 20}).json()
    assert any(r["action"] == "user_disabled" and r["entity_key"] == "temp" for r in audit)


@pytest.mark.parametrize("name,data,code", [("census.txt", b"x", "unsupported-format"), ("empty.xlsx", b"", "empty-upload"),
                                            ("broken.xlsx", b"not a zip", None)])
def test_bad_uploads_are_refused_with_a_reason(app: Any, name: str, data: bytes, code: str | None) -> None:
    c = web_client(app, "admin")
    before = c.get("/api/v1/tables/institution", params={"format": "csv", "region": "371521"}).content
    r = c.post("/api/v1/imports", files={"file": (name, data)})
    if code:
        assert r.status_code == 400 and error_of(r)["code"] == code
    else:  # an unreadable workbook is a report, not a crash
        assert r.status_code == 200 and r.json()["valid"] is False and r.json()["report"]["errors"][0]["zh"]
    assert c.get("/api/v1/tables/institution", params={"format": "csv", "region": "371521"}).content == before


def test_viewer_cannot_upload(app: Any, yanggu_xlsx: Path) -> None:
    r = web_client(app, "viewer").post("/api/v1/imports", files={"file": ("y.xlsx", yanggu_xlsx.read_bytes())})
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden"


@pytest.mark.parametrize("role,scope,password,code", [("boss", "371521", WEB_PASSWORD, "bad-role"),
                                                      ("viewer", "379999", WEB_PASSWORD, "unknown-division"),
                                                      ("viewer", "371521", "short", "weak-password")])
def test_users_add_refuses_bad_input(app: Any, role: str, scope: str, password: str, code: str) -> None:
    from wangdi.errors import WangdiError
    from wangdi.web import auth

    with pytest.raises(WangdiError) as e:
        auth.add_user("newbie", password, role, scope, url=app.state.url)
    assert e.value.code == code and e.value.zh
    assert "newbie" not in {u["username"] for u in auth.list_users(app.state.url)}
