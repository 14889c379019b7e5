"""A synthetic multi-year history: one census per year, each the previous one moved forward a year.

Year by year (column-wise, deterministic for a seed): village clinics below the floor-area standard are
rebuilt, missing equipment is bought, staff reaching 60 retire and others leave, replacements are hired,
"six haves" and star ratings improve, family-doctor contract coverage rises, and the year's activity
records (deployments, trainings, visits) are generated afresh. The rates are ASSUMPTIONS (HistoryParams)
chosen so that trends are visible; every row stays labelled synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from wangdi.errors import WangdiError
from wangdi.synth.generator import CLINIC_ITEMS, THC_ITEMS, _activities, _conform, _dates, _names, _visits, synthesise
from wangdi.synth.params import SynthParams

SIX_HAVES = ("has_exam_bed", "has_smart_followup", "has_rehab_equipment", "has_exam_equipment", "has_toilet_and_ac",
             "has_health_education")
CLINIC_TYPES = ("D600", "B200")
THC_TYPES = ("C210", "C220", "B100")


@dataclass
class HistoryParams:
    """Yearly rates of change (assumptions, not facts)."""
    rebuild_rate: float = 0.4  # clinics below 100 m² rebuilt in a year
    ownership_to_public: float = 0.3  # non-public clinic premises turned public in a year
    equipment_buy_rate: float = 0.35  # missing items bought in a year
    six_haves_fix_rate: float = 0.35  # each missing "six haves" item supplied in a year
    star_up_rate: float = 0.2  # clinics gaining a star in a year
    integrate_rate: float = 0.3  # clinics brought under integrated management in a year
    capacity_up_rate: float = 0.2  # institutions reaching the next service-capacity level in a year
    retire_rate_over_60: float = 0.5  # staff aged 60+ leaving in a year
    leave_rate: float = 0.02  # other staff leaving in a year
    replace_rate: float = 1.05  # hires per leaver
    contract_gain_low: float = 0.02  # yearly rise of contract coverage (share points), uniform between
    contract_gain_high: float = 0.08


def parse_years(text: str) -> list[int]:
    """'2024-2026' → [2024, 2025, 2026]; '2024,2026' → [2024, 2026]."""
    try:
        if "-" in text:
            a, b = (int(x) for x in text.split("-", 1))
            years = list(range(a, b + 1))
        else:
            years = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        years = []
    if not years or years[0] < 1949 or years[-1] > 2100 or len(years) > 30:
        raise WangdiError("bad-years", f"年度范围应为 起-止，例如 2024-2026；收到 {text!r}",
                          "years must look like 2024-2026")
    return years


def synthesise_years(region: str, seed: int, years: list[int], params: SynthParams | None = None,
                     history: HistoryParams | None = None) -> dict[int, dict[str, pl.DataFrame]]:
    """One full census per year: the first synthesised, each later one derived from the year before."""
    p = params or SynthParams()
    h = history or HistoryParams()
    first = synthesise(region, seed, years[0], p)
    out = {years[0]: _visit_ids(first, years[0])}
    prev = first
    for y in years[1:]:
        rng = np.random.default_rng([seed, y])
        prev = _advance(rng, p, h, prev, y)
        out[y] = prev
    return out


def _visit_ids(frames: dict[str, pl.DataFrame], year: int) -> dict[str, pl.DataFrame]:
    """Visit ids carry the year so each year's records are new records, not changes of last year's."""
    v = frames["visit"].with_columns(visit_id=pl.lit(f"V{year}-") + pl.col("visit_id").str.slice(1))
    return {**frames, "visit": v}


def _advance(rng: np.random.Generator, p: SynthParams, h: HistoryParams, prev: dict[str, pl.DataFrame],
             y: int) -> dict[str, pl.DataFrame]:
    y0, y1 = date(y, 1, 1), date(y, 12, 31)
    inst = _institutions(rng, h, prev["institution"])
    equipment = _equipment(rng, h, inst, prev["equipment"])
    staff = _staff(rng, h, prev["staff"], y)
    population = prev["population"].with_columns(
        year=pl.lit(y, pl.Int64),
        resident=(pl.col("resident") * pl.Series(rng.uniform(0.985, 1.01, prev["population"].height)))
        .round().cast(pl.Int64))
    active = staff.filter(pl.col("end_date").is_null())
    deployment, training, _ = _activities(rng, inst, active, population, y, y0, y1)
    contract = _contract(rng, h, prev["contract"], y)
    visit = _visits(rng, p, inst, y0, y1)
    frames = {"institution": inst, "population": population, "staff": staff, "equipment": equipment,
              "service": prev["service"], "deployment": deployment, "training": training, "contract": contract,
              "visit": visit}
    return _visit_ids({k: _conform(k, v) for k, v in frames.items()}, y)


def _flip(rng: np.random.Generator, col: str, rate: float, n: int) -> pl.Expr:
    """A boolean column where False becomes True with probability `rate` (True stays True, blank stays blank)."""
    return pl.when(pl.col(col).is_null()).then(None).otherwise(
        pl.col(col) | pl.Series(rng.random(n) < rate)).alias(col)


def _institutions(rng: np.random.Generator, h: HistoryParams, inst: pl.DataFrame) -> pl.DataFrame:
    n = inst.height
    clinic = pl.col("type_code").is_in(CLINIC_TYPES)
    small = clinic & (pl.col("floor_area_incl_toilet_m2") < 100)
    rebuilt = small & pl.Series(rng.random(n) < h.rebuild_rate)
    new_area = pl.Series(rng.uniform(100, 160, n).round(1))
    return inst.with_columns(
        floor_area_incl_toilet_m2=pl.when(rebuilt).then(new_area).otherwise(pl.col("floor_area_incl_toilet_m2")),
        floor_area_m2=pl.when(rebuilt).then((new_area * 0.92).round(1)).otherwise(pl.col("floor_area_m2")),
        ownership=pl.when(clinic & (rebuilt | pl.Series(rng.random(n) < h.ownership_to_public)))
        .then(pl.lit("public")).otherwise(pl.col("ownership")),
        building_standard_met=pl.when(pl.col("type_code").is_in(THC_TYPES) & pl.Series(rng.random(n) < 0.2))
        .then(True).otherwise(pl.col("building_standard_met")),
        capacity_level=pl.when(pl.Series(rng.random(n) < h.capacity_up_rate))
        .then(pl.col("capacity_level").replace({"none": "basic", "basic": "recommended"}))
        .otherwise(pl.col("capacity_level")),
        star_rating=pl.when(clinic & pl.Series(rng.random(n) < h.star_up_rate))
        .then((pl.col("star_rating") + 1).clip(upper_bound=5)).otherwise(pl.col("star_rating")),
        integrated=pl.when(clinic).then(_flip(rng, "integrated", h.integrate_rate, n)).otherwise(pl.col("integrated")),
        **{c: pl.when(clinic).then(_flip(rng, c, h.six_haves_fix_rate, n)).otherwise(pl.col(c)) for c in SIX_HAVES},
    ).with_columns(integrated_parts=pl.when(pl.col("integrated") & pl.col("integrated_parts").is_null())
                   .then(pl.lit("人员、业务、药械、财务、绩效")).otherwise(pl.col("integrated_parts")))


def _equipment(rng: np.random.Generator, h: HistoryParams, inst: pl.DataFrame, eq: pl.DataFrame) -> pl.DataFrame:
    frames = [eq.with_columns(functioning=pl.col("count"))]  # broken items repaired
    for types, items in ((THC_TYPES, THC_ITEMS), (CLINIC_TYPES, CLINIC_ITEMS)):
        codes = inst.filter(pl.col("type_code").is_in(types)).select(pl.col("code").alias("institution_code"))
        want = codes.join(pl.DataFrame({"item": list(items)}), how="cross")
        missing = want.join(eq.select("institution_code", "item"), on=["institution_code", "item"], how="anti") \
            .sort("institution_code", "item")
        bought = missing.filter(pl.Series(rng.random(missing.height) < h.equipment_buy_rate))
        frames.append(bought.with_columns(count=pl.lit(1, pl.Int64), functioning=pl.lit(1, pl.Int64)))
    return pl.concat(frames, how="diagonal_relaxed")


def _staff(rng: np.random.Generator, h: HistoryParams, staff: pl.DataFrame, y: int) -> pl.DataFrame:
    """Last year's staff still in post, now with this year's leavers (end_date) and new hires."""
    current = staff.filter(pl.col("end_date").is_null() | (pl.col("end_date") >= date(y, 1, 1)))
    n = current.height
    age = (y - current["birth_date"].dt.year()).fill_null(40).to_numpy()
    leave = np.where(age >= 60, rng.random(n) < h.retire_rate_over_60, rng.random(n) < h.leave_rate)
    leave &= current["end_date"].is_null().to_numpy()
    ends = _dates(rng, date(y, 1, 1), date(y, 11, 30), n)
    current = current.with_columns(end_date=pl.when(pl.Series(leave)).then(ends).otherwise(pl.col("end_date")))
    leavers = current.filter(pl.Series(leave))
    k = round(leavers.height * h.replace_rate)
    if k == 0:
        return current
    template = leavers.sample(k, with_replacement=True, seed=int(rng.integers(0, 2**31)))
    young = rng.integers(23, 36, k)
    births = _dates(rng, date(y - 1, 1, 1), date(y - 1, 12, 31), k).to_numpy() - (young * 365.25).astype(
        "timedelta64[D]")
    licensed = rng.random(k) < 0.5  # replacements for village doctors are often licensed (assumption)
    hires = template.with_columns(
        staff_code=pl.col("institution_code") + f"-N{y}" + pl.Series(np.arange(k)).cast(pl.String).str.zfill(5),
        name=_names(rng, k), birth_date=pl.Series(births).cast(pl.Date),
        start_date=_dates(rng, date(y, 1, 1), date(y, 12, 31), k), end_date=pl.lit(None, pl.Date),
        title=pl.when(pl.col("category") == "health_tech").then(pl.lit("junior")).otherwise(pl.lit("none")),
        qualification=pl.when((pl.col("qualification") == "village_doctor") & pl.Series(licensed))
        .then(pl.lit("assistant_physician")).otherwise(pl.col("qualification")),
    )
    return pl.concat([current, hires.select(current.columns)])


def _contract(rng: np.random.Generator, h: HistoryParams, prev: pl.DataFrame, y: int) -> pl.DataFrame:
    last = prev.filter(pl.col("year") == prev["year"].max())
    gain = pl.Series(rng.uniform(h.contract_gain_low, h.contract_gain_high, last.height))
    rate = (pl.col("contracted") / pl.col("eligible")).fill_nan(0).fill_null(0)
    return last.with_columns(year=pl.lit(y, pl.Int64), contracted=(pl.min_horizontal(rate + gain, pl.lit(0.98))
                                                                    * pl.col("eligible")).round().cast(pl.Int64))
