"""Browser tests in headless Debian chromium (selenium + chromedriver) against a real uvicorn server:
log in, open the overview, drill down to a village clinic, edit it, upload a bad workbook and read its
report. Screenshots go to tests/artifacts/; no page may log a console error."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import ARTIFACTS, IN_CI, WEB_PASSWORD

pytestmark = pytest.mark.browser
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, yanggu_xlsx: Path) -> Iterator[str]:

    from tests.conftest import make_web_db, serve_in_thread

    url = make_web_db(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'b.sqlite'}", yanggu_xlsx)
    with serve_in_thread(url) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        if IN_CI:
            pytest.fail("CI=true but chromium/chromedriver are missing: .ci/run installs chromium and chromium-driver")
        pytest.skip("chromium + chromedriver not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1600", "--lang=zh-CN"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    drv.implicitly_wait(5)
    yield drv
    drv.quit()


def wait_url(drv: Any, ending: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, 15).until(lambda d: d.current_url.split("?")[0].endswith(ending))


def console_errors(drv: Any) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def shot(drv: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    drv.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_login_overview_drill_edit_and_bad_upload(server: str, browser: Any, yanggu_xlsx: Path,
                                                  tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    b = browser
    b.get(server + "/")
    assert "/login" in b.current_url
    b.find_element(By.ID, "username").send_keys("county")
    b.find_element(By.ID, "password").send_keys("wrong-password")
    b.find_element(By.ID, "login-button").click()
    assert "用户名或密码错误" in b.find_element(By.CSS_SELECTOR, "p.error").text
    b.find_element(By.ID, "username").clear()
    b.find_element(By.ID, "username").send_keys("admin")
    b.find_element(By.ID, "password").send_keys(WEB_PASSWORD)
    b.find_element(By.ID, "login-button").click()

    # overview of the county: headline figures, target charts drawn by ECharts (canvas), heat map, ranking
    wait_url(b, "/regions/371521")
    assert "阳谷县" in b.find_element(By.TAG_NAME, "h1").text
    assert b.find_elements(By.CSS_SELECTOR, ".target-chart canvas"), "target charts were not drawn"
    assert b.find_elements(By.CSS_SELECTOR, "#heatmap canvas"), "heat map was not drawn"
    assert "合成数据" in b.find_element(By.CSS_SELECTOR, ".synthetic").text
    shot(b, "01-overview-county")

    # drill down: county → township (from the ranking) → the township's village clinics → one clinic
    b.find_element(By.LINK_TEXT, "阎楼镇").click()
    wait_url(b, "/regions/371521101")
    assert "阎楼镇" in b.find_element(By.TAG_NAME, "h1").text
    shot(b, "02-overview-township")
    clinic = next(r for r in b.find_elements(By.CSS_SELECTOR, "#institutions tr") if "村卫生室" in r.text)
    link = clinic.find_element(By.TAG_NAME, "a")
    code = link.get_attribute("href").split("/institutions/")[1].split("?")[0]
    link.click()
    wait_url(b, f"/institutions/{code}")
    assert b.find_elements(By.CSS_SELECTOR, "#verdicts .quote"), "verdicts quote their clauses"
    shot(b, "03-village-clinic")

    # edit a record: the form saves, the page says so, and the value is there after reload
    beds = b.find_element(By.CSS_SELECTOR, "#institution-form input[name=beds]")
    beds.clear()
    beds.send_keys("7")
    b.find_element(By.ID, "save-institution").click()
    assert "已保存" in b.find_element(By.ID, "saved").text
    assert b.find_element(By.CSS_SELECTOR, "#institution-form input[name=beds]").get_attribute("value") == "7"
    shot(b, "04-edit-saved")

    # upload a bad workbook: the report is in the page, row and column by row and column; nothing written
    wb = openpyxl.load_workbook(yanggu_xlsx)
    wb["机构"]["D5"] = "371521999"
    wb["机构"]["P7"] = -3
    bad = tmp_path / "坏的普查表.xlsx"
    wb.save(bad)
    b.get(server + "/import")
    b.find_element(By.ID, "upload-file").send_keys(str(bad))
    b.find_element(By.ID, "upload-button").click()
    assert "未写入任何数据" in b.find_element(By.ID, "import-invalid").text
    report = b.find_element(By.ID, "report-errors").text
    assert "未知区划代码" in report and "不能小于" in report
    shot(b, "05-import-report")

    # the rule page and the runs page render too
    b.get(server + "/rules/yanggu-2024/thc_equipment_full?region=371521")
    assert "应配尽配" in b.find_element(By.ID, "clause").text
    shot(b, "06-rule")
    assert console_errors(b) == []


def test_township_user_sees_only_its_township(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    b = browser
    b.delete_all_cookies()
    b.get(server + "/login")
    b.find_element(By.ID, "username").send_keys("acheng")
    b.find_element(By.ID, "password").send_keys(WEB_PASSWORD)
    b.find_element(By.ID, "login-button").click()
    wait_url(b, "/regions/371521103")
    b.get(server + "/institutions/371521101-C220")
    assert "不在您的权限范围内" in b.find_element(By.CSS_SELECTOR, "p.error").text
    b.get(server + "/regions/371521")
    assert "不在您的数据权限范围内" in b.find_element(By.CSS_SELECTOR, "p.error").text
    shot(b, "07-out-of-scope")
    assert console_errors(b) == [] or all("403" in m or "404" in m for m in console_errors(b))


SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")  # rule ids, field names, outcome keys
REPR = re.compile(r"\{'|\['|'\]|\bNone\b|\bTrue\b|\bFalse\b|\[\]|\{\}|kOptimal|Traceback")
ROLE_PAGES = {  # user -> pages to walk besides the navigation links (each in the user's scope)
    "admin": ["/regions/371521", "/regions/371521101", "/institutions/371521101-C220",
              "/rules/yanggu-2024/thc_equipment_full?region=371521", "/rules/yanggu-2024/clinic_three_stars_rate?region=371521",
              "/search?q=阎楼", "/help"],
    "analyst": ["/regions/371521", "/regions/371521103", "/rules/yanggu-2024/clinic_six_haves?region=371521", "/help"],
    "county": ["/regions/371521", "/approvals?region=371521"],
    "viewer": ["/regions/371521", "/institutions/371521101-C220"],
    "yanlou": ["/regions/371521101", "/institutions/371521101-C220", "/search?q=卫生"],
    "acheng_viewer": ["/regions/371521103"],
}


def login(b: Any, server: str, user: str) -> None:
    from selenium.webdriver.common.by import By

    b.delete_all_cookies()
    b.get(server + "/login")
    b.find_element(By.ID, "username").send_keys(user)
    b.find_element(By.ID, "password").send_keys(WEB_PASSWORD)
    b.find_element(By.ID, "login-button").click()
    wait_url(b, "")


def identifiers_in(text: str) -> list[str]:
    return sorted(set(SNAKE.findall(text)) | set(REPR.findall(text)))


def test_every_page_in_chinese_for_every_role(server: str, browser: Any) -> None:
    """Walk the navigation and the main pages as each role: no snake_case identifier and no Python repr shows."""
    from selenium.webdriver.common.by import By

    b = browser
    login(b, server, "admin")  # a second run, so the comparison page has something to compare
    b.get(server + "/runs")
    b.find_element(By.CSS_SELECTOR, "#run-form input[name=region]").send_keys("371521")
    b.execute_script("document.querySelector('#run-form input[name=as_of]').value = '2025-12-31'")
    b.find_element(By.CSS_SELECTOR, "#run-form button").click()
    assert "评估已完成" in b.find_element(By.CSS_SELECTOR, "p.ok").text
    b.find_element(By.CSS_SELECTOR, "#compare-form button").click()
    assert b.find_elements(By.CSS_SELECTOR, "#compare-by-rule tr"), "comparison summary by rule"
    walked = 0
    for user, extra in ROLE_PAGES.items():
        login(b, server, user)
        nav = [a.get_attribute("href") for a in b.find_elements(By.CSS_SELECTOR, "header nav a")]
        for i, page in enumerate(dict.fromkeys(nav + [server + p for p in extra])):
            b.get(page)
            text = b.find_element(By.TAG_NAME, "body").text.replace(user, "")  # the login name the user typed
            assert not identifiers_in(text), (user, page, identifiers_in(text))
            assert "Internal Server Error" not in text, (user, page)
            shot(b, f"walk-{user}-{i:02d}")
            walked += 1
    assert walked >= 30
    assert console_errors(b) == [] or all("403" in m or "404" in m for m in console_errors(b))


def test_heatmap_drawn_with_the_pass_rate_as_colour(server: str, browser: Any) -> None:
    b = browser
    login(b, server, "analyst")
    b.get(server + "/regions/371521")
    opt = b.execute_script("return echarts.getInstanceByDom(document.getElementById('heatmap')).getOption()")
    vm, data = opt["visualMap"][0], opt["series"][0]["data"]
    assert vm["dimension"] == 2 and data
    shown = b.execute_script("var o = echarts.getInstanceByDom(document.getElementById('heatmap')).getOption();"
                             "return o.series[0].data.map(function (d) { return o.series[0].label.formatter({value: d}); })")
    assert [f"{d[2]}%" for d in data] == shown, "the label prints the value the colour follows"
    shot(b, "heatmap")
