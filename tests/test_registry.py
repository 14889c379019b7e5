"""Issue 2: divisions, registry validation, versioning and audit."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from wangdi import api, divisions
from wangdi.registry import store
from wangdi.registry.validate import records_as_incoming, validate


def test_yanggu_has_18_townships_and_379_villages() -> None:
    info = api.region_show("371521")
    assert len(info["children"]) == 18
    assert info["village_count"] == 379
    names = [c["name"] for c in info["children"]]
    assert "阎楼镇" in names and "大布乡" in names
    assert sum(c["villages"] for c in info["children"]) == 379


def test_division_kinds_follow_the_code() -> None:
    assert divisions.township_kind("371521003") == "street"
    assert divisions.township_kind("371521108") == "town"
    assert divisions.township_kind("371521203") == "township"
    assert divisions.village_kind("371521108001") == "residents_committee"
    assert divisions.village_kind("371521108201") == "village_committee"
    ref = divisions.reference()
    assert ref.filter(pl.col("code") == "371521203")["kind"].item() == "township"
    assert ref.height == 665_276
    assert ref.filter(pl.col("level") == 5).height > 600_000


def test_find_by_name_gives_paths() -> None:
    hits = api.regions_find("李台镇")
    assert any(h["code"] == "371521108" and "阳谷县" in h["path"] for h in hits)


def test_recorded_change_supersedes_the_reference_from_its_date() -> None:
    changes = pl.DataFrame({"code": ["371521203"], "name": ["大布镇"], "valid_from": [date(2030, 1, 1)],
                            "valid_to": [None]}, schema_overrides={"valid_to": pl.Date})
    before = divisions.tree(changes, date(2029, 12, 31))
    after = divisions.tree(changes, date(2030, 1, 2))
    assert before.filter(pl.col("code") == "371521203")["name"].to_list() == ["大布乡"]  # history kept
    assert after.filter(pl.col("code") == "371521203")["name"].to_list() == ["大布镇"]


def _write(url: str, table: str, rows: list[dict[str, object]], eff: date = date(2025, 1, 1)) -> object:
    eng = store.init_db(url)
    with eng.begin() as conn:
        frames, report = validate([records_as_incoming(table, rows)], conn)
        if not report.valid:
            return report
        return store.write_tables(conn, frames, eff, "tester")


THC = {"code": "T1", "name": "李台中心卫生院", "type_code": "C210", "division_code": "371521108", "beds": 40}


@pytest.mark.parametrize(("row", "slug", "field"), [
    ({**THC, "division_code": "371521999"}, "unknown-division", "division_code"),
    ({**THC, "type_code": "Z999"}, "type-error", "type_code"),
    ({**THC, "beds": -3}, "below-minimum", "beds"),
    ({**THC, "type_code": "D600", "code": "V1"}, "clinic-without-manager", "manager_code"),
    ({**THC, "manager_code": "NOPE"}, "unknown-reference", "manager_code"),
    ({**THC, "division_code": "37"}, "wrong-division-level", "division_code"),
])
def test_bad_institution_is_rejected_naming_record_and_field(db_url: str, row: dict[str, object], slug: str,
                                                             field: str) -> None:
    report = _write(db_url, "institution", [row])
    errs = report.errors  # type: ignore[attr-defined]
    assert [e.slug for e in errs] == [slug]
    assert errs[0].field == field and errs[0].row == 1
    assert "，" in errs[0].zh or errs[0].zh  # Chinese message present
    with store.engine(db_url).connect() as c:
        assert store.snapshot(c, "institution").height == 0
        assert store.read_audit(c) == []


def test_duplicate_codes_and_future_birth_dates_are_rejected(db_url: str) -> None:
    report = _write(db_url, "institution", [THC, THC])
    assert {e.slug for e in report.errors} == {"duplicate-key"}  # type: ignore[attr-defined]
    _write(db_url, "institution", [THC])
    future = (date.today() + timedelta(days=2)).isoformat()
    report = _write(db_url, "staff", [{"staff_code": "P1", "institution_code": "T1", "name": "王伟",
                                       "category": "卫生技术人员", "birth_date": future}])
    assert [e.slug for e in report.errors] == ["future-date"]  # type: ignore[attr-defined]


def test_changes_are_versioned_and_audited_old_to_new(db_url: str) -> None:
    _write(db_url, "institution", [THC], date(2024, 1, 1))
    summary = _write(db_url, "institution", [{**THC, "beds": 55}], date(2025, 7, 1))
    assert summary.counts["institution"].changed == 1  # type: ignore[attr-defined]
    with store.engine(db_url).connect() as c:
        assert store.snapshot(c, "institution", date(2024, 12, 31))["beds"].item() == 40
        assert store.snapshot(c, "institution", date(2025, 7, 1))["beds"].item() == 55
        assert store.snapshot(c, "institution")["beds"].item() == 55
        assert store.snapshot(c, "institution", date(2023, 1, 1)).height == 0
    log = api.audit_log("T1", url=db_url)
    assert [r["action"] for r in log] == ["change", "add"]
    assert json.loads(log[0]["old"]) == {"beds": 40} and json.loads(log[0]["new"]) == {"beds": 55}
    assert log[0]["actor"] == "tester"


def test_reimporting_the_same_rows_changes_nothing(db_url: str) -> None:
    _write(db_url, "institution", [THC])
    summary = _write(db_url, "institution", [THC])
    assert vars(summary.counts["institution"]) == {"added": 0, "changed": 0, "unchanged": 1}  # type: ignore[attr-defined]


def test_migrations_match_the_declared_tables(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from wangdi.registry.tables import metadata

    with store.engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"schema.py/tables.py changed without a migration: {diff}"
