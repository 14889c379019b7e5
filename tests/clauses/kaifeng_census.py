"""杞县 (410221) census rows for the 000 (开封市) clause tests, typed in as a township director fills the template."""

from __future__ import annotations

from datetime import date

REGION = "4102"
CENSUS_DATE = date(2021, 1, 1)
V = "410221200"

OWNERS = ["公有"] * 5 + ["集体"] * 4 + ["私有"]

INSTITUTIONS = [
    {"code": "THC1", "name": "裴村店乡卫生院", "type_code": "乡卫生院", "division_code": V},
    *[{"code": f"VC{i}", "name": f"村卫生室{i}", "type_code": "村卫生室", "division_code": f"{V}{200 + i}",
       "manager_code": "THC1", "ownership": owner} for i, owner in enumerate(OWNERS)],
]

ROWS = {"institution": INSTITUTIONS}
