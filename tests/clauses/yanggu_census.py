"""阳谷县 (371521) census rows for the 003 clause tests, typed in as a township director fills the template."""

from __future__ import annotations

from datetime import date

REGION = "371521"
CENSUS_DATE = date(2024, 1, 1)
Y = "371521"

INSTITUTIONS = [
    {"code": "H1", "name": "阳谷县人民医院", "type_code": "综合医院", "division_code": Y},
    # 二（二） 乡镇卫生院（含社区卫生服务中心，下同）: the CHCs are asked what THCs are asked
    {"code": "CHC_SZL", "name": "阳谷县狮子楼街道社区卫生服务中心", "type_code": "社区卫生服务中心",
     "division_code": Y + "003", "elderly_friendly": False, "info_officers": 0},
    {"code": "CHC_QR", "name": "阳谷县侨润街道社区卫生服务中心", "type_code": "社区卫生服务中心",
     "division_code": Y + "002", "elderly_friendly": True, "info_officers": 1},
    {"code": "THC_LT", "name": "阳谷县李台中心卫生院", "type_code": "中心卫生院", "division_code": Y + "108",
     "elderly_friendly": True, "info_officers": 1},
    {"code": "THC_AL", "name": "阳谷县安乐镇中心卫生院", "type_code": "中心卫生院", "division_code": Y + "105",
     "elderly_friendly": False, "info_officers": 2},
    # 二（三） / 三（一）4 premises: 政府（集体）建设……产权完全公有
    {"code": "VC_PUB", "name": "石佛村卫生室", "type_code": "村卫生室", "division_code": Y + "107201",
     "manager_code": "THC_LT", "integrated": True, "ownership": "公有", "floor_area_incl_toilet_m2": 100},
    {"code": "VC_COL", "name": "青杨李村卫生室", "type_code": "村卫生室", "division_code": Y + "107202",
     "manager_code": "THC_LT", "integrated": True, "ownership": "集体", "floor_area_incl_toilet_m2": 99.5},
    {"code": "VC_PRI", "name": "赵庄村卫生室", "type_code": "村卫生室", "division_code": Y + "107203",
     "manager_code": "THC_LT", "integrated": True, "ownership": "私有"},
    {"code": "VC_COL2", "name": "李台村卫生室", "type_code": "村卫生室", "division_code": Y + "107204",
     "manager_code": "THC_LT", "integrated": False, "ownership": "集体"},
]


def specialty(inst: str, name: str, level: str | None) -> dict[str, object]:
    return {"institution_code": inst, "service": "临床重点专科", "specialty": name, "level": level}


SERVICES = [
    specialty("CHC_SZL", "康复科", "市级"),
    specialty("THC_LT", "骨科", "县级"),
    specialty("THC_AL", "中医科", None),
    *[specialty("H1", f"专科{i}", "县级") for i in range(7)],
    specialty("H1", "专科7", None),
]

ROWS = {"institution": INSTITUTIONS, "service": SERVICES}
