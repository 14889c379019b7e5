"""Synthetic registry facts and reported indicator values (labelled synthetic), for the provisions that need them.

Institutions get a catchment population (CHCs, stations), a disease-capability count and, for TCM-featured
THCs, the workstation contents; each declared indicator gets a value for the year at its level in the region,
except about one in five left unreported so that `待 … 填报` shows in the demo.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import yaml

from wangdi import divisions
from wangdi.indicators import LEVELS, PACKS_DIR, catalog


def add_facts(out: dict[str, pl.DataFrame], rng: np.random.Generator, region: str, year: int) -> dict[str, Any]:
    inst = out["institution"]
    t = inst["type_code"].to_numpy()
    n = inst.height
    catchment = np.where(t == "B100", rng.integers(20_000, 60_000, n), np.where(t == "B200", rng.integers(6_000, 24_000, n), 0))
    cap = inst["capacity_level"].fill_null("none").to_numpy()
    diseases = np.select([np.isin(t, ["C210", "C220", "B100"]) & (cap == "recommended"),
                          np.isin(t, ["C210", "C220", "B100"]) & (cap == "basic"),
                          np.isin(t, ["C210", "C220", "B100"]), t == "D600"],
                         [rng.integers(90, 120, n), rng.integers(60, 80, n), rng.integers(40, 70, n),
                          rng.integers(20, 40, n)], 0)
    featured = inst["is_tcm_featured"].fill_null(False).to_numpy()
    f = pl.Series(featured)

    def only(mask: Any, values: Any, dtype: Any) -> pl.Expr:
        return pl.when(pl.Series(mask)).then(pl.Series(values, dtype=dtype)).otherwise(None)

    out["institution"] = inst.with_columns(
        catchment_population=only(catchment > 0, catchment, pl.Int64),
        diseases_capable=only(diseases > 0, diseases, pl.Int64),
        tcm_expert_station=only(f, rng.random(n) < 0.8, pl.Boolean),
        tcm_senior_sessions_weekly=only(f, rng.choice([0.5, 1.0, 2.0], n), pl.Float64),
        tcm_techniques_promoted=only(f, rng.integers(2, 8, n), pl.Int64))
    out["indicator_value"] = _indicators(rng, region, year)
    return out


def _indicators(rng: np.random.Generator, region: str, year: int) -> pl.DataFrame:
    ref = divisions.reference()
    inside = ref.filter(pl.col("code").str.starts_with(region) | pl.lit(region).str.starts_with(pl.col("code")))
    rows = []
    regions = {p.parent.name: str((yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("region") or "")
               for p in PACKS_DIR.glob("*/pack.yaml")}
    for ind in catalog().values():
        if not any(region.startswith(regions.get(pk, "-")) or regions.get(pk, "").startswith(region) for pk in ind.packs):
            continue  # only the indicators of plans covering the region
        for code in inside.filter(pl.col("level") == LEVELS[ind.level])["code"].to_list():
            if rng.random() < 0.2:
                continue  # not reported: the demo shows 待 … 填报
            if ind.unit == "share":
                value = round(float(rng.uniform(0.3, 1.0)), 3)
            elif ind.unit == "flag":
                value = float(rng.random() < 0.7)
            else:
                value = float(rng.integers(0, 30))
            rows.append({"indicator": ind.id, "division_code": code, "period": str(year), "value": value,
                         "agency": ind.agency, "note": "合成数据", "synthetic": True})
    schema = {"indicator": pl.String, "division_code": pl.String, "period": pl.String, "value": pl.Float64,
              "agency": pl.String, "note": pl.String, "synthetic": pl.Boolean}
    return pl.DataFrame(rows, schema=schema, orient="row")
