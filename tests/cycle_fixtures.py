"""Shared set-up for the yearly-cycle tests: three synthetic census years of one Yanggu township, imported in order."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl

from wangdi import api
from wangdi.exchange.writers import write_any
from wangdi.synth.history import synthesise_years

TOWNSHIP = "371521101"  # 阎楼镇
YEARS = [2024, 2025, 2026]


def township_slice(frames: dict[str, pl.DataFrame], township: str) -> dict[str, pl.DataFrame]:
    """The census rows of one township (plus the county-level institutions its rows refer to)."""
    inst = frames["institution"].filter(pl.col("division_code").str.starts_with(township)
                                        | (pl.col("division_code").str.len_bytes() == 6))
    codes = inst["code"].to_list()
    staff = frames["staff"].filter(pl.col("institution_code").is_in(codes))
    out = {"institution": inst, "staff": staff,
           "population": frames["population"].filter(pl.col("division_code").str.starts_with(township)
                                                     | (pl.col("division_code").str.len_bytes() == 6)),
           "training": frames["training"].filter(pl.col("staff_code").is_in(staff["staff_code"].to_list())),
           "deployment": frames["deployment"].filter(pl.col("to_code").is_in(codes) & pl.col("from_code").is_in(codes))}
    for t in ("equipment", "service", "contract", "visit"):
        out[t] = frames[t].filter(pl.col("institution_code").is_in(codes))
    return out


def history_files(folder: Path, seed: int = 1) -> dict[int, Path]:
    """One parquet census folder per year for the township, dated 31 December."""
    paths = {}
    for year, frames in synthesise_years("371521", seed, YEARS).items():
        p = folder / f"census-{year}"
        write_any(p, township_slice(frames, TOWNSHIP),
                  {"census_date": date(year, 12, 31).isoformat(), "synthetic": "true"}, "parquet")
        paths[year] = p
    return paths


def load_years(url: str, paths: dict[int, Path], years: list[int], evaluate: bool = True) -> None:
    for y in years:
        res = api.import_census(paths[y], url=url)
        assert res.written, res.report.text()
        if evaluate:
            api.evaluate("yanggu-2024", TOWNSHIP, date(y, 12, 31), url=url)


def copy_db(src: Path, dst: Path) -> str:
    shutil.copy(src, dst)
    return f"sqlite:///{dst}"
