"""Report, payment list and plan from the web: made for a region in the user's scope, refused outside it."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest

from tests.conftest import web_client
from wangdi.web import create_app


@pytest.fixture(scope="module")
def app(web_db: str) -> Any:
    return create_app(web_db)


def test_report_download_is_an_a4_word_document(app: Any) -> None:
    c = web_client(app, "yanlou")
    r = c.get("/downloads/report", params={"region": "371521101", "format": "docx", "as_of": "2026-12-31",
                                           "issuer": "阎楼镇卫生院"})
    assert r.status_code == 200, r.text[:500]
    assert "attachment" in r.headers["content-disposition"]
    d = docx.Document(io.BytesIO(r.content))
    assert round(d.sections[0].page_width.cm, 1) == 21.0
    assert "发文单位：阎楼镇卫生院" in [p.text for p in d.paragraphs]


def test_downloads_outside_scope_are_refused(app: Any) -> None:
    c = web_client(app, "yanlou")
    r = c.get("/downloads/report", params={"region": "371521103", "format": "docx"})
    assert r.status_code == 403
    r = c.get("/downloads/payments", params={"region": "371521", "year": 2025})
    assert r.status_code == 403


def test_the_downloads_page_offers_report_plan_and_payments(app: Any) -> None:
    html = web_client(app, "analyst").get("/downloads?region=371521").text
    for form in ("report-form", "payments-form", "plan-form"):
        assert html.count(f'id="{form}"') == 1  # once, in the page body
    title = html[html.index("<title>"):html.index("</title>")]
    assert "<form" not in title and "下载" in title
    assert "阳谷县乡村医疗卫生服务能力提质提效三年行动实施方案" in html


def test_payment_list_for_a_pack_without_subsidies_says_why(app: Any) -> None:
    r = web_client(app, "analyst").get("/downloads/payments", params={"region": "371521", "year": 2025})
    assert r.status_code in (400, 404, 422) and "补助" in r.text


def _csrf(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def test_add_staff_service_and_institution_from_the_web(app: Any) -> None:
    c = web_client(app, "yanlou")
    page = c.get("/institutions/371521101-C220").text
    token = _csrf(page)
    assert 'id="staff-add"' in page and 'id="service-add"' in page
    r = c.post("/institutions/371521101-C220/staff", data={"csrf_token": token, "staff_code": "371521101-C220-9001",
                                                            "name": "新来的医生", "category": "health_tech",
                                                            "birth_date": "1990-05-17"}, follow_redirects=True)
    assert r.status_code == 200 and "新来的医生" in r.text and "已保存" in r.text
    bad = c.post("/institutions/371521101-C220/staff", data={"csrf_token": token, "staff_code": "371521101-C220-9002",
                                                              "name": "日期不对", "category": "health_tech",
                                                              "birth_date": "1990-13-45"}, follow_redirects=True)
    assert "edit-error" in bad.text and "日期不对" not in bad.text.split('id="staff"')[1], "same validation as import"
    r = c.post("/institutions/371521101-C220/services", data={"csrf_token": token, "service": "tcm_hall"},
               follow_redirects=True)
    assert r.status_code == 200
    region = c.get("/regions/371521101").text
    assert 'id="institution-add"' in region
    r = c.post("/regions/371521101/institutions", data={"csrf_token": _csrf(region), "code": "371521101-D699",
                                                        "name": "新建村卫生室", "type_code": "D600",
                                                        "division_code": "371521101", "manager_code": "371521101-C220"},
               follow_redirects=True)
    assert r.status_code == 200 and "新建村卫生室" in r.text
    outside = c.post("/regions/371521103/institutions", data={"csrf_token": _csrf(region), "code": "371521103-D699",
                                                               "name": "越权", "type_code": "D600",
                                                               "division_code": "371521103"})
    assert outside.status_code == 403
