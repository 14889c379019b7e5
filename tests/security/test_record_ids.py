"""Issue 13 item 10: record ids do not clash across regions. Synthetic ids start with the owning institution's
code; an imported visit/training/deployment id already used under another institution is refused."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.security.conftest import current
from wangdi import api
from wangdi.registry import store
from wangdi.registry.tables import CENSUS


def _activity(url: str) -> dict[str, list[tuple[object, ...]]]:
    out = {}
    with store.init_db(url).connect() as conn:
        for name in ("deployment", "training", "visit"):
            t = CENSUS[name]
            out[name] = sorted(tuple(r) for r in conn.execute(sa.select(t).where(t.c.valid_to.is_(None))))
    return out


@pytest.fixture(scope="module")
def ganzhou_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gz") / "ganzhou.xlsx"
    api.synth("360702", out, seed=1, year=2025)  # 章贡区, 赣州市 (synthetic)
    return out


def test_another_regions_synthetic_census_overwrites_nothing(sec_db: str, ganzhou_xlsx: Path) -> None:
    before = _activity(sec_db)
    assert before["training"] or before["deployment"]
    res = api.import_census(ganzhou_xlsx, url=sec_db)
    assert res.written, res.report.text()
    after = _activity(sec_db)
    for name, rows in before.items():
        assert set(rows) <= set(after[name]), name  # failed before: 13,253 Yanggu records replaced by Ganzhou's
        assert all(c["changed"] == 0 for c in [res.counts.get(name, {"changed": 0})]), name


def test_an_id_used_by_another_institution_is_refused(sec_db: str, tmp_path: Path) -> None:
    dep = current(sec_db, "deployment")[0]
    elsewhere = next(i for i in current(sec_db, "institution") if i["code"] != dep["to_code"])
    folder = tmp_path / "dep"
    folder.mkdir()
    with (folder / "deployment.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["deployment_id", "from_code", "to_code", "start_date"],
                                  [dep["deployment_id"], dep["from_code"], elsewhere["code"], "2025-03-01"]])
    res = api.import_census(folder, url=sec_db, dry_run=True)
    assert [(e.slug, e.row, e.field) for e in res.report.errors] == [("id-clash", 2, "deployment_id")]
