"""Evaluate each seed city's synthetic census with its own pack; print outcome counts (docs/evaluations.md)."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from wangdi import api

CITIES = [("4102", "kaifeng-2021", date(2025, 12, 31)), ("3607", "ganzhou-2019", date(2025, 12, 31)),
          ("1506", "ordos-2024", date(2025, 12, 31)), ("371521", "yanggu-2024", date(2026, 12, 31)),
          ("1306", "baoding-2023", date(2025, 12, 31))]


def main() -> None:
    out = []
    for region, pack, as_of in CITIES:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'c.sqlite'}"
            api.synth(region, Path(tmp) / "census", seed=1, fmt="parquet")
            api.import_census(Path(tmp) / "census", url=url)
            t = time.perf_counter()
            _, res = api.evaluate(pack, region, as_of, url=url)
            secs = time.perf_counter() - t
        counts = res.group_by("kind", "outcome").len().sort("kind", "outcome")
        cells = ", ".join(f"{k}/{o} {n:,}" for k, o, n in counts.iter_rows())
        out.append(f"| {region} | `{pack}` | {as_of} | {res.height:,} | {secs:.1f} s | {cells} |")
        print(out[-1], flush=True)
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    pl.Config.set_tbl_rows(50)
    main()
