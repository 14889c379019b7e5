"""Clause tests from workbook rows: a census typed in as a user fills the template, imported for real.

A test module describes its census as raw rows (Chinese labels as the template's drop-down lists
show them, dates as a user types them, None for a blank cell), `Census.evaluate` writes them into
the census workbook with the project's template writer, imports the workbook through
`exchange.import_census` into a fresh SQLite database, evaluates a pack over it and returns the
verdicts. Results are read in ONE place, `read_verdicts`, so that a change of the result frame's
columns is a one-place change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wangdi import exchange
from wangdi.exchange.writers import write_xlsx
from wangdi.policy import runs
from wangdi.registry import store
from wangdi.registry.schema import TABLE_MAP
from wangdi.registry.store import polars_schema

Row = dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    """A rule's verdict on one entity (institution, person, region): outcome and gap in the rule's unit."""

    outcome: str
    gap: float | None


def read_verdicts(results: pl.DataFrame) -> dict[tuple[str, str], Verdict]:
    """THE one reader of result columns: (rule id, entity code) → Verdict."""
    out: dict[tuple[str, str], Verdict] = {}
    for r in results.select("rule_id", "entity_code", "outcome", "gap").iter_rows(named=True):
        out[(r["rule_id"], r["entity_code"])] = Verdict(str(r["outcome"]), r["gap"])
    return out


def _frame(table: str, rows: list[Row]) -> pl.DataFrame:
    """Rows as typed in: code fields may be Chinese labels (kept as text), dates 'YYYY-MM-DD' or date objects."""
    spec = TABLE_MAP[table]
    schema = polars_schema(spec)
    unknown = {k for r in rows for k in r} - set(spec.columns)
    if unknown:
        raise KeyError(f"{table}: unknown columns {sorted(unknown)}")
    cols: dict[str, list[Any]] = {}
    for f in spec.fields:
        vals = [r.get(f.name) for r in rows]
        if f.kind == "date":
            vals = [date.fromisoformat(v) if isinstance(v, str) else v for v in vals]
        cols[f.name] = vals
    dtypes = {n: (pl.String() if spec.field_map[n].kind == "code" else t) for n, t in schema.items()}
    return pl.DataFrame(cols, schema=dtypes)


@dataclass
class Census:
    """A small census: raw rows per table (names as in the template: 机构, 人员, 设备, 人口, 下沉派驻…)."""

    region: str
    census_date: date
    rows: dict[str, list[Row]]
    workdir: Path
    _url: str = ""
    _error: str = ""
    _cache: dict[tuple[str, date], dict[tuple[str, str], Verdict]] = field(default_factory=dict)

    def workbook(self) -> Path:
        out = self.workdir / "census.xlsx"
        frames = {t: _frame(t, rows) for t, rows in self.rows.items()}
        write_xlsx(out, frames, {"region": self.region, "census_date": self.census_date.isoformat()})
        return out

    def url(self) -> str:
        if self._error:
            raise AssertionError(self._error)
        if not self._url:
            url = f"sqlite:///{self.workdir / 'census.sqlite'}"
            store.init_db(url)
            res = exchange.import_census(self.workbook(), url=url, effective=self.census_date, actor="clause-tests")
            if not res.written:
                self._error = "the census workbook did not import:\n" + res.report.text()
                raise AssertionError(self._error)
            self._url = url
        return self._url

    def evaluate(self, pack: str, as_of: date) -> dict[tuple[str, str], Verdict]:
        key = (pack, as_of)
        if key not in self._cache:
            _, results = runs.evaluate(pack, self.region, as_of, url=self.url(), store_run=False)
            self._cache[key] = read_verdicts(results)
        return self._cache[key]

    def verdict(self, pack: str, as_of: date, rule: str, entity: str) -> Verdict | None:
        """The verdict of `rule` on `entity`; None when the rule does not apply to it (no result row)."""
        return self.evaluate(pack, as_of).get((rule, entity))

    def close(self) -> None:
        if self._url:
            store._ENGINES.pop(self._url, None)
