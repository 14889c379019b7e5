"""Statistical division codes (统计用区划代码, NBS 2023) shipped with the package.

Level follows from the code's length: 2 province, 4 prefecture, 6 county, 9 township, 12 village.
Every division carries valid_from/valid_to; the shipped tree is valid from the NBS data date and
recorded changes (merges, splits, renames) live in the database's `division_change` table.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import polars as pl

from wangdi.errors import WangdiError

DATA = Path(__file__).parent / "data" / "divisions.parquet"
DATA_DATE = date(2023, 6, 30)
LEVEL_BY_LEN = {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}
LEN_BY_LEVEL = {v: k for k, v in LEVEL_BY_LEN.items()}
LEVEL_ZH = {1: "省级", 2: "地级", 3: "县级", 4: "乡级", 5: "村级"}


def township_kind(code: str) -> str:
    """Kind of a 9-digit township code from its last three digits (GB/T 10114 rule)."""
    part = int(code[6:9])
    if part < 100:
        return "street"
    if part < 200:
        return "town"
    if part < 400:
        return "township"
    return "other"


def village_kind(code: str) -> str:
    """Kind of a 12-digit village code: 001–199 residents' committee, else village committee."""
    return "residents_committee" if int(code[9:12]) < 200 else "village_committee"


KIND_ZH = {"street": "街道", "town": "镇", "township": "乡/苏木", "other": "其他",
           "residents_committee": "居委会", "village_committee": "村委会/嘎查"}


def _with_derived(df: pl.DataFrame) -> pl.DataFrame:
    n = pl.col("code").str.len_bytes()
    part = pl.col("code").str.slice(-3).cast(pl.Int32, strict=False)
    return df.with_columns(
        level=n.replace_strict(LEVEL_BY_LEN, default=None, return_dtype=pl.Int8),
        parent_code=pl.when(n == 2).then(None).when(n == 4).then(pl.col("code").str.slice(0, 2))
        .when(n == 6).then(pl.col("code").str.slice(0, 4)).when(n == 9).then(pl.col("code").str.slice(0, 6))
        .otherwise(pl.col("code").str.slice(0, 9)),
        kind=pl.when(n == 9).then(
            pl.when(part < 100).then(pl.lit("street")).when(part < 200).then(pl.lit("town"))
            .when(part < 400).then(pl.lit("township")).otherwise(pl.lit("other"))
        ).when(n == 12).then(
            pl.when(part < 200).then(pl.lit("residents_committee")).otherwise(pl.lit("village_committee"))
        ),
    )


@lru_cache(maxsize=1)
def reference() -> pl.DataFrame:
    """The shipped tree: code, name, level, parent_code, kind, valid_from, valid_to."""
    df = pl.read_parquet(DATA)
    return _with_derived(df).with_columns(
        valid_from=pl.lit(DATA_DATE), valid_to=pl.lit(None, pl.Date)
    )


def tree(changes: pl.DataFrame | None = None, as_of: date | None = None) -> pl.DataFrame:
    """The tree in force on `as_of` (default: today), with recorded changes applied over the reference."""
    ref = reference()
    if changes is not None and changes.height:
        ch = _with_derived(changes.select("code", "name", "valid_from", "valid_to"))
        first = ch.group_by("code").agg(pl.col("valid_from").min().alias("closed_on"))
        ref = ref.join(first, on="code", how="left").with_columns(
            valid_to=pl.coalesce("closed_on", "valid_to")).drop("closed_on")
        ref = pl.concat([ref, ch.select(ref.columns)])
    d = as_of or date.today()
    return ref.filter((pl.col("valid_from") <= d) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > d)))


def get(code: str, df: pl.DataFrame | None = None) -> dict[str, object]:
    t = reference() if df is None else df
    row = t.filter(pl.col("code") == code)
    if row.is_empty():
        raise WangdiError("unknown-division", f"未知区划代码 {code}，请检查是否为 2/4/6/9/12 位统计用区划代码",
                          f"unknown division code {code}", {"code": code})
    return row.row(0, named=True)


def children(code: str, df: pl.DataFrame | None = None) -> pl.DataFrame:
    t = reference() if df is None else df
    return t.filter(pl.col("parent_code") == code).sort("code")


def descendants(code: str, level: int | None = None, df: pl.DataFrame | None = None) -> pl.DataFrame:
    t = reference() if df is None else df
    out = t.filter(pl.col("code").str.starts_with(code) & (pl.col("code") != code))
    return out if level is None else out.filter(pl.col("level") == level)


def find(name: str, limit: int = 50) -> pl.DataFrame:
    """Divisions whose name contains `name`, with their full path names."""
    t = reference()
    hits = t.filter(pl.col("name").str.contains(name, literal=True)).head(limit)
    return hits.with_columns(path=pl.Series([path_name(c) for c in hits["code"]], dtype=pl.String))


def path_name(code: str) -> str:
    t = reference()
    prefixes = [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]
    names = dict(t.filter(pl.col("code").is_in(prefixes)).select("code", "name").iter_rows())
    return " / ".join(names.get(p, p) for p in prefixes)


def known_codes() -> pl.Series:
    return reference()["code"]
