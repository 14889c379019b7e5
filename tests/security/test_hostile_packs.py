"""Issue 13 item 1 (no SQL from packs) and item 11 (pack robustness): hostile packs are refused by the loader with a
located Chinese error, or — if they load — evaluate without touching a file."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

from tests.security import packs
from wangdi import api
from wangdi.errors import WangdiError
from wangdi.policy import pack


@pytest.fixture(autouse=True)
def _no_canary() -> None:
    packs.CANARY.unlink(missing_ok=True)  # each test checks that nothing it ran wrote the file


INJECT = "share) UNION SELECT read_text('/etc/passwd')--"
COPY = f"total' ; COPY (SELECT 1) TO '{packs.CANARY}' --"


def refused(folder: Path, where: str = "") -> WangdiError:
    """`packs lint` refuses the pack: a WangdiError whose Chinese message says where (file or rule)."""
    with pytest.raises(WangdiError) as err:
        api.pack_lint(str(folder))
    e = err.value
    assert e.zh and any("\u4e00" <= ch <= "\u9fff" for ch in e.zh), e.zh
    assert (where or ".yaml") in e.zh, e.zh
    assert not packs.CANARY.exists()
    return e


@pytest.mark.parametrize("measure", [INJECT, COPY, "SHARE", 1, None])
def test_a_measure_outside_the_enum_is_refused(tmp_path: Path, measure: Any) -> None:
    folder = packs.write(tmp_path / "p", rules=packs.with_rule("share", measure=measure if measure else ""))
    refused(folder, "rule share")


@pytest.mark.parametrize("scale", ["1) UNION SELECT 1 --", math.inf, math.nan, -1, 0, True, "100"])
def test_a_scale_that_is_not_a_positive_finite_number_is_refused(tmp_path: Path, scale: Any) -> None:
    refused(packs.write(tmp_path / "p", rules=packs.with_rule("share", scale=scale)), "rule share")


@pytest.mark.parametrize("bound", ["0.8 OR 1=1", "0.8) UNION SELECT 1 --", math.inf, math.nan, True, [0.8]])
def test_a_milestone_bound_that_is_not_a_number_or_parameter_is_refused(tmp_path: Path, bound: Any) -> None:
    ms = [{"by": "2026-12-31", "min": bound}]
    refused(packs.write(tmp_path / "p", rules=packs.with_rule("share", milestones=ms)), "rule share")


@pytest.mark.parametrize("by", ["2026-12-31' OR '1'='1", "2026-13-40", 2026, None])
def test_a_milestone_date_that_is_not_a_date_is_refused(tmp_path: Path, by: Any) -> None:
    ms = [{"by": by, "min": 0.8}]
    refused(packs.write(tmp_path / "p", rules=packs.with_rule("share", milestones=ms)), "rule share")


@pytest.mark.parametrize("value", ["100) UNION SELECT read_text('/etc/passwd') --", COPY, math.inf, -math.inf,
                                   math.nan, True, None, [100]])
def test_a_parameter_value_that_is_not_a_finite_number_is_refused(tmp_path: Path, value: Any) -> None:
    params = [dict(packs.PARAMETERS[0], values=[{"value": value, "from": "2024-01-01"}])]
    refused(packs.write(tmp_path / "p", parameters=params), "parameters.yaml")


@pytest.mark.parametrize("key", ["effective_from", "effective_to", "due"])
def test_rule_dates_that_are_not_dates_are_refused(tmp_path: Path, key: str) -> None:
    refused(packs.write(tmp_path / "p", rules=packs.with_rule("floor", **{key: "2025-01-01' OR '1'='1"})), "rule floor")


@pytest.mark.parametrize("items", [["dr'); COPY (SELECT 1) TO '/tmp/wangdi-pwned' --"], ["drr"], "dr", [], [1]])
def test_equipment_items_must_be_known_keys(tmp_path: Path, items: Any) -> None:
    refused(packs.write(tmp_path / "p", rules=packs.with_rule("kit", items=items)), "rule kit")


@pytest.mark.parametrize("observed", ["has_service(5)", "has_service(type_code)", "has_equipment('drr')",
                                      "read_text('/etc/passwd')", "(SELECT 1)", "floor_area_m2; COPY x TO 'y'",
                                      "equipment_count(read_text('/etc/passwd'))"])
def test_unchecked_function_arguments_and_file_functions_are_refused(tmp_path: Path, observed: str) -> None:
    refused(packs.write(tmp_path / "p", rules=packs.with_rule("floor", observed=observed)), "rule floor")


@pytest.mark.parametrize("code", ["37' OR 1=1", "3715211", "abc"])
def test_a_jurisdiction_that_is_not_a_division_code_is_refused(tmp_path: Path, code: str) -> None:
    params = [dict(packs.PARAMETERS[0], values=[{"value": 100, "from": "2024-01-01", "jurisdiction": code}])]
    refused(packs.write(tmp_path / "p", parameters=params), "parameters.yaml")
    refused(packs.write(tmp_path / "q", manifest=dict(packs.MANIFEST, region=code)), "pack.yaml")


@pytest.mark.parametrize("key", ["label", "group", "unit"])
def test_text_that_is_never_sql_loads_and_evaluates_without_escaping(tmp_path: Path, key: str) -> None:
    text = f"x'); COPY (SELECT 1) TO '{packs.CANARY}'; --"
    folder = packs.write(tmp_path / "p", rules=packs.with_rule("floor", **{key: text}))
    assert api.pack_lint(str(folder))["ok"]
    assert not packs.CANARY.exists()


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
                                                     f"*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
                                                     for i in range(1, 10)]
    bomb = "- id: floor\n  kind: requirement\n  bomb:\n" + "\n".join("    " + line for line in lines) + "\n"
    t0 = time.perf_counter()
    e = refused(packs.write(tmp_path / "p", raw={"rules.yaml": bomb}), "rules.yaml")
    assert time.perf_counter() - t0 < 2 and "别名" in e.zh


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    """A second `min:` would silently replace the first (YAML keeps the last): refused, with its line."""
    folder = packs.write(tmp_path / "p")
    text = (folder / "rules.yaml").read_text(encoding="utf-8")
    (folder / "rules.yaml").write_text(text.replace("min: param.floor_min\n", "min: param.floor_min\n  min: 0\n", 1),
                                       encoding="utf-8")
    e = refused(folder, "rules.yaml")
    assert "重复" in e.zh


def test_parent_cycles_are_refused(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    packs.write(a, manifest=dict(packs.MANIFEST, id="a", parents=[str(b)]))
    packs.write(b, manifest=dict(packs.MANIFEST, id="b", parents=[str(a)]))
    e = refused(a, "循环")
    assert e.code == "pack-parent-cycle"
    packs.write(tmp_path / "self", manifest=dict(packs.MANIFEST, id="self", parents=[str(tmp_path / "self")]))
    refused(tmp_path / "self", "循环")


@pytest.mark.parametrize("text", ["5", "{a: 1}", "- 5\n- x\n", "- [1, 2]\n"])
def test_a_file_of_the_wrong_shape_is_refused(tmp_path: Path, text: str) -> None:
    refused(packs.write(tmp_path / "p", raw={"rules.yaml": text}), "rules.yaml")


def test_the_valid_base_pack_lints_and_its_shipped_siblings_too(tmp_path: Path) -> None:
    """The base the hostile variants start from is itself fine: each refusal above is the mutation's doing."""
    assert api.pack_lint(str(packs.write(tmp_path / "p")))["ok"]
    assert pack.load(str(tmp_path / "p")).rules["share"].spec["milestones"][0]["by"].year == 2026


def test_evaluating_connections_have_no_file_access_and_cannot_regain_it(tmp_path: Path) -> None:
    """The second wall: even SQL that got past the loader could not read or write a file."""
    import duckdb

    from tests import rawrows
    from wangdi.policy import engine

    con = duckdb.connect()
    engine.evaluate(pack.load(str(packs.write(tmp_path / "p"))), rawrows.dataset("371521", packs_date()), con=con)
    for sql in (f"COPY (SELECT 1) TO '{packs.CANARY}'", "SELECT * FROM read_text('/etc/passwd')",
                "SET enable_external_access = true", "ATTACH '/tmp/wangdi-other.duckdb'"):
        with pytest.raises(duckdb.Error):
            con.execute(sql)
    assert not packs.CANARY.exists()


def packs_date() -> Any:
    from datetime import date

    return date(2026, 12, 31)
