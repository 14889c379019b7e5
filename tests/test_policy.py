"""Issue 4: pack format, expression safety, inheritance and conflicts, vectorised evaluation, runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from wangdi import api
from wangdi.errors import WangdiError
from wangdi.policy import engine, expr, formatting, pack, runs
from wangdi.policy.pack import PACKS_DIR, PackError
from wangdi.policy.results import RESULT_COLUMNS
from wangdi.policy.testing import run_case, run_pack_tests

FIELDS = ["beds", "type_code", "equipment_items", "floor_area_m2"]


@pytest.mark.parametrize("text", [
    "read_csv('/etc/passwd')", "getenv('HOME')", "(SELECT 1)", "beds > 1; DROP TABLE x", "beds IN (SELECT 1)",
    "read_parquet('x.parquet')", "current_setting('x')", "beds::VARCHAR", "*", "http_get('http://x')",
    "(" * 300 + "1" + ")" * 300, "beds > " + "+".join(["1"] * 1500), "system('ls')", "'a' || version()",
])
def test_unsafe_expressions_are_refused_clearly(text: str) -> None:
    with pytest.raises(expr.ExprError) as info:
        expr.compile_expr(text, FIELDS, lambda n: "1", "rules.yaml:3 rule r1", [])
    assert info.value.code.startswith(("expr-", "unknown-"))
    assert "rules.yaml:3 rule r1" in info.value.zh


def test_unknown_field_suggests_the_nearest_name() -> None:
    with pytest.raises(expr.ExprError) as info:
        expr.compile_expr("bed >= 20", FIELDS, None, "x")
    assert "未知字段 'bed'" in info.value.zh and "'beds'" in info.value.zh
    assert "did you mean 'beds'" in info.value.en


def test_allowed_expressions_compile_to_duckdb() -> None:
    c = expr.compile_expr("has_equipment('dr') AND beds BETWEEN param.lo AND 100 AND type_code IN ('C210')",
                          FIELDS, lambda n: "20", "", ["lo"])
    assert "list_contains" in c.sql.lower() or "array_contains" in c.sql.lower()
    assert c.params == {"lo"} and c.fields == {"beds", "type_code"}


def _copy_pack(tmp_path: Path, name: str = "yanggu-2024", source: str = "yanggu-2024") -> Path:
    dst = tmp_path / name
    shutil.copytree(PACKS_DIR / source, dst)
    return dst


def test_lint_names_file_line_rule_and_suggestion(tmp_path: Path) -> None:
    p = _copy_pack(tmp_path, "badpack")
    text = (p / "rules.yaml").read_text(encoding="utf-8").replace(
        "observed: floor_area_incl_toilet_m2\n  min: param.clinic_floor_min_m2",
        "observed: floor_area_incl_toilet\n  min: param.clinic_floor_min_m2")
    (p / "rules.yaml").write_text(text, encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "wangdi", "packs", "lint", str(p)], capture_output=True, text=True)
    assert res.returncode == 1
    assert "badpack/rules.yaml:" in res.stdout and "rule clinic_floor_area" in res.stdout
    assert "是否为 'floor_area_incl_toilet_m2'" in res.stdout


def test_unknown_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    p = _copy_pack(tmp_path)
    text = (p / "rules.yaml").read_text(encoding="utf-8").replace("  group: equipment\n", "  grup: equipment\n", 1)
    (p / "rules.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PackError) as info:
        pack.load(str(p))
    assert "未知的键 'grup'" in info.value.zh and "是否为 'group'" in info.value.zh
    assert "rules.yaml:" in info.value.zh


def _child(tmp_path: Path, parents: list[str], rules: str = "", params: str = "") -> Path:
    d = tmp_path / "child"
    d.mkdir(exist_ok=True)
    (d / "pack.yaml").write_text(f"id: child\ntitle: t\njurisdiction: '371521'\nregion: '371521'\nparents: {parents}\n",
                                 encoding="utf-8")
    (d / "rules.yaml").write_text(rules or "[]", encoding="utf-8")
    (d / "parameters.yaml").write_text(params or "[]", encoding="utf-8")
    return d


def test_child_overrides_parent_parameter_by_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pack, "PACKS_DIR", PACKS_DIR)
    params = """
- id: clinic_floor_min_m2
  clause: x
  text: 县里更严
  summary: stricter
  values: [{value: 120, from: 2024-07-18, jurisdiction: "371521"}]
"""
    child = pack.load(str(_child(tmp_path, [str(PACKS_DIR / "yanggu-2024")], params=params)))
    assert child.parameters["clinic_floor_min_m2"].pack == "child"
    assert child.rules["clinic_floor_area"].pack == "yanggu-2024"
    case = {"name": "110 fails under 120", "rule": "clinic_floor_area",
            "entity": {"type_code": "D600", "floor_area_incl_toilet_m2": 110}, "expect": {"outcome": "fail", "gap": 10}}
    assert run_case(child, case).ok


def test_two_parents_defining_one_rule_is_a_conflict(tmp_path: Path) -> None:
    a = _copy_pack(tmp_path, "a")
    (a / "pack.yaml").write_text((a / "pack.yaml").read_text(encoding="utf-8").replace("id: yanggu-2024", "id: a"),
                                 encoding="utf-8")
    b = _copy_pack(tmp_path, "b")
    (b / "pack.yaml").write_text((b / "pack.yaml").read_text(encoding="utf-8").replace("id: yanggu-2024", "id: b"),
                                 encoding="utf-8")
    with pytest.raises(PackError) as info:
        pack.load(str(_child(tmp_path, [str(a), str(b)])))
    assert info.value.code == "pack-conflict"


def test_two_values_in_force_for_one_jurisdiction_is_a_conflict() -> None:
    p = pack.Parameter("x", "c", "t", "s", [{"value": 1, "from": date(2024, 1, 1), "jurisdiction": "37"},
                                             {"value": 2, "from": date(2025, 1, 1), "jurisdiction": "37"}])
    assert "THEN 1 ELSE NULL" in engine.param_sql(p, date(2024, 6, 1))
    with pytest.raises(WangdiError) as info:
        engine.param_sql(p, date(2025, 6, 1))
    assert info.value.code == "parameter-conflict"


def test_most_specific_jurisdiction_wins_and_none_in_force_is_null() -> None:
    p = pack.Parameter("x", "c", "t", "s", [{"value": 1000, "from": date(2020, 1, 1), "jurisdiction": "36"},
                                             {"value": 1200, "from": date(2020, 1, 1), "jurisdiction": "360702"}])
    sql = engine.param_sql(p, date(2024, 1, 1))
    assert sql.index("360702") < sql.index("'36'")
    assert engine.param_sql(p, date(2019, 1, 1)) == "NULL"


def test_a_wrong_expectation_is_reported_as_failing() -> None:
    p = pack.load("yanggu-2024")
    case = {"name": "deliberately wrong", "rule": "clinic_floor_area",
            "entity": {"type_code": "D600", "floor_area_incl_toilet_m2": 50}, "expect": "pass"}
    result = run_case(p, case)
    assert not result.ok and "fail" in result.detail


def test_evaluate_writes_rows_with_every_field(yanggu_db: str, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    res = subprocess.run([sys.executable, "-m", "wangdi", "evaluate", "--pack", "yanggu-2024", "--region", "371521",
                          "--as-of", "2026-12-31", "--out", str(out)], capture_output=True, text=True,
                         env={**__import__("os").environ, "WANGDI_DATABASE_URL": yanggu_db})
    assert res.returncode == 0, res.stdout + res.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    need = {"run_id", *RESULT_COLUMNS}
    assert rows and all(need == set(r) for r in rows), "typed columns only: no display text in the results"
    outcomes = {r["outcome"] for r in rows}
    assert {"pass", "fail", "not_applicable"} <= outcomes
    fail = next(r for r in rows if r["rule_id"] == "clinic_floor_area" and r["outcome"] == "fail")
    # 三（一）3 「房屋面积（含厕所）达到100平方米以上」: the bound is the clause's 100, the gap the shortfall
    assert fail["required_min"] == 100 and fail["observed"] < 100 and fail["unit"] == "m²"
    assert fail["gap"] == pytest.approx(100 - fail["observed"])
    assert "低于 100m²" in formatting.describe(fail, pack.load("yanggu-2024").rules["clinic_floor_area"])


def test_results_agree_with_the_registry(yanggu_db: str) -> None:
    run_id, res = runs.evaluate("yanggu-2024", "371521", date(2026, 12, 31), yanggu_db)
    data = runs.load_dataset("371521", date(2026, 12, 31), yanggu_db)
    inst = data.tables["institution"].filter(pl.col("type_code") == "D600")
    small = inst.filter(pl.col("floor_area_incl_toilet_m2") < 100).height
    fails = res.filter((pl.col("rule_id") == "clinic_floor_area") & (pl.col("outcome") == "fail")).height
    assert fails == small
    stored = runs.run_results(run_id, yanggu_db)
    assert stored.height == res.height


def test_explain_names_inputs_parameters_and_clauses(yanggu_db: str) -> None:
    run_id, res = runs.evaluate("yanggu-2024", "371521", date(2026, 12, 31), yanggu_db)
    row = res.filter((pl.col("rule_id") == "clinic_floor_area") & (pl.col("outcome") == "fail")).row(0, named=True)
    info = api.explain(run_id, "clinic_floor_area", row["entity_code"], yanggu_db)
    assert info["rule"]["clause"] == "三（一）3" and "100平方米" in info["rule"]["text"]
    assert "floor_area_incl_toilet_m2" in info["inputs"]
    assert info["parameters"][0]["id"] == "clinic_floor_min_m2" and info["parameters"][0]["from_pack"] == "yanggu-2024"
    assert info["stored"][0]["outcome"] == "fail" and not info["data_changed_since_run"]


def test_explain_binds_the_entity_code_instead_of_pasting_it(yanggu_db: str) -> None:
    """Issue 13 item 1: `explain` built its SQL with the entity code unquoted; a quote in it read another row."""
    run_id, _ = runs.evaluate("yanggu-2024", "371521", date(2026, 12, 31), yanggu_db)
    info = runs.explain(run_id, "clinic_floor_area", "x' OR '1'='1", yanggu_db)
    assert info["inputs"] == {} and info["stored"] == []


def test_runs_compare_shows_what_changed(yanggu_db: str) -> None:
    a, _ = runs.evaluate("yanggu-2024", "371521", date(2025, 12, 31), yanggu_db)
    b, _ = runs.evaluate("yanggu-2024", "371521", date(2026, 12, 31), yanggu_db)
    diff = api.runs_compare(a, b, yanggu_db)
    assert diff.height > 0
    assert set(diff["rule_id"].to_list()) >= {"clinic_six_haves"}  # not_yet_due in 2025, fail in 2026
    assert len(api.runs_list(yanggu_db)) == 2


def test_every_shipped_pack_lints_and_its_tests_pass() -> None:
    for pid in pack.available():
        p = pack.load(pid)
        results = run_pack_tests(p)
        assert results, f"{pid} has no test cases"
        failed = [r for r in results if not r.ok]
        assert not failed, [(r.name, r.detail) for r in failed]



def test_a_pack_outside_its_jurisdiction_is_refused_unless_what_if(yanggu_db: str, tmp_path: Path) -> None:
    """Issue 12 item 8: 开封's plan (jurisdiction 4102) over 阳谷 (371521) is refused; --what-if runs it, marked."""
    with pytest.raises(WangdiError) as err:
        runs.evaluate("kaifeng-2021", "371521", date(2025, 12, 31), yanggu_db)
    assert err.value.code == "outside-jurisdiction" and "--what-if" in err.value.zh and "开封" in err.value.zh
    out = tmp_path / "w.xlsx"
    run_id, _ = api.evaluate("kaifeng-2021", "371521", date(2025, 12, 31), out, yanggu_db, what_if=True)
    assert runs.get_run(run_id, yanggu_db)["scenario"] == runs.WHAT_IF
    import openpyxl

    column = [c.value for c in next(openpyxl.load_workbook(out).active.iter_cols(max_col=1))]
    assert column[0] == "推演" and set(column[1:]) == {"推演：规则包管辖范围外"} and len(column) > 1
    inside, _ = runs.evaluate("yanggu-2024", "371521108", date(2025, 12, 31), yanggu_db)  # a township inside: fine
    assert runs.get_run(inside, yanggu_db)["scenario"] is None
