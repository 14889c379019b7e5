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
        assert f'id="{form}"' in html
    assert "阳谷县乡村医疗卫生服务能力提质提效三年行动实施方案" in html


def test_payment_list_for_a_pack_without_subsidies_says_why(app: Any) -> None:
    r = web_client(app, "analyst").get("/downloads/payments", params={"region": "371521", "year": 2025})
    assert r.status_code in (400, 404, 422) and "补助" in r.text
