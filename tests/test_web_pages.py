"""Server-rendered pages: forms carry CSRF tokens, edits detect conflicts, approvals and runs from forms."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import WEB_PASSWORD, web_client
from wangdi.web import create_app

THC = "371521101-C220"


@pytest.fixture(scope="module")
def app(web_db: str) -> Any:
    return create_app(web_db)


def form_token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def test_login_form_needs_its_token(app: Any) -> None:
    c = web_client(app)
    page = c.get("/login")
    assert "登录" in page.text
    bad = c.post("/login", data={"username": "admin", "password": WEB_PASSWORD, "csrf_token": "forged"})
    assert bad.status_code == 403 and "登录表单已过期" in bad.text
    ok = c.post("/login", data={"username": "admin", "password": WEB_PASSWORD, "csrf_token": form_token(page.text),
                                "next": "/runs"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/runs"
    assert "评估批次" in c.get("/runs").text


def test_page_forms_refuse_missing_csrf(app: Any) -> None:
    c = web_client(app, "yanlou")
    del c.headers["X-CSRF-Token"]
    r = c.post(f"/institutions/{THC}", data={"version": "1", "beds": "3"})
    assert r.status_code == 403 and "CSRF" in r.text


def test_form_edit_conflict_is_reported_not_overwritten(app: Any) -> None:
    a, b = web_client(app, "yanlou"), web_client(app, "yanlou")
    page_a, page_b = a.get(f"/institutions/{THC}").text, b.get(f"/institutions/{THC}").text
    version = re.search(r'name="version" value="(\d+)"', page_a).group(1)  # type: ignore[union-attr]
    saved = a.post(f"/institutions/{THC}", data={"csrf_token": form_token(page_a), "version": version, "beds": "41"},
                   follow_redirects=True)
    assert "已保存" in saved.text
    late = b.post(f"/institutions/{THC}", data={"csrf_token": form_token(page_b), "version": version, "beds": "2"})
    assert "已被他人修改" in late.text and "您的修改未保存" in late.text
    assert a.get(f"/api/v1/institutions/{THC}").json()["institution"]["beds"] == 41
    invalid = a.post(f"/institutions/{THC}", data={"csrf_token": form_token(saved.text),
                                                   "version": re.search(r'name="version" value="(\d+)"', saved.text)
                                                   .group(1), "beds": "很多"})  # type: ignore[union-attr]
    assert "数据未通过校验" in invalid.text and "应为整数" in invalid.text


def test_approval_and_run_forms(app: Any) -> None:
    town, county, analyst = web_client(app, "yanlou"), web_client(app, "county"), web_client(app, "analyst")
    page = town.get("/approvals?period=2031")
    assert "阎楼镇" in page.text and "上报" in page.text
    r = town.post("/approvals/371521101/2031/submit", data={"csrf_token": form_token(page.text)}, follow_redirects=True)
    assert "已上报待审核" in r.text
    cpage = county.get("/approvals?region=371521&period=2031")
    assert "审核通过" in cpage.text and "退回" in cpage.text
    back = county.post("/approvals/371521101/2031/return", data={"csrf_token": form_token(cpage.text),
                                                                 "comment": "床位数与上年差异过大，请核实"},
                       follow_redirects=True)
    assert "已退回" in back.text and "请核实" in back.text
    runs = analyst.get("/runs")
    done = analyst.post("/runs", data={"csrf_token": form_token(runs.text), "pack": "yanggu-2024", "region": "371521",
                                       "as_of": "2026-12-31"}, follow_redirects=True)
    assert "评估已完成" in done.text
    ids = re.findall(r"<code>(R\d{14}-[0-9a-f]{6})</code>", done.text)
    cmp = analyst.get("/runs/compare", params={"a": ids[-1], "b": ids[0]})
    assert cmp.status_code == 200 and "条结论变化" in cmp.text


def test_pages_answer_json_errors_when_asked(app: Any) -> None:
    c = web_client(app, "acheng")
    r = c.get("/regions/371521", headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "out-of-scope"
    html = c.get("/regions/371521")
    assert html.status_code == 403 and "不在您的数据权限范围内" in html.text
    assert "阎楼" not in c.get("/search", params={"q": "卫生院"}).text


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/"])
def test_login_never_redirects_off_site(app: Any, target: str) -> None:
    c = web_client(app)
    page = c.get("/login", params={"next": target})
    r = c.post("/login", data={"username": "viewer", "password": WEB_PASSWORD, "csrf_token": form_token(page.text),
                               "next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
