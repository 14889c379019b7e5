"""`make bench-visits`: synthetic visit records at scale, both engines in one run, figures into docs/benchmarks.md.

Generates ROWS synthetic visit-level records (hive-partitioned Parquet, labelled synthetic, written in chunks)
over the synthetic registry of Liaocheng (3715), then, each phase in its own process with the peak RSS of
its whole process tree sampled (the Spark JVM included): a one-pass scan and the visit rules + the six visit
measures on DuckDB, then the same on Spark (local[*]). Reports rows/s per core, peak memory and the ratio
of each evaluation to its engine's one-pass scan.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

REGION, YEAR, AS_OF = "3715", 2025, date(2025, 12, 31)
RULES = {"kaifeng-2021": ["within_county_visit_share", "primary_outpatient_share"],
         "ganzhou-2019": ["thc_level1_surgery_share", "thc_outpatient_reimbursement_ratio"],
         "ordos-2024": ["primary_visit_share"]}
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-visits:begin -->", "<!-- bench-visits:end -->"


def _registry() -> object:
    from wangdi.policy.fields import Dataset
    from wangdi.policy.runs import region_divisions
    from wangdi.synth import SynthParams, synthesise

    frames = synthesise(REGION, 1, YEAR, SynthParams.from_pairs([]))
    return Dataset(frames, region_divisions(REGION), AS_OF, REGION)


def phase(name: str, data_dir: Path) -> dict[str, float]:
    """One measured phase (run in a child process)."""
    from wangdi.policy import pack as packs
    from wangdi.visits.source import open_source

    data, src, out = _registry(), open_source(data_dir), {}
    scan = ("SELECT count(*), sum(count), sum(total_cost), sum(policy_cost), sum(fund_paid), count(surgery_grade), "
            "count(DISTINCT kind), max(visit_date), min(residence_code), min(institution_code) FROM visit")
    if name == "duckdb":
        import duckdb

        from wangdi.visits import run

        con = duckdb.connect()
        run.prepare(con, data, src)  # type: ignore[arg-type]
        t = time.perf_counter()
        out["rows"] = float(con.execute(scan).fetchall()[0][0])
        out["scan_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for pid, rules in RULES.items():
            run.evaluate(packs.load(pid), data, src, rules)  # type: ignore[arg-type]
        out["rules_s"] = time.perf_counter() - t
        t = time.perf_counter()
        run.measures(data, src)  # type: ignore[arg-type]
        out["measures_s"] = time.perf_counter() - t
    else:
        from wangdi.policy import spark

        s = spark.session()
        t = time.perf_counter()
        df = s.read.parquet(str(data_dir))
        df.createOrReplaceTempView("visit")
        out["rows"] = float(s.sql(scan).collect()[0][0])
        out["scan_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for pid, rules in RULES.items():
            run_ = spark.evaluate(packs.load(pid), data, src, rules)  # type: ignore[arg-type]
            assert not run_.fallbacks, run_.fallbacks
        out["rules_s"] = time.perf_counter() - t
        t = time.perf_counter()
        spark.measures(data, src)  # type: ignore[arg-type]
        out["measures_s"] = time.perf_counter() - t
    return out


def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of `root` and all its descendants."""
    kids: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            kids.setdefault(int(fields[1]), []).append(int(d))
            rss[int(d)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(kids.get(p, []))
    return total


def measured(args: list[str]) -> tuple[dict[str, float], int]:
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.5)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, _ = proc.communicate()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"phase {args} failed ({proc.returncode})")
    return json.loads(stdout.strip().splitlines()[-1]), peak[0]


def generate(rows: int, out: Path, chunk: int) -> tuple[float, int]:
    from wangdi.visits import synth

    data = _registry()
    inst = data.tables["institution"]  # type: ignore[attr-defined]
    counties = ["371502", "371521", "371522", "371523", "371524", "371525", "371526", "371581", "370102", "410221"]
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    n = synth.write(out, inst, counties, rows, YEAR, seed=7, chunk=chunk)
    return time.perf_counter() - t, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000_000)
    ap.add_argument("--out", type=Path, default=Path("bench-out/visits"))
    ap.add_argument("--chunk", type=int, default=4_000_000)
    ap.add_argument("--phase", choices=["duckdb", "spark", "generate"])
    ap.add_argument("--reuse", action="store_true", help="keep existing data of the same row count")
    a = ap.parse_args()
    if a.phase in ("duckdb", "spark"):
        print(json.dumps(phase(a.phase, a.out)))
        return
    if a.phase == "generate":
        secs, n = generate(a.rows, a.out, a.chunk)
        print(json.dumps({"gen_s": secs, "rows": float(n)}))
        return
    need = a.rows * 25  # bytes of zstd Parquet per row, generously
    free = shutil.disk_usage(a.out.parent if a.out.parent.exists() else Path(".")).free
    if free < 2 * need:
        raise SystemExit(f"磁盘空间不足：需要约 {2 * need / 1e9:.0f} GB，可用 {free / 1e9:.0f} GB")
    marker = a.out / "_ROWS"
    if a.reuse and marker.exists() and marker.read_text() == str(a.rows):
        gen, gen_peak = {"gen_s": float("nan"), "rows": float(a.rows)}, 0
    else:
        gen, gen_peak = measured(["--phase", "generate", "--rows", str(a.rows), "--out", str(a.out), "--chunk", str(a.chunk)])
        marker.write_text(str(a.rows))
    size = sum(p.stat().st_size for p in a.out.rglob("*.parquet"))
    duck, duck_peak = measured(["--phase", "duckdb", "--out", str(a.out)])
    spk, spark_peak = measured(["--phase", "spark", "--out", str(a.out)])
    write_doc(a.rows, gen, gen_peak, size, duck, duck_peak, spk, spark_peak)


def write_doc(rows: int, gen: dict[str, float], gen_peak: int, size: int, duck: dict[str, float], duck_peak: int,
              spk: dict[str, float], spark_peak: int) -> None:
    cores = os.cpu_count() or 1

    def line(name: str, r: dict[str, float], peak: int) -> str:
        ev = r["rules_s"] + r["measures_s"]
        return (f"| {name} | {r['scan_s']:.1f} | {rows / r['scan_s'] / cores:,.0f} | {r['rules_s']:.1f} | "
                f"{r['measures_s']:.1f} | {rows * 11 / ev / cores:,.0f} | {ev / r['scan_s']:.1f}× | {peak / 2**30:.1f} GiB |")

    per_core = rows * 11 / (spk["rules_s"] + spk["measures_s"]) / cores
    text = f"""{BEGIN}
## Visit records on both engines (issue #18, `make bench-visits`)

Measured {date.today().isoformat()} on this machine ({cores} cores, shared with other jobs): **{rows:,}** synthetic
visit-level records (`benchmarks/visits_bench.py --rows {rows}`), hive-partitioned Parquet (province/month,
zstd) of **{size / 2**30:.1f} GiB**, written in chunks in {gen['gen_s']:.0f} s (peak {gen_peak / 2**30:.1f} GiB).
Evaluated: the 5 visit targets of three packs ({', '.join(RULES)}) — 5 rule scans — plus the 6 visit measures
(one scan each), i.e. 11 passes over the records; the one-pass scan reads every column once.

| engine | one-pass scan (s) | scan rows/s/core | 5 rules (s) | 6 measures (s) | rule-rows/s/core | eval ÷ scan | peak RSS |
|---|---|---|---|---|---|---|---|
{line("DuckDB", duck, duck_peak)}
{line("Spark local[*]", spk, spark_peak)}

rule-rows/s/core = 11 passes × rows ÷ (rules + measures seconds) ÷ cores. A national year (~9.5 billion visits),
11 passes at the Spark figure, needs about {9.5e9 * 11 / per_core / 3600:,.0f} core-hours: on a 200-core cluster
about {9.5e9 * 11 / per_core / 200 / 60:,.0f} minutes (docs/visits.md).
{END}"""
    doc = DOC.read_text(encoding="utf-8")
    if BEGIN in doc:
        doc = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: text, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(doc, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
