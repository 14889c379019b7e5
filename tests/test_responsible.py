"""责任单位 as data (issue 16 item 2): parsed from the clause text into each rule's `responsible:`, shown on rule
pages, in `packs show` and the report's rule appendix; documents without markers say so."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import web_client
from wangdi.policy.pack import available, load
from wangdi.web import create_app

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("responsible", ROOT / "scripts" / "responsible.py")
assert spec and spec.loader
responsible = importlib.util.module_from_spec(spec)
spec.loader.exec_module(responsible)


def test_agency_lists_split_outside_parentheses() -> None:
    assert responsible.split_agencies("市卫健委、市发改委，各县（市、区）人民政府、赣州经开区和蓉江新区管委会") == [
        "市卫健委", "市发改委", "各县（市、区）人民政府", "赣州经开区和蓉江新区管委会"]


def test_rules_yaml_carries_every_parsed_marker() -> None:
    assert {p: responsible.apply(p, check=True) for p in available()} == {p: 0 for p in available()}


@pytest.mark.parametrize("pack_id", ["ganzhou-2019", "yanggu-2024", "baoding-2023"])
def test_each_rule_names_the_agencies_of_the_marker_after_its_clause(pack_id: str) -> None:
    pack = load(pack_id)
    source = (pack.path / "source.txt").read_text(encoding="utf-8").replace("\n", "")
    refs = responsible.markers((pack.path / "source.txt").read_text(encoding="utf-8"))
    marked = 0
    for r in pack.rules.values():
        agencies = r.spec.get("responsible") or []
        if not agencies or (r.spec.get("indicator") and not responsible.lookup(refs, r.clause)):
            continue  # an unmarked indicator target: its reporting agency is answerable for it
        quote = re.split(r"……|…", r.text)[0]
        at = source.find(quote)
        assert at >= 0, r.id
        m = re.search(r"[〔（]责任单位[:：]", source[at:])
        assert m, f"{r.id}: no 责任单位 marker after its clause"
        marker = source[at + m.end(): at + m.end() + 200]
        assert all(a in marker for a in agencies[:1]), (r.id, agencies, marker[:60])
        marked += 1
    assert marked >= 10


def test_documents_without_markers_say_so() -> None:
    for pid in ("kaifeng-2021", "ordos-2024"):
        assert "未标注责任单位" in str(load(pid).manifest["responsible_note"])
    source = (load("kaifeng-2021").path / "source.txt").read_text(encoding="utf-8")
    assert "责任单位" not in source


@pytest.fixture(scope="module")
def app(web_db: str) -> Any:
    return create_app(web_db)


def test_rule_page_shows_the_responsible_agencies(app: Any) -> None:
    r = web_client(app, "county").get("/rules/yanggu-2024/clinic_floor_area?region=371521")
    assert r.status_code == 200
    shown = r.text.split('id="responsible"')[1].split("</p>")[0]
    assert "县卫生健康局、县自然资源和规划局、县住建局、县农业农村局、各乡镇（街道）" in shown
    assert "/supervision?agency=" in shown
