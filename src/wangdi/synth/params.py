"""Parameters of the synthetic census, with documented defaults.

Calibration targets (2023年我国卫生健康事业发展统计公报, as quoted in issue #3):
33,753 THCs with 1.505 million beds and 1.605 million staff; 37,177 CHCs/stations with
778,000 staff; 581,964 village clinics with 1.327 million staff of whom 1.108 million are
licensed physicians or certified village doctors; visits 1.31 bn at THCs, 0.83 bn at CHCs,
0.21 bn at stations, 1.40 bn at village clinics; about 1,000 rural residents per village committee.

Everything else here (deficiency rates, shares, distributions) is an ASSUMPTION chosen so that
evaluations show a realistic mix of pass and fail. Change them with `wangdi synth --param k=v`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class SynthParams:
    # structure
    village_clinic_rate: float = 0.94  # share of village committees with a clinic (others shared/missing, 002)
    second_clinic_rate: float = 0.24  # villages with a clinic that have a second one (581,964 clinics > villages)
    station_rate: float = 0.45  # share of residents' committees with a community health station
    central_thc_per_county: int = 2  # 1–2 central THCs per county (seeds)
    village_pop_mean: float = 1000.0  # rural residents per village committee (bulletin)
    residents_committee_pop_mean: float = 3000.0  # assumption
    # staff per institution (means; THC 1.605M/33,753 = 47.6; clinic 1.327M/581,964 = 2.28)
    staff_thc: float = 47.6
    staff_chc: float = 50.0
    staff_station: float = 8.0
    staff_clinic: float = 2.28
    staff_county_hospital: float = 300.0  # assumption; county-level hospitals are not in the bulletin figures above
    licensed_or_vd_share_clinic: float = 1.108 / 1.327
    village_doctor_over_60_share: float = 0.18  # assumption
    # beds (THC 1.505M/33,753 = 44.6 per THC)
    beds_thc_mean: float = 44.6
    # deficiency rates (assumptions)
    clinic_floor_below_100_share: float = 0.35
    clinic_public_ownership: float = 0.78
    clinic_integrated: float = 0.72
    six_haves_each: float = 0.82
    equipment_missing_scale: float = 1.0  # multiplies each item's missing probability
    # visits per institution per year (bulletin totals / counts)
    visits_thc: float = 1.31e9 / 33_753
    visits_chc: float = 0.83e9 / 10_000
    visits_station: float = 0.21e9 / 27_177
    visits_clinic: float = 1.40e9 / 581_964
    visits_county_hospital: float = 350_000.0  # assumption
    within_county_share: float = 0.88  # assumption
    visit_records: int = 20_000_000  # national record count (aggregated records); scaled to the region

    @classmethod
    def from_pairs(cls, pairs: list[str]) -> SynthParams:
        p = cls()
        known = {f.name: f.type for f in fields(cls)}
        for pair in pairs:
            key, _, value = pair.partition("=")
            if key not in known:
                from wangdi.errors import WangdiError

                raise WangdiError("unknown-parameter", f"未知的合成参数 {key}；可用：{', '.join(known)}",
                                  f"unknown synth parameter {key}")
            setattr(p, key, int(value) if known[key] in (int, "int") else float(value))
        return p
