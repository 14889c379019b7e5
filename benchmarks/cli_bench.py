"""CLI start-up: wall time of light commands (`--help`), best of 5 runs each. Target: under 0.5 s.

Heavy libraries (polars, DuckDB, SQLAlchemy) are imported on first use (src/wangdi/cli/lazy.py), so a
command that needs none of them starts without paying for them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = [["--help"], ["evaluate", "--help"], ["users", "--help"], ["packs", "--help"]]


def best_of(args: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "wangdi", *args], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    figures = {"wangdi " + " ".join(a): round(best_of(a), 3) for a in COMMANDS}
    for name, seconds in figures.items():
        print(f"{name:28s} {seconds:.3f} s {'OK' if seconds < 0.5 else 'SLOW (target < 0.5 s)'}")
    out = Path("bench-out")
    out.mkdir(exist_ok=True)
    (out / "cli_startup.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
