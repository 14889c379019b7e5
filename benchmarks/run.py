"""`make bench`: national synthetic census → every shipped pack nationwide; engine vs row-by-row baseline.

Prints: synth time/peak memory (if it had to generate), engine time, baseline time, their ratio,
peak memory, and whether both give identical outcomes. Writes bench-out/results.json.
Each phase runs in its own process so that its peak memory (ru_maxrss) is its own.

    python benchmarks/run.py [--data DIR] [--baseline-sample N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"
AS_OF = date(2026, 12, 31)
MEMORY_LIMIT = "1500MB"  # DuckDB spills beyond this; keeps the whole run under the 4 GiB target


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def phase_engine(data: Path, result: Path) -> None:
    import duckdb
    import polars as pl

    from wangdi import divisions
    from wangdi.policy import engine, pack
    from wangdi.policy.fields import Dataset, derive, register_divisions

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{OUT / 'duckdb-tmp'}'")
    t0 = time.perf_counter()
    for f in sorted(data.glob("*.parquet")):
        con.execute(f"CREATE TEMP TABLE {f.stem} AS SELECT * FROM read_parquet('{f}')")
    register_divisions(con, divisions.reference())
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    derive(con, AS_OF)
    derive_s = time.perf_counter() - t1
    per_pack, rows, rules = {}, 0, 0
    frames = []
    for pid in pack.available():
        p = pack.load(pid)
        t = time.perf_counter()
        res = engine.evaluate(p, Dataset({}, pl.DataFrame(), AS_OF, ""), con=con, prebuilt=True)
        per_pack[pid] = round(time.perf_counter() - t, 3)
        rows += res.height
        rules += len(p.rules)
        frames.append(res.filter(pl.col("kind") == "requirement").select("pack", "rule_id", "entity_code", "outcome"))
    total = time.perf_counter() - t1
    pl.concat(frames).write_parquet(OUT / "engine-outcomes.parquet")
    result.write_text(json.dumps({"load_seconds": round(load_s, 2), "derive_seconds": round(derive_s, 2),
                                  "evaluation_seconds": round(total, 2), "per_pack_seconds": per_pack,
                                  "result_rows": rows, "rules": rules, "peak_gib": round(peak_gib(), 2)}))


def phase_baseline(data: Path, result: Path, sample: int) -> None:
    import duckdb
    import polars as pl

    from benchmarks.rowwise import evaluate_rowwise
    from wangdi import divisions
    from wangdi.policy import pack
    from wangdi.policy.fields import derive, register_divisions

    con = duckdb.connect()
    for f in sorted(data.glob("*.parquet")):
        con.execute(f"CREATE TEMP TABLE {f.stem} AS SELECT * FROM read_parquet('{f}')")
    register_divisions(con, divisions.reference())
    derive(con, AS_OF)
    limit = f"USING SAMPLE {sample} ROWS (reservoir, 42)" if sample else ""
    tables = {e: con.sql(f"SELECT * FROM ent_{e} {limit}").pl().to_pandas() for e in ("institution", "staff")}
    t0 = time.perf_counter()
    frames = []
    for pid in pack.available():
        res = evaluate_rowwise(pack.load(pid), tables, AS_OF)
        res.insert(0, "pack", pid)
        frames.append(res)
    seconds = time.perf_counter() - t0
    import pandas as pd

    base = pl.from_pandas(pd.concat(frames, ignore_index=True))
    eng = pl.read_parquet(OUT / "engine-outcomes.parquet")
    j = base.join(eng, on=["pack", "rule_id", "entity_code"], how="left", suffix="_engine")
    mismatches = j.filter(~pl.col("outcome").eq_missing(pl.col("outcome_engine")))
    engine_subset = eng.join(base.select("pack", "rule_id"), on=["pack", "rule_id"], how="semi")
    result.write_text(json.dumps({"baseline_seconds": round(seconds, 2), "rows_compared": base.height,
                                  "mismatches": mismatches.height, "sampled_entities": sample,
                                  "engine_rows_same_rules": engine_subset.height,
                                  "examples": mismatches.head(5).to_dicts(), "peak_gib": round(peak_gib(), 2)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=OUT / "national")
    ap.add_argument("--baseline-sample", type=int, default=0, help="0 = every entity (slow); N = a sample")
    ap.add_argument("--phase", choices=["engine", "baseline"])
    ap.add_argument("--result", type=Path)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.phase == "engine":
        phase_engine(args.data, args.result)
        return
    if args.phase == "baseline":
        phase_baseline(args.data, args.result, args.baseline_sample)
        return
    report: dict[str, object] = {}
    if not (args.data / "institution.parquet").exists():
        print(f"生成全国合成普查数据 → {args.data} …", flush=True)
        t = time.perf_counter()
        cmd = [sys.executable, "-c", "import resource,sys; from wangdi.cli import main; sys.argv=['wangdi','synth',"
               f"'--scale','national','--out','{args.data}']; "
               "import atexit; atexit.register(lambda: print('PEAK_GIB', resource.getrusage(resource.RUSAGE_SELF)"
               ".ru_maxrss/1024/1024)); main()"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        report["synth_seconds"] = round(time.perf_counter() - t, 1)
        report["synth_peak_gib"] = round(float(out.split("PEAK_GIB")[-1].strip()), 2)
    for phase in ("engine", "baseline"):
        res = OUT / f"{phase}.json"
        print(f"运行 {phase} …", flush=True)
        extra = ["--baseline-sample", str(args.baseline_sample)] if phase == "baseline" else []
        subprocess.run([sys.executable, __file__, "--phase", phase, "--data", str(args.data), "--result", str(res),
                        *extra], check=True, cwd=ROOT)
        report[phase] = json.loads(res.read_text())
    eng, base = report["engine"], report["baseline"]
    assert isinstance(eng, dict) and isinstance(base, dict)
    # the ratio compares the same rules on the same rows: engine time scaled to the baseline's share of rows
    share = base["rows_compared"] / max(eng["result_rows"], 1)
    report["ratio_note"] = "baseline covers per-entity requirement rules; engine time is for every rule and entity"
    report["speedup_vs_whole_engine_run"] = round(base["baseline_seconds"] / eng["evaluation_seconds"], 1)
    (OUT / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"\n引擎（全部规则包、全国）：{eng['evaluation_seconds']} 秒（另加载 {eng['load_seconds']} 秒），"
          f"峰值内存 {eng['peak_gib']} GiB，{eng['result_rows']:,} 条结果")
    print(f"逐行 pandas 基线：{base['baseline_seconds']} 秒，比较 {base['rows_compared']:,} 条（占 {share:.0%}），"
          f"不一致 {base['mismatches']} 条")
    print(f"倍数（基线 / 引擎整次评估）：{report['speedup_vs_whole_engine_run']}×")


if __name__ == "__main__":
    main()
