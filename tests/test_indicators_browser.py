"""Browser test (headless chromium): a reporter of 县医保局 signs in, reports the DRG primary-group count for
2026 on the indicator form, and the target that reads it (003 五（五）「不少于20个」) changes from unknown to met."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WEB_PASSWORD
from tests.test_web_browser import browser, console_errors, shot, wait_url  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, yanggu_xlsx: Path) -> Iterator[tuple[str, str]]:

    from tests.conftest import make_web_db, serve_in_thread
    from wangdi.indicators import service
    from wangdi.web import auth

    url = make_web_db(f"sqlite:///{tmp_path_factory.mktemp('ibrowser') / 'b.sqlite'}", yanggu_xlsx)
    auth.add_user("ybj", WEB_PASSWORD, "reporter", "371521", "县医保局填报员", url=url)
    service.set_agency("ybj", "县医保局", url)
    with serve_in_thread(url) as base:
        yield base, url


def _drg_outcome(url: str) -> str:
    import polars as pl

    from wangdi import api

    _run, res = api.evaluate("yanggu-2024", "371521", date(2026, 12, 31), url=url, store_run=False)
    return str(res.filter(pl.col("rule_id") == "drg_primary_groups")["outcome"][0])


def test_reporter_reports_a_period_and_the_target_changes(server: tuple[str, str], browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    base, url = server
    assert _drg_outcome(url) == "unknown"
    b = browser
    b.delete_all_cookies()
    b.get(base + "/indicators")
    b.find_element(By.ID, "username").send_keys("ybj")
    b.find_element(By.ID, "password").send_keys(WEB_PASSWORD)
    b.find_element(By.ID, "login-button").click()
    wait_url(b, "/indicators")
    assert "县医保局" in b.find_element(By.TAG_NAME, "h1").text
    b.get(base + "/indicators?agency=县医保局&division=371521&period=2026")
    assert "待 县医保局 填报" in b.find_element(By.ID, "indicators").text
    supervision = base + "/supervision?agency=县医保局&region=371521&pack=yanggu-2024&as_of=2026-12-31"
    b.get(supervision)
    assert "待 县医保局 填报" in b.find_element(By.ID, "pending").text
    drg = next(r for r in b.find_elements(By.CSS_SELECTOR, "#rules tr") if "DRG" in r.text)
    assert "无法判断" in drg.text
    b.get(base + "/indicators?agency=县医保局&division=371521&period=2026")
    field = b.find_element(By.ID, "v_drg_primary_groups")
    field.clear()
    field.send_keys("21")
    b.find_element(By.ID, "save").click()
    wait_url(b, "/indicators")
    assert "已保存" in b.find_element(By.ID, "ok").text
    assert b.find_element(By.ID, "v_drg_primary_groups").get_attribute("value") == "21.0"
    shot(b, "indicators-reported")
    assert _drg_outcome(url) == "met"
    b.get(supervision)
    drg = next(r for r in b.find_elements(By.CSS_SELECTOR, "#rules tr") if "DRG" in r.text)
    assert "已达到" in drg.text and not b.find_elements(By.ID, "pending")
    shot(b, "indicators-supervision-met")
    b.get(base + "/indicators?agency=县医保局&division=371521&period=2026")
    b.find_element(By.ID, "act-submit").click()
    wait_url(b, "/indicators")
    assert b.find_element(By.ID, "status").text == "已上报待审核"
    assert not b.find_elements(By.ID, "v_drg_primary_groups"), "submitted values are locked on the form"
    assert console_errors(b) == []
