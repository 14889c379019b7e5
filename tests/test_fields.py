"""Derived fields from raw registry rows (issue 14 items 1–2), as OpenFisca tests `age` from `birth`.

Every expected value below is worked out by hand from the raw rows: birth and start/end dates on days
other than 31 December, staff who have left or not yet started, blanks.
"""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.policy import fields, pack, testing
from wangdi.policy.fields import Dataset
from wangdi.registry.schema import TABLE_MAP, TABLES
from wangdi.registry.store import polars_schema

ROOT = Path(__file__).resolve().parents[1]
COUNTY = "371521"  # 阳谷县
VILLAGE = "371521108201"
SIX = ("has_exam_bed", "has_smart_followup", "has_rehab_equipment", "has_exam_equipment", "has_toilet_and_ac",
       "has_health_education")


def dataset(rows: dict[str, list[dict[str, Any]]], as_of: date, region: str = COUNTY) -> Dataset:
    """Registry tables from raw rows (unset columns blank), the region's real divisions."""
    tables = {}
    for t in TABLES:
        schema = polars_schema(t)
        tables[t.name] = pl.DataFrame([{c: r.get(c) for c in schema} for r in rows.get(t.name, [])], schema=schema)
    divs = divisions.reference().filter(pl.col("code").str.starts_with(region[:6]))
    return Dataset(tables, divs, as_of, region)


def derived(rows: dict[str, list[dict[str, Any]]], as_of: date, pack_id: str = "", region: str = COUNTY
            ) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    fields.build(con, dataset(rows, as_of, region))
    if pack_id:
        fields.apply_pack_fields(con, pack.load(pack_id).derived)
    return con


def inst(code: str, type_code: str = "D600", division: str = VILLAGE, **kw: Any) -> dict[str, Any]:
    return {"code": code, "name": code, "type_code": type_code, "division_code": division, **kw}


def person(code: str, inst_code: str = "C1", qualification: str = "village_doctor", **kw: Any) -> dict[str, Any]:
    return {"staff_code": code, "institution_code": inst_code, "name": code, "category": "health_tech",
            "qualification": qualification, **kw}


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchall()[0][0]


# --- age, with the birthday correction, and the 60-year line ---------------------------------------

@pytest.mark.parametrize(("as_of", "age", "sixty_plus"), [
    (date(2025, 7, 14), 59, 0),  # the day before the 60th birthday (born 1965-07-15)
    (date(2025, 7, 15), 60, 1),  # the birthday itself: 60 full years
    (date(2026, 3, 1), 60, 1),
])
def test_age_counts_full_years_with_the_birthday_correction(as_of: date, age: int, sixty_plus: int) -> None:
    con = derived({"institution": [inst("C1")], "staff": [person("P1", birth_date=date(1965, 7, 15))]}, as_of)
    assert one(con, "SELECT age FROM v_ent_staff WHERE staff_code = 'P1'") == age
    assert one(con, "SELECT village_doctors_60_plus FROM ent_institution WHERE code = 'C1'") == sixty_plus


def test_village_doctors_60_plus_is_sixty_not_sixty_one() -> None:
    # 002 三（二）4 "年满60周岁": born 1964-02-29 → 61 on 2025-03-01; born 1965-01-02 → 60 on 2025-06-30
    staff = [person("A", birth_date=date(1965, 1, 2)), person("B", birth_date=date(1964, 2, 29)),
             person("C", birth_date=date(1965, 7, 1)), person("D")]  # C is 59; D's birth date is blank
    con = derived({"institution": [inst("C1")], "staff": staff}, date(2025, 6, 30))
    assert one(con, "SELECT village_doctors_60_plus FROM ent_institution") == 2
    assert one(con, "SELECT village_doctors_age_unknown FROM ent_institution") == 1  # a blank is not "under 60"
    assert one(con, "SELECT age FROM v_ent_staff WHERE staff_code = 'D'") is None


# --- staff in post: start and end dates --------------------------------------------------------------

def test_staff_who_have_left_or_not_yet_started_are_not_counted() -> None:
    staff = [person("in", start_date=date(2019, 5, 6)),
             person("left", start_date=date(2018, 1, 1), end_date=date(2025, 4, 30)),
             person("leaves_today", end_date=date(2025, 6, 30)),  # end date = last day: gone on the as-of date
             person("leaves_later", end_date=date(2025, 9, 30)),
             person("starts_later", start_date=date(2025, 8, 1)),
             person("dr", qualification="licensed_physician", practice_category="clinical")]
    con = derived({"institution": [inst("C1")], "staff": staff}, date(2025, 6, 30))
    row = con.execute("SELECT staff_total, village_doctors, physicians, licensed_or_village_doctors "
                      "FROM ent_institution").fetchall()[0]
    assert row == (3, 2, 1, 3)  # in, leaves_later (village doctors) and dr
    assert sorted(r[0] for r in con.execute("SELECT staff_code FROM v_ent_staff").fetchall()) == \
        ["dr", "in", "leaves_later"]


def test_years_in_post_uses_the_anniversary() -> None:
    con = derived({"institution": [inst("C1")], "staff": [person("P", start_date=date(2020, 9, 1))]},
                  date(2025, 8, 31))
    assert one(con, "SELECT years_in_post FROM v_ent_staff") == 4  # five years only on 2025-09-01


# --- Yanggu's 六有, declared in its pack -------------------------------------------------------------

def test_six_haves_counts_each_of_the_six_terms() -> None:
    clinics = [inst("ALL", **dict.fromkeys(SIX, True))]
    clinics += [inst(f"NO_{f}", **{g: g != f for g in SIX}) for f in SIX]  # each term missing once
    clinics.append(inst("BLANK", **{g: True for g in SIX[:5]}))  # 有健康宣教设施 blank
    con = derived({"institution": clinics}, date(2025, 6, 30), "yanggu-2024")
    got = dict(con.execute("SELECT code, six_haves FROM ent_institution").fetchall())
    assert got["ALL"] == 6
    for f in SIX:
        assert got[f"NO_{f}"] == 5, f"{f} is one of the six"
    assert got["BLANK"] is None  # blank is never "not present"


def test_six_haves_is_not_known_to_the_engine() -> None:
    assert "six_haves" not in fields.fields_of("institution")
    assert "six_haves" in fields.fields_of("institution", pack.load("yanggu-2024").derived)
    assert "six_haves" not in fields.fields_of("institution", pack.load("kaifeng-2021").derived)


def test_pack_tests_cannot_set_a_derived_field_directly() -> None:
    p = pack.load("yanggu-2024")
    got = testing.run_case(p, {"name": "x", "rule": "clinic_six_haves", "entity": {"type_code": "D600", "six_haves": 6},
                               "expect": "pass"})
    assert not got.ok and "six_haves" in got.detail


# --- training windows: the reporting year, and any date ----------------------------------------------

def test_training_in_the_reporting_year_and_the_latest_training_date() -> None:
    trainings = [{"training_id": "T1", "staff_code": "P", "course": "x", "start_date": date(2024, 3, 4),
                  "end_date": date(2024, 3, 8), "hours": 30.0},
                 {"training_id": "T2", "staff_code": "P", "course": "y", "start_date": date(2025, 5, 6),
                  "end_date": date(2025, 5, 6), "hours": 8.0},
                 {"training_id": "T3", "staff_code": "P", "course": "z", "start_date": date(2025, 9, 1)}]  # after as-of
    con = derived({"institution": [inst("C1")], "staff": [person("P")], "training": trainings}, date(2025, 6, 30))
    row = con.execute("SELECT training_count, training_days, training_hours, last_training_date, first_training_date "
                      "FROM v_ent_staff").fetchall()[0]
    assert row == (1, 1, 8.0, date(2025, 5, 6), date(2024, 3, 4))


# --- one declaration: the engine's types are the pack harness's types ---------------------------------

def test_types_come_from_one_declaration() -> None:
    rows = {"institution": [inst("C1", "C210", "371521108")], "population": [
        {"division_code": COUNTY, "year": 2024, "resident": 1, "pure_pastoral": True}]}
    con = derived(rows, date(2025, 6, 30))
    fields.apply_pack_fields(con, pack.load("ordos-2024").derived)
    for entity in fields.ENTITIES:
        table = "ent_institution" if entity == "institution" else f"v_ent_{entity}"
        got = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        harness = testing.field_types(entity, pack.load("ordos-2024").derived)
        declared = fields.field_types(entity, pack.load("ordos-2024").derived)
        assert set(got) == set(declared), entity
        for name, typ in declared.items():
            assert got[name] == typ, f"{entity}.{name}: built {got[name]}, declared {typ}"
        frame = pl.DataFrame(schema=harness)
        assert set(frame.columns) == set(got)
    assert fields.field_types("institution")["county_pure_pastoral"] == "BOOLEAN"
    assert testing.field_types("institution")["county_pure_pastoral"] == pl.Boolean()
    assert one(con, "SELECT pure_pastoral_banner FROM ent_institution") is True


def test_pack_field_expressions_go_through_the_whitelist() -> None:
    bad = [{"name": "x", "entity": "institution", "type": "INTEGER", "label": "x", "expr": "(SELECT 1)"},
           {"name": "x", "entity": "institution", "type": "INTEGER", "label": "x", "expr": "read_csv('/etc/passwd')"},
           {"name": "x", "entity": "institution", "type": "INTEGER", "label": "x", "expr": "no_such_field + 1"},
           {"name": "beds", "entity": "institution", "type": "INTEGER", "label": "x", "expr": "1"},
           {"name": "x", "entity": "institution", "type": "BLOB", "label": "x", "expr": "1"}]
    for item in bad:
        with pytest.raises(WangdiError):
            fields.pack_fields([item], "t", "t/pack.yaml")


def test_default_entity_region_is_the_packs_own() -> None:
    assert testing.default_entity_region("institution", "150621").startswith("150621")
    assert len(testing.default_entity_region("township", "1306")) == 9


def test_fields_doc_is_generated_from_the_catalogue() -> None:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = (ROOT / "docs" / "fields.md").read_text(encoding="utf-8")
    assert text == mod.render_fields(), "docs/fields.md is stale: run python scripts/gen_docs.py"
    for f in fields.declared("staff"):
        assert f"`{f.name}`" in text
    assert TABLE_MAP["institution"].name in text
