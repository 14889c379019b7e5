"""Synthetic visit records (labelled synthetic everywhere) over a registry's institutions, written in chunks.

Output: a hive-partitioned Parquet folder `province=PP/month=YYYY-MM/part-C-N.parquet`, every row with
`synthetic = true`, the file metadata
`synthetic=true` and a _SYNTHETIC.md note (readers skip names starting with _). Memory stays at one chunk.
Shares are plausible, not measured: residents mostly visit their own township or county, primary
institutions see outpatients, level-1 operations happen at THCs and county hospitals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

PRIMARY = ("B100", "B200", "C210", "C220", "D600")
DEPARTMENTS = np.array(["内科", "外科", "妇产科", "儿科", "中医科", "急诊科", "全科医疗科", "口腔科"])
NOTE = ("# 合成数据（synthetic）\n\n本目录的就诊记录由 wangdi 生成（`wangdi.visits.synth`），不是真实数据，"
        "仅用于测试和性能基准。Synthetic visit records made by wangdi for tests and benchmarks; not real data.\n")


def _weights(types: np.ndarray) -> np.ndarray:
    w = np.select([types == "D600", types == "B200", np.isin(types, ["C210", "C220", "B100"]),
                   np.isin(types, ["A100", "A210"])], [1.0, 2.0, 12.0, 60.0], default=15.0)
    return np.asarray(w / w.sum())


def chunks(institutions: pl.DataFrame, counties: list[str], rows: int, year: int, seed: int = 1,
           chunk: int = 2_000_000) -> Iterator[pa.Table]:
    """Yield Arrow tables of at most `chunk` rows until `rows` records are made."""
    rng = np.random.default_rng(seed)
    codes = institutions["code"].to_numpy().astype(str)
    divs = institutions["division_code"].to_numpy().astype(str)
    types = institutions["type_code"].to_numpy().astype(str)
    w, others = _weights(types), np.array(counties)
    day0, days = np.datetime64(date(year, 1, 1)), 365
    made = 0
    while made < rows:
        n = min(chunk, rows - made)
        i = rng.choice(len(codes), n, p=w)
        div, t = divs[i], types[i]
        county = np.array([d[:6] for d in div]) if n <= 10_000 else pl.Series(div).str.slice(0, 6).to_numpy()
        r = rng.random(n)
        elsewhere = others[rng.integers(0, len(others), n)]
        residence = np.where(r < 0.55, div, np.where(r < 0.86, county, elsewhere))
        prim = np.isin(t, PRIMARY)
        k = rng.random(n)
        kind = np.where(np.isin(t, ["D600", "B200"]) | (k < 0.86), "outpatient",
                        np.where(k < 0.91, "emergency", "inpatient"))
        inpatient = kind == "inpatient"
        operated = inpatient & (rng.random(n) < 0.35)
        grade = np.where(prim, 1, rng.integers(1, 5, n))
        cost = np.round(np.exp(rng.normal(np.where(inpatient, 8.3, 4.6) + np.where(prim, -0.5, 0.3), 0.6)), 2)
        policy = np.round(cost * rng.uniform(0.75, 0.98, n), 2)
        paid = np.round(policy * np.where(inpatient, rng.uniform(0.5, 0.8, n),
                                          np.where(prim, rng.uniform(0.5, 0.75, n), rng.uniform(0.3, 0.6, n))), 2)
        dates = day0 + rng.integers(0, days, n).astype("timedelta64[D]")
        yield pa.table({
            "visit_id": pa.array(np.char.add(f"S{seed:02d}", np.arange(made, made + n).astype(str))),
            "residence_code": pa.array(residence), "institution_code": pa.array(codes[i]),
            "visit_date": pa.array(dates.astype("datetime64[D]")), "kind": pa.array(kind),
            "department": pa.array(DEPARTMENTS[rng.integers(0, len(DEPARTMENTS), n)]),
            "surgery_grade": pa.array(np.where(operated, grade, 0), mask=~operated),
            "total_cost": pa.array(cost), "policy_cost": pa.array(policy), "fund_paid": pa.array(paid),
            "synthetic": pa.array(np.ones(n, dtype=bool)),
            "province": pa.array(np.array([d[:2] for d in div]) if n <= 10_000 else pl.Series(div).str.slice(0, 2).to_numpy()),
            "month": pa.array(pl.Series(dates.astype("datetime64[D]")).dt.strftime("%Y-%m").to_numpy()),
        })
        made += n


def write(out: Path, institutions: pl.DataFrame, counties: list[str], rows: int, year: int, seed: int = 1,
          chunk: int = 2_000_000) -> int:
    """Write `rows` synthetic records under `out` (hive partitions province/month); returns rows written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "_SYNTHETIC.md").write_text(NOTE, encoding="utf-8")
    fmt = ds.ParquetFileFormat()
    part = ds.partitioning(pa.schema([("province", pa.string()), ("month", pa.string())]), flavor="hive")
    total = 0
    for c, table in enumerate(chunks(institutions, counties, rows, year, seed, chunk)):
        table = table.replace_schema_metadata({"synthetic": "true", "made_by": "wangdi.visits.synth"})
        ds.write_dataset(table, str(out), format=fmt, partitioning=part, basename_template=f"part-{c}-{{i}}.parquet",
                         existing_data_behavior="overwrite_or_ignore",
                         file_options=fmt.make_write_options(compression="zstd"))
        total += table.num_rows
    return total
