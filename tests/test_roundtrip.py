"""Property: import(export(db)) into an empty database, exported again, is byte-identical (xlsx and CSV)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wangdi import api
from wangdi.registry import store
from wangdi.registry.validate import records_as_incoming, validate

TEXT = st.text(alphabet=st.characters(codec="gb18030", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
               min_size=1, max_size=12).map(str.strip).filter(bool) | \
    st.sampled_from(["=1+1", "'=x", "''@SUM(A1)", "-5", "+x", "'", "'abc", "阎楼镇卫生院"])
TOWNS = ["371521108", "371521101", "371521203", "371521003"]

institution = st.fixed_dictionaries({
    "name": TEXT,
    "type_code": st.sampled_from(["C210", "C220", "B100", "A100"]),
    "division_code": st.sampled_from(TOWNS),
    "beds": st.none() | st.integers(0, 10_000),
    "floor_area_m2": st.none() | st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 2)),
    "is_sub_centre": st.none() | st.booleans(),
    "ownership": st.none() | st.sampled_from(["公有", "集体", "私有"]),
    "specialties": st.none() | TEXT,
})
person = st.fixed_dictionaries({
    "name": TEXT,
    "birth_date": st.none() | st.dates(date(1940, 1, 1), date(2005, 12, 31)),
    "category": st.sampled_from(["卫生技术人员", "管理人员"]),
    "qualification": st.none() | st.sampled_from(["执业医师", "乡村医生", "注册护士"]),
    "registered_gp": st.none() | st.booleans(),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(insts=st.lists(institution, min_size=1, max_size=6), people=st.lists(person, max_size=8),
       fmt=st.sampled_from(["xlsx", "csv"]))
def test_export_import_export_is_identical(insts: list[dict[str, object]], people: list[dict[str, object]],
                                           fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        first, second = f"sqlite:///{d / 'a.sqlite'}", f"sqlite:///{d / 'b.sqlite'}"
        rows = [{**r, "code": f"I{i}"} for i, r in enumerate(insts)]
        staff = [{**p, "staff_code": f"P{i}", "institution_code": f"I{i % len(rows)}"} for i, p in enumerate(people)]
        eng = store.init_db(first)
        with eng.begin() as conn:
            frames, report = validate([records_as_incoming("institution", rows),
                                       records_as_incoming("staff", staff)], conn)
            assert report.valid, report.text()
            store.write_tables(conn, frames, date(2025, 12, 31), "prop")
        out1 = d / ("one.xlsx" if fmt == "xlsx" else "one")
        api.export_census(out1, url=first, fmt=fmt)
        res = api.import_census(out1, url=second)
        assert res.written, res.report.text()
        out2 = d / ("two.xlsx" if fmt == "xlsx" else "two")
        api.export_census(out2, url=second, fmt=fmt)
        files = [out1] if fmt == "xlsx" else sorted(out1.iterdir())
        for f in files:
            assert f.read_bytes() == (out2 / f.name if fmt == "csv" else out2).read_bytes(), f.name
        with store.engine(second).connect() as c:
            got = store.snapshot(c, "institution")
        assert got["name"].to_list() == [r["name"] for r in rows]
        assert got.select(pl.col("beds")).to_series().to_list() == [r["beds"] for r in rows]
        for url in (first, second):
            store._ENGINES.pop(url).dispose()
