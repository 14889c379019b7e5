"""Benchmark (issue #7): a supervision report for a whole city (Baoding, 1306) — target under 60 s."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from wangdi import api

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import city_census


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        url = city_census("1306", d)
        for fmt in ("pdf", "docx", "xlsx"):
            t = time.perf_counter()
            out = api.report("baoding-2023", "1306", date(2025, 12, 31), fmt, d / f"r.{fmt}", url=url)
            secs, size = time.perf_counter() - t, out.stat().st_size / 1e6
            print(f"保定市（1306）{fmt} 报告：{secs:.1f} 秒，{size:.1f} MB（目标 < 60 秒）")


if __name__ == "__main__":
    main()
