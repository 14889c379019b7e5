"""赣县区 (360704) census rows for the 001 (赣州市) clause tests, typed in as a township director fills the template.

Each township holds one health centre so that its own population sets its bed band.
"""

from __future__ import annotations

from datetime import date

REGION = "360704"
CENSUS_DATE = date(2019, 1, 1)
T = "360704"  # county code prefix


def thc(code: str, township: str, kind: str = "乡卫生院", beds: int | None = None) -> dict[str, object]:
    return {"code": code, "name": f"{code}卫生院", "type_code": kind, "division_code": T + township, "beds": beds}


INSTITUTIONS = [
    {"code": "H1", "name": "赣县区人民医院", "type_code": "综合医院", "division_code": T},
    # 四（二）6 beds: township population (agricultural) given on the township's own row, no village rows
    thc("B30", "100", beds=30),            # 50 000 people: band 30–60
    thc("B29", "101", beds=29),            # 50 000 people: one bed short of 0.6‰
    thc("B20", "102", beds=20),            # 10 000 people: 0.6–1.2‰ is 6–12, the floor makes it 20
    thc("B21", "103", beds=21),            # 10 000 people: 21 is above what the township's band allows
    thc("B100", "104", beds=100),          # 200 000 people: 1.2‰ would be 240, the cap is 100
    thc("B36", "105", beds=36),            # villages 20 000 + 10 000 = 30 000: band 20(18)–36
    thc("BNP", "106", beds=25),            # no population entered: unknown
    thc("C150", "201", "中心卫生院", beds=150),  # central, 200 000 people: cap 150
    # 四（二）11 paired assistance
    thc("PA_OK", "107"), thc("PA_SHORT", "108"), thc("PA_THC", "109"), thc("PA_JUNIOR", "110"),
    thc("PA_BLANK", "111"), thc("PA_NONE", "202"), thc("PA_DAYSHORT", "107"),
    {"code": "PA_SRC", "name": "梅林镇卫生院（派出）", "type_code": "乡卫生院", "division_code": T + "100"},
    {"code": "VC1", "name": "五云村卫生室", "type_code": "村卫生室", "division_code": T + "108200",
     "manager_code": "PA_SHORT"},
]

POPULATION = [
    {"division_code": T + "100", "year": 2024, "resident": 60000, "agricultural": 50000},
    {"division_code": T + "101", "year": 2024, "resident": 60000, "agricultural": 50000},
    {"division_code": T + "102", "year": 2024, "resident": 12000, "agricultural": 10000},
    {"division_code": T + "103", "year": 2024, "resident": 12000, "agricultural": 10000},
    {"division_code": T + "104", "year": 2024, "resident": 230000, "agricultural": 200000},
    {"division_code": T + "105200", "year": 2024, "resident": 21000, "agricultural": 20000},
    {"division_code": T + "105201", "year": 2024, "resident": 11000, "agricultural": 10000},
    {"division_code": T + "201", "year": 2024, "resident": 230000, "agricultural": 200000},
]


def deployment(did: str, to: str, title: str | None, start: str, end: str | None, src: str = "H1") -> dict[str, object]:
    return {"deployment_id": did, "from_code": src, "to_code": to, "title": title, "start_date": start,
            "end_date": end}


DEPLOYMENTS = [
    deployment("D1", "PA_OK", "中级", "2025-03-01", "2026-02-28"),         # one year
    deployment("D2", "PA_SHORT", "中级", "2025-03-01", "2025-08-31"),      # six months
    deployment("D3", "PA_THC", "中级", "2025-03-01", "2026-02-28", src="PA_SRC"),  # from a THC
    deployment("D4", "PA_JUNIOR", "初级", "2025-03-01", "2026-02-28"),     # junior title
    deployment("D5", "PA_BLANK", None, "2025-03-01", "2026-02-28"),        # title left blank
    deployment("D6", "PA_DAYSHORT", "中级", "2025-03-01", "2026-02-27"),   # one day short of a year
]


def person(code: str, birth: str | None, qualification: str = "乡村医生", inst: str = "VC1") -> dict[str, object]:
    return {"staff_code": code, "institution_code": inst, "name": code, "birth_date": birth,
            "category": "卫生技术人员", "qualification": qualification, "start_date": "2010-05-04"}


STAFF = [
    person("VD59", "1965-10-16"),   # 59 on 2025-10-15
    person("VD60", "1965-10-15"),   # 60 on 2025-10-15
    person("VDNB", None),           # birth date blank
    person("VT2", "1980-02-29"), person("VT1", "1980-03-01"),
]


def training(tid: str, staff: str, start: str, end: str | None) -> dict[str, object]:
    return {"training_id": tid, "staff_code": staff, "course": "岗位培训", "start_date": start, "end_date": end}


TRAININGS = [
    training("TR1", "VT2", "2025-04-01", "2025-04-07"), training("TR2", "VT2", "2025-09-01", "2025-09-07"),
    training("TR3", "VT1", "2025-04-01", "2025-04-13"),
]

ROWS = {"institution": INSTITUTIONS, "population": POPULATION, "deployment": DEPLOYMENTS, "staff": STAFF,
        "training": TRAININGS}
