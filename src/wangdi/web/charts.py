"""ECharts options built on the server, so what a chart encodes is decided (and tested) in one place.

The page embeds the option as JSON; static/app.js only adds the text formatters and draws it.
"""

from __future__ import annotations

from typing import Any

from wangdi.reports.labels import OUTCOME_COLOUR, OUTCOME_ZH, RATE_COLOURS

RATE = 2  # the heat map's data points are [group index, row index, pass rate %, verdicts]; colour = pass rate


def heatmap_option(heat: dict[str, Any]) -> dict[str, Any]:
    """Rows × groups, coloured by the pass rate printed in each cell; the count of verdicts is in the tooltip."""
    ri = {r["code"]: i for i, r in enumerate(heat["rows"])}
    gi = {g["id"]: i for i, g in enumerate(heat["groups"])}
    cells = [[gi[c["group"]], ri[c["child"]], c["pass_pct"], c["n"]] for c in heat["cells"]]
    return {
        "tooltip": {"position": "top"},
        "grid": {"left": 120, "right": 30, "top": 10, "bottom": 90},
        "xAxis": {"type": "category", "data": [g["name"] for g in heat["groups"]], "axisLabel": {"rotate": 30}},
        "yAxis": {"type": "category", "data": [r["name"] for r in heat["rows"]], "inverse": True},
        "visualMap": {"type": "continuous", "dimension": RATE, "min": 0, "max": 100, "calculable": True,
                      "orient": "horizontal", "left": "center", "bottom": 0, "text": ["达标率 100%", "0%"],
                      "inRange": {"color": RATE_COLOURS}},
        "series": [{"type": "heatmap", "name": "达标率", "data": cells, "label": {"show": True},
                    "encode": {"x": 0, "y": 1, "value": RATE, "tooltip": [RATE, 3]}}],
    }


def trend_option(trend: list[dict[str, Any]]) -> dict[str, Any]:
    """Verdict counts per run (one measure on the axis: 条结论), each outcome in its fixed colour (未达标 red)."""
    kinds = [k for k in ("pass", "fail", "met", "not_met", "unknown", "not_yet_due") if any(t.get(k) for t in trend)]
    return {
        "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
        "grid": {"left": 60, "right": 20, "top": 30, "bottom": 60},
        "xAxis": {"type": "category", "data": [f"截至 {t['as_of']}（{t['run_id'][-6:]}）" for t in trend]},
        "yAxis": {"type": "value", "name": "结论数（条）", "minInterval": 1},
        "series": [{"name": OUTCOME_ZH[k], "type": "bar", "stack": "all", "itemStyle": {"color": OUTCOME_COLOUR[k]},
                    "data": [int(t.get(k) or 0) for t in trend]} for k in kinds],
    }
