"""Synthetic census on the real division tree, column-wise with NumPy and Polars (no per-row Python).

Every table carries synthetic = true. Deterministic for a given seed, region and parameters.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.registry.schema import TABLE_MAP
from wangdi.synth.params import SynthParams

NAMED = Path(__file__).parent / "named.yaml"
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
                "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉国庆春梅海燕晓东志")
THC_ITEMS = {  # item: probability it is missing at a general THC (central THCs: halved). Assumptions.
    "dr": 0.12, "xray": 0.3, "color_ultrasound": 0.15, "biochem_analyzer": 0.2, "coagulation_analyzer": 0.45,
    "blood_cell_counter": 0.08, "urine_analyzer": 0.1, "ecg": 0.04, "ct": 0.65, "fundus_exam": 0.55,
    "carotid_plaque_exam": 0.6, "simple_ventilator": 0.3, "air_disinfector": 0.15, "lung_function": 0.5,
    "ambulance": 0.2, "aed": 0.4, "telemedicine": 0.3, "negative_pressure_ambulance": 0.85,
}
CLINIC_ITEMS = {"exam_bed": 0.08, "observation_bed": 0.3, "infusion_chair": 0.25, "ecg": 0.35,
                "blood_cell_counter": 0.55, "smart_followup": 0.3, "rehab_equipment": 0.4, "aed": 0.85,
                "health_kiosk": 0.6, "telemedicine": 0.5}


def _pick(rng: np.random.Generator, values: list[Any], p: list[float], n: int) -> np.ndarray:
    return rng.choice(np.array(values, dtype=object), size=n, p=np.array(p) / sum(p))


def _names(rng: np.random.Generator, n: int) -> pl.Series:
    s = pl.Series(_pick(rng, SURNAMES, [1.0] * len(SURNAMES), n).astype(str))
    g1 = pl.Series(_pick(rng, GIVEN, [1.0] * len(GIVEN), n).astype(str))
    g2 = pl.Series(np.where(rng.random(n) < 0.6, _pick(rng, GIVEN, [1.0] * len(GIVEN), n), "").astype(str))
    return s + g1 + g2


def _dates(rng: np.random.Generator, start: date, end: date, n: int) -> pl.Series:
    days = rng.integers(0, (end - start).days + 1, size=n)
    return pl.Series(np.datetime64(start) + days.astype("timedelta64[D]")).cast(pl.Date)


def region_divisions(region: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    ref = divisions.reference()
    scope = ref if region == "national" else ref.filter(pl.col("code").str.starts_with(region))
    if scope.is_empty() or (region != "national" and len(region) not in (2, 4, 6)):
        raise WangdiError("bad-region", f"无法为 {region} 生成：请给出省(2位)、市(4位)或县(6位)区划代码，或 national",
                          "give a province, prefecture or county code, or 'national'")
    counties = scope.filter(pl.col("level") == 3)
    towns = scope.filter(pl.col("level") == 4)
    villages = scope.filter(pl.col("level") == 5)
    return counties, towns, villages


def synthesise(region: str, seed: int = 1, year: int = 2025,
               params: SynthParams | None = None) -> dict[str, pl.DataFrame]:
    p = params or SynthParams()
    rng = np.random.default_rng(seed)
    counties, towns, villages = region_divisions(region)
    named: dict[str, Any] = yaml.safe_load(NAMED.read_text(encoding="utf-8"))
    y0, y1 = date(year, 1, 1), date(year, 12, 31)

    # population per village
    is_rc = (villages["kind"] == "residents_committee").to_numpy()
    mean = np.where(is_rc, p.residents_committee_pop_mean, p.village_pop_mean)
    pop = np.maximum(50, rng.lognormal(np.log(mean) - 0.18, 0.6)).round().astype(np.int64)
    agri = np.where(is_rc, pop * rng.uniform(0.0, 0.3, len(pop)), pop * rng.uniform(0.75, 0.98, len(pop)))
    population = pl.DataFrame({
        "division_code": villages["code"], "year": np.full(len(pop), year, dtype=np.int64), "resident": pop,
        "registered": (pop * rng.uniform(0.95, 1.2, len(pop))).round().astype(np.int64),
        "agricultural": agri.round().astype(np.int64),
        "farming_herding": agri.round().astype(np.int64), "pure_pastoral": None, "synthetic": True,
    })
    county_rows = pl.DataFrame({"division_code": counties["code"], "year": [year] * counties.height,
                                "pure_pastoral": [False] * counties.height}, schema_overrides={"year": pl.Int64})
    population = pl.concat([population, county_rows], how="diagonal_relaxed")
    town_pop = population.filter(pl.col("division_code").str.len_bytes() == 12).group_by(
        pl.col("division_code").str.slice(0, 9).alias("code")).agg(
        pl.col("resident").sum().alias("pop"))

    inst = _institutions(rng, p, counties, towns, villages, population, town_pop, named)
    staff = _staff(rng, p, inst, year, region)
    equipment = _equipment(rng, p, inst)
    service = _services(rng, inst)
    deployment, training, contract = _activities(rng, inst, staff, population, year, y0, y1)
    visit = _visits(rng, p, inst, y0, y1)
    out = {"institution": inst, "population": population, "staff": staff, "equipment": equipment,
           "service": service, "deployment": deployment, "training": training, "contract": contract,
           "visit": visit}
    out = add_facts(out, rng, region, year)  # facts and reported indicators the packs need (synthetic)
    return {k: _conform(k, v) for k, v in out.items()}


from wangdi.synth.facts import add_facts  # noqa: E402 - after the helpers it uses


def _conform(name: str, df: pl.DataFrame) -> pl.DataFrame:
    from wangdi.registry.store import polars_schema

    schema = polars_schema(TABLE_MAP[name])
    cols = [pl.col(c).cast(t) if c in df.columns else pl.lit(None, t).alias(c) for c, t in schema.items()]
    return df.select(cols).with_columns(synthetic=pl.lit(True))


def _institutions(rng: np.random.Generator, p: SynthParams, counties: pl.DataFrame, towns: pl.DataFrame,
                  villages: pl.DataFrame, population: pl.DataFrame, town_pop: pl.DataFrame,
                  named: dict[str, Any]) -> pl.DataFrame:
    county_names = dict(counties.select("code", "name").iter_rows())
    overrides: dict[str, Any] = {}
    hospital_names: dict[str, dict[str, str]] = {}
    for county, spec in named.items():
        overrides.update(spec.get("townships", {}))
        hospital_names[county] = spec.get("county_hospitals", {})
    # county-level hospitals
    hosp = []
    for t, suffix in (("A100", "人民医院"), ("A210", "中医医院"), ("G100", "妇幼保健院"), ("J100", "疾病预防控制中心")):
        hosp.append(counties.select(
            (pl.col("code") + "-" + t).alias("code"),
            (pl.col("name") + suffix).alias("name"), pl.lit(t).alias("type_code"),
            pl.col("code").alias("division_code")))
    hospitals = pl.concat(hosp).with_columns(
        name=pl.struct("division_code", "type_code", "name").map_elements(
            lambda r: hospital_names.get(r["division_code"], {}).get(r["type_code"], r["name"]),
            return_dtype=pl.String))
    # township level: CHC for streets, THC otherwise; the largest towns of each county are central
    tw = towns.join(town_pop, on="code", how="left").with_columns(pl.col("pop").fill_null(0))
    tw = tw.with_columns(county=pl.col("code").str.slice(0, 6),
                         cname=pl.col("code").str.slice(0, 6).replace_strict(county_names, default=""))
    rank = pl.col("pop").rank("ordinal", descending=True).over("county", pl.col("kind") == "street")
    tw = tw.with_columns(type_code=pl.when(pl.col("kind") == "street").then(pl.lit("B100"))
                         .when((rank <= p.central_thc_per_county) & ~pl.col("county").is_in(list(named)))
                         .then(pl.lit("C210")).otherwise(pl.lit("C220")))
    short = pl.col("name").str.replace(r"(镇|乡|苏木|街道|地区办事处)$", "")
    tw = tw.with_columns(name=pl.when(pl.col("type_code") == "B100")
                         .then(pl.col("cname") + pl.col("name") + "社区卫生服务中心")
                         .when(pl.col("type_code") == "C210").then(pl.col("cname") + short + "中心卫生院")
                         .otherwise(pl.col("cname") + pl.col("name") + "卫生院"))
    if overrides:
        ov = pl.DataFrame({"code": list(overrides), "ov_type": [v["type"] for v in overrides.values()],
                           "ov_name": [v["name"] for v in overrides.values()]})
        tw = tw.join(ov, on="code", how="left").with_columns(
            type_code=pl.coalesce("ov_type", "type_code"), name=pl.coalesce("ov_name", "name"))
    n = tw.height
    thc = tw.select((pl.col("code") + "-" + pl.col("type_code")).alias("code"), "name", "type_code",
                    pl.col("code").alias("division_code"), "pop", "county")
    central = (thc["type_code"] == "C210").to_numpy()
    beds = np.maximum(0, rng.lognormal(np.log(p.beds_thc_mean) - 0.08, 0.4, n) * np.where(central, 1.8, 1.0))
    beds = np.where(thc["type_code"].to_numpy() == "B100", beds * 0.4, beds)
    thc = thc.with_columns(
        beds=pl.Series(beds.round().astype(np.int64)),
        floor_area_m2=pl.Series((rng.lognormal(np.log(2600), 0.45, n) * np.where(central, 1.6, 1.0)).round()),
        capacity_level=pl.Series(_pick(rng, ["none", "basic", "recommended", "community_hospital", "secondary"],
                                       [0.15, 0.55, 0.2, 0.05, 0.05], n).astype(str)),
        building_standard_met=pl.Series(rng.random(n) < 0.82),
        cmc_lead_code=pl.col("county") + "-A100",
        is_sub_centre=pl.Series(central & (rng.random(n) < 0.3)),
        is_tcm_featured=pl.Series(rng.random(n) < 0.15), is_specialty=pl.Series(rng.random(n) < 0.2),
        is_community_hospital=pl.Series(rng.random(n) < 0.06),
        elderly_friendly=pl.Series(rng.random(n) < 0.7),
        info_officers=pl.Series(rng.poisson(0.9, n)),
        insurance_designated=True, networked_settlement=True,
    ).drop("pop", "county")
    # village level: clinics for village committees, stations for some residents' committees
    vj = villages.join(population.select(pl.col("division_code").alias("code"), pl.col("resident")), on="code")
    m = vj.height
    is_vc = (vj["kind"] == "village_committee").to_numpy()
    keep = np.where(~is_vc, rng.random(m) < p.station_rate, rng.random(m) < p.village_clinic_rate)
    copies = keep.astype(np.int64) + (keep & is_vc & (rng.random(m) < p.second_clinic_rate))
    vj = vj.select(pl.all().repeat_by(pl.Series(copies)).explode()).with_columns(
        suffix=pl.int_range(pl.len()).over("code").cast(pl.String).replace({"0": ""}))
    m = vj.height
    township = vj["code"].str.slice(0, 9)
    mgr = thc.select(pl.col("division_code").alias("t"), pl.col("code").alias("manager_code"))
    vj = vj.with_columns(t=township).join(mgr, on="t", how="left")
    is_station = (vj["kind"] == "residents_committee").to_numpy()
    floor = np.where(rng.random(m) < p.clinic_floor_below_100_share, rng.uniform(40, 99.5, m), rng.uniform(100, 220, m))
    owner = np.where(rng.random(m) < p.clinic_public_ownership, "public",
                     np.where(rng.random(m) < 0.4, "collective", "private"))
    haves = {k: pl.Series(rng.random(m) < p.six_haves_each) for k in (
        "has_exam_bed", "has_smart_followup", "has_rehab_equipment", "has_exam_equipment", "has_toilet_and_ac",
        "has_health_education")}
    clinics = vj.select(
        (pl.col("code") + pl.Series(np.where(is_station, "-B200", "-D600")) + pl.col("suffix")).alias("code"),
        (pl.col("name").str.replace(r"(村民委员会|村委会|居民委员会|居委会|嘎查委员会|委员会)$", "") +
         pl.when(pl.Series(is_station) & pl.col("name").str.contains(r"社区(居民委员会|居委会)$")).then(pl.lit("卫生服务站"))
         .when(pl.Series(is_station)).then(pl.lit("社区卫生服务站"))
         .when(pl.col("name").str.contains(r"(村|嘎查)(村民委员会|村委会|嘎查委员会|委员会)$"))
         .then(pl.lit("卫生室")).otherwise(pl.lit("村卫生室")) +
         pl.when(pl.col("suffix") != "").then(pl.lit("（二）")).otherwise(pl.lit(""))).alias("name"),
        pl.Series(np.where(is_station, "B200", "D600")).alias("type_code"),
        pl.col("code").alias("division_code"), "manager_code",
    ).with_columns(
        floor_area_incl_toilet_m2=pl.Series(floor.round(1)),
        floor_area_m2=pl.Series((floor * 0.92).round(1)),
        ownership=pl.Series(owner.astype(str)),
        integrated=pl.Series(rng.random(m) < p.clinic_integrated),
        integrated_parts=pl.lit("人员、业务、药械、财务、绩效"),
        insurance_designated=pl.Series(rng.random(m) < 0.88),
        star_rating=pl.Series(_pick(rng, [0, 1, 2, 3, 4, 5], [0.08, 0.1, 0.17, 0.4, 0.18, 0.07], m).astype(np.int64)),
        capacity_level=pl.Series(_pick(rng, ["none", "basic", "recommended"], [0.55, 0.38, 0.07], m).astype(str)),
        is_central_clinic=pl.Series((vj["resident"].to_numpy() >= 2000) & (rng.random(m) < 0.5)),
        has_separate_rooms=pl.Series(rng.random(m) < 0.6),
        remote_area=pl.Series(rng.random(m) < 0.05),
        **haves,
    ).with_columns(networked_settlement=pl.col("insurance_designated") & pl.Series(rng.random(m) < 0.95),
                   integrated_parts=pl.when(pl.col("integrated")).then(pl.col("integrated_parts")))
    hospitals = hospitals.with_columns(
        beds=pl.Series(rng.integers(150, 900, hospitals.height)),
        capacity_level=pl.when(pl.col("type_code") == "G100")
        .then(pl.Series(np.where(rng.random(hospitals.height) < 0.7, "secondary", "none"))))
    return pl.concat([hospitals, thc, clinics], how="diagonal_relaxed").sort("code")


def _staff(rng: np.random.Generator, p: SynthParams, inst: pl.DataFrame, year: int, region: str) -> pl.DataFrame:
    t = inst["type_code"].to_numpy()
    mean = np.select([t == "D600", t == "B200", t == "B100", np.isin(t, ["C210", "C220"]), t == "A100"],
                     [p.staff_clinic - 1, p.staff_station, p.staff_chc, p.staff_thc, p.staff_county_hospital],
                     default=p.staff_county_hospital / 4)
    mean = np.where(t == "C210", mean * 1.5, mean)
    counts = rng.poisson(mean) + (t == "D600")  # every clinic has at least one person
    codes = np.repeat(inst["code"].to_numpy(), counts)
    types = np.repeat(t, counts)
    n = len(codes)
    seq = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    clinic = types == "D600"
    q_clinic = _pick(rng, ["village_doctor", "assistant_physician", "licensed_physician", "nurse", "none"],
                     [0.6, 0.12, p.licensed_or_vd_share_clinic - 0.72, 0.12, 0.05], n)
    q_other = _pick(rng, ["licensed_physician", "assistant_physician", "nurse", "pharmacist", "technician", "none"],
                    [0.33, 0.08, 0.36, 0.06, 0.09, 0.08], n)
    qual = np.where(clinic, q_clinic, q_other).astype(str)
    category = np.where(qual == "none", _pick(rng, ["admin", "logistics", "other_tech"], [0.4, 0.45, 0.15], n),
                        "health_tech").astype(str)
    physician = np.isin(qual, ["licensed_physician", "assistant_physician"])
    tcm_p = 0.18 if not region.startswith("15") else 0.12
    practice = np.where(physician, _pick(rng, ["clinical", "tcm", "mongolian", "public_health", "dental"],
                                         [0.66, tcm_p, 0.08 if region.startswith("15") else 0.0, 0.08, 0.05], n),
                        np.where(qual == "village_doctor", "clinical", "none")).astype(str)
    age = np.where(clinic & (rng.random(n) < p.village_doctor_over_60_share), rng.integers(60, 72, n),
                   rng.integers(23, 60, n))
    birth = _dates(rng, date(year - 1, 1, 1), date(year - 1, 12, 31), n).to_numpy() - (age * 365.25).astype(
        "timedelta64[D]")
    mode = np.where(clinic, _pick(rng, ["township_hired", "other", "contract"], [0.35, 0.55, 0.1], n),
                    _pick(rng, ["established", "contract", "county_recruited", "other"], [0.62, 0.28, 0.06, 0.04], n))
    return pl.DataFrame({
        "staff_code": pl.Series(codes.astype(str)) + "-" + pl.Series(seq).cast(pl.String).str.zfill(4),
        "institution_code": codes.astype(str), "name": _names(rng, n),
        "gender": _pick(rng, ["m", "f"], [0.45, 0.55], n).astype(str), "birth_date": pl.Series(birth).cast(pl.Date),
        "category": category, "qualification": qual, "practice_category": practice,
        "registered_gp": physician & (rng.random(n) < 0.3),
        "title": np.where(category == "health_tech", _pick(rng, ["junior", "intermediate", "associate_senior", "senior",
                                                                 "none"], [0.48, 0.3, 0.08, 0.02, 0.12], n), "none"),
        "education": _pick(rng, ["secondary", "college", "bachelor", "postgraduate"], [0.3, 0.4, 0.27, 0.03], n),
        "full_time_degree": rng.random(n) < 0.55, "employment_mode": mode.astype(str),
        "medical_degree": (category == "health_tech") & (rng.random(n) < 0.9),
        "directed_graduate": (category == "health_tech") & (rng.random(n) < 0.06),
        "start_date": _dates(rng, date(1985, 1, 1), date(year, 6, 30), n),
    }).with_columns(pl.col("start_date").clip(pl.col("birth_date").dt.offset_by("20y")))


def _equipment(rng: np.random.Generator, p: SynthParams, inst: pl.DataFrame) -> pl.DataFrame:
    frames = []
    for types, items in ((["C210", "C220", "B100"], THC_ITEMS), (["D600", "B200"], CLINIC_ITEMS)):
        sub = inst.filter(pl.col("type_code").is_in(types))
        central = (sub["type_code"] == "C210").to_numpy()
        for item, miss in items.items():
            missing = rng.random(sub.height) < miss * p.equipment_missing_scale * np.where(central, 0.5, 1.0)
            have = sub.filter(pl.Series(~missing))
            cnt = 1 + rng.poisson(0.2, have.height)
            broken = rng.random(have.height) < 0.06
            frames.append(pl.DataFrame({"institution_code": have["code"], "item": [item] * have.height,
                                        "count": cnt, "functioning": cnt - broken}))
    return pl.concat(frames)


def _services(rng: np.random.Generator, inst: pl.DataFrame) -> pl.DataFrame:
    frames = []
    probs = {"tcm_hall": 0.82, "fever_clinic": 0.55, "emergency": 0.6, "rehabilitation": 0.5, "dialysis": 0.04,
             "hospice": 0.1, "elderly_care": 0.3}
    thc = inst.filter(pl.col("type_code").is_in(["C210", "C220", "B100"]))
    clinics = inst.filter(pl.col("type_code").is_in(["D600", "B200"]))
    have = clinics.filter(pl.Series(rng.random(clinics.height) < 0.72))
    frames.append(have.select(pl.col("code").alias("institution_code"), pl.lit("tcm_service").alias("service"),
                              pl.lit("").alias("specialty"), pl.lit(None, pl.String).alias("level")))
    for svc, prob in probs.items():
        have = thc.filter(pl.Series(rng.random(thc.height) < prob))
        frames.append(have.select(pl.col("code").alias("institution_code"), pl.lit(svc).alias("service"),
                                  pl.lit("").alias("specialty"), pl.lit(None, pl.String).alias("level")))
    hosp = inst.filter(pl.col("type_code").is_in(["A100", "A210"]))
    for svc, types, prob in (("stroke_centre", ["A100"], 0.7), ("chest_pain_centre", ["A100"], 0.65),
                             ("critical_maternal_centre", ["A100", "G100"], 0.4), ("critical_child_centre", ["A100"], 0.35),
                             ("trauma_centre", ["A100"], 0.4), ("internet_hospital", ["A100", "A210"], 0.05),
                             ("geriatrics", ["A100"], 0.75), ("public_health_dept", ["A100", "A210", "G100"], 0.8),
                             ("hospice", ["A100"], 0.08)):
        pool = inst.filter(pl.col("type_code").is_in(types))
        have = pool.filter(pl.Series(rng.random(pool.height) < prob))
        frames.append(have.select(pl.col("code").alias("institution_code"), pl.lit(svc).alias("service"),
                                  pl.lit("").alias("specialty"), pl.lit(None, pl.String).alias("level")))
    for spec, prob in (("心血管内科", 0.6), ("神经内科", 0.5), ("骨科", 0.4), ("康复科", 0.3), ("呼吸内科", 0.4),
                       ("急诊科", 0.3), ("重症医学科", 0.2)):
        have = hosp.filter(pl.Series(rng.random(hosp.height) < prob))
        lvl = _pick(rng, ["county", "city", "province", "national"], [0.6, 0.3, 0.09, 0.01], have.height).astype(str)
        frames.append(have.select(pl.col("code").alias("institution_code"), pl.lit("key_specialty").alias("service"),
                                  pl.lit(spec).alias("specialty"), pl.Series("level", lvl)))
    return pl.concat(frames)


def _activities(rng: np.random.Generator, inst: pl.DataFrame, staff: pl.DataFrame, population: pl.DataFrame,
                year: int, y0: date, y1: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    thc = inst.filter(pl.col("type_code").is_in(["C210", "C220", "B100"]))
    k = rng.poisson(2.2, thc.height)
    to = np.repeat(thc["code"].to_numpy(), k)
    n = len(to)
    start = _dates(rng, y0, date(year, 9, 30), n)
    days = rng.choice(np.array([30, 90, 180, 200, 365]), size=n, p=[0.3, 0.25, 0.15, 0.15, 0.15])
    from_type = _pick(rng, ["A100", "A210", "G100"], [0.65, 0.25, 0.1], n).astype(str)
    from_code = (pl.Series(to.astype(str)).str.slice(0, 6) + "-" + pl.Series(from_type)).to_numpy()
    clinics = inst.filter((pl.col("type_code") == "D600") & pl.col("manager_code").is_not_null())
    kc = rng.poisson(0.3, clinics.height)  # township → village: THC doctors stationed in clinics
    to = np.concatenate([to, np.repeat(clinics["code"].to_numpy(), kc)])
    from_code = np.concatenate([from_code, np.repeat(clinics["manager_code"].to_numpy(), kc)])
    start = pl.concat([start, _dates(rng, y0, date(year, 9, 30), int(kc.sum()))])
    days = np.concatenate([days, rng.choice(np.array([30, 90, 180]), size=int(kc.sum()))])
    n = len(to)
    # record ids start with the owning institution's code, so two regions' data never share an id
    deployment = pl.DataFrame({"deployment_id": [f"{c}-DEP{year}-{i:07d}" for i, c in enumerate(to.astype(str))],
                               "from_code": from_code.astype(str),
                               "to_code": to.astype(str),
                               "title": _pick(rng, ["junior", "intermediate", "associate_senior"], [0.2, 0.6, 0.2], n)
                               .astype(str), "start_date": start}).with_columns(
        end_date=(pl.col("start_date") + pl.duration(days=pl.lit(pl.Series(days)))).clip(upper_bound=y1))
    vd = staff.filter(pl.col("qualification") == "village_doctor")
    k = rng.poisson(1.8, vd.height)
    who = np.repeat(vd["staff_code"].to_numpy(), k)
    n = len(who)
    tstart = _dates(rng, y0, date(year, 12, 20), n)
    tdays = rng.integers(1, 11, n)
    training = pl.DataFrame({"training_id": [f"{c}-TRN{year}-{i:07d}" for i, c in enumerate(who.astype(str))],
                             "staff_code": who.astype(str),
                             "course": _pick(rng, ["临床基本技能", "中西医适宜技术", "基本公共卫生服务", "急救培训",
                                                   "检查检验指标解读"], [1] * 5, n).astype(str),
                             "start_date": tstart}).with_columns(
        end_date=(pl.col("start_date") + pl.duration(days=pl.lit(pl.Series(tdays)))).clip(upper_bound=y1),
        hours=pl.Series(tdays * 8.0))
    served = population.filter(pl.col("division_code").str.len_bytes() == 12).group_by(
        pl.col("division_code").str.slice(0, 9).alias("division_code")).agg(
        pl.col("resident").sum().alias("pop"))
    c = thc.select(pl.col("code").alias("institution_code"), "division_code").join(served, on="division_code",
                                                                                    how="left").fill_null(8000)
    rate = rng.uniform(0.25, 0.85, c.height)
    key_rate = np.minimum(rate + rng.uniform(0.0, 0.25, c.height), 0.98)
    contract = pl.concat([
        c.select("institution_code", pl.lit(year).alias("year"), pl.lit("all").alias("group"),
                 pl.col("pop").alias("eligible"),
                 (pl.col("pop") * pl.Series(rate)).round().cast(pl.Int64).alias("contracted")),
        c.select("institution_code", pl.lit(year).alias("year"), pl.lit("key").alias("group"),
                 (pl.col("pop") * 0.3).round().cast(pl.Int64).alias("eligible"),
                 (pl.col("pop") * 0.3 * pl.Series(key_rate)).round().cast(pl.Int64).alias("contracted")),
    ])
    return deployment, training, contract


def _visits(rng: np.random.Generator, p: SynthParams, inst: pl.DataFrame, y0: date, y1: date) -> pl.DataFrame:
    t = inst["type_code"].to_numpy()
    volume = np.select([t == "D600", t == "B200", t == "B100", np.isin(t, ["C210", "C220"]),
                        np.isin(t, ["A100", "A210"])],
                       [p.visits_clinic, p.visits_station, p.visits_chc, p.visits_thc, p.visits_county_hospital],
                       default=p.visits_county_hospital / 4)
    per_inst = max(1, int(p.visit_records // 687_000))  # ~687,000 institutions nationally
    k = np.full(len(t), per_inst)
    code = np.repeat(inst["code"].to_numpy(), k)
    div = np.repeat(inst["division_code"].to_numpy(), k)
    n = len(code)
    count = np.maximum(1, rng.poisson(np.repeat(volume / per_inst, k)))
    # residence: own village/township (local), else elsewhere in the county, else another county
    county_of = pl.Series(div.astype(str)).str.slice(0, 6)
    all_counties = divisions.reference().filter(pl.col("level") == 3)["code"]
    pick = rng.integers(0, all_counties.len(), n)
    other = all_counties.gather(pick)
    other = pl.Series(np.where((other == county_of).to_numpy(), all_counties.gather((pick + 1) % all_counties.len()),
                               other.to_numpy()))
    r = rng.random(n)
    residence = np.where(r < 0.6, div.astype(str),
                         np.where(r < p.within_county_share, county_of.to_numpy(), other.to_numpy()))
    tt = np.repeat(t, k)
    kind = np.where(np.isin(tt, ["D600", "B200"]), "outpatient",
                    _pick(rng, ["outpatient", "emergency", "inpatient"], [0.88, 0.05, 0.07], n)).astype(str)
    ids = pl.Series(code.astype(str)) + "-V" + pl.Series(np.arange(n)).cast(pl.String).str.zfill(9)
    return pl.DataFrame({"visit_id": ids,
                         "institution_code": code.astype(str), "residence_code": residence.astype(str),
                         "visit_date": _dates(rng, y0, y1, n), "kind": kind, "count": count.astype(np.int64)}).with_columns(
        # the census sheet is aggregated: no department, operation or cost per record (visit-level: wangdi.visits)
        pl.lit(None, pl.String).alias("department"), pl.lit(None, pl.Int64).alias("surgery_grade"),
        pl.lit(None, pl.Float64).alias("total_cost"), pl.lit(None, pl.Float64).alias("policy_cost"),
        pl.lit(None, pl.Float64).alias("fund_paid"))
