"""Benchmark (issue #6): web load test on loopback with the Baoding (1306) synthetic census.

20 concurrent connections (wrk, 2 threads) for a bounded time on the overview pages (city, counties,
townships) and on institution pages; prints p50/p95/p99 latency, throughput and non-2xx responses.
Target: p95 < 300 ms, no errors. Needs Debian's wrk (.ci/run and `make bench` install it as root).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

from wangdi import api, divisions
from wangdi.web import auth

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import city_census

SECONDS = int(os.environ.get("WANGDI_BENCH_SECONDS", "30"))
LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Cookie"] = "wangdi_session=%s"})
end
done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT p50=%%.1f p95=%%.1f p99=%%.1f max=%%.1f requests=%%d non2xx=%%d socket_errors=%%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _login(base: str) -> str:
    req = urllib.request.Request(base + "/api/v1/session", data=b'{"username":"bench","password":"bench-password"}',
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req) as r:
        m = re.search(r"wangdi_session=([^;]+)", r.headers["set-cookie"])
    assert m
    return m.group(1)


def run_wrk(base: str, name: str, paths: list[str], token: str, folder: Path) -> str:
    (folder / f"{name}.txt").write_text("\n".join(paths), encoding="utf-8")
    (folder / f"{name}.lua").write_text(LUA % (folder / f"{name}.txt", token), encoding="utf-8")
    out = subprocess.run(["wrk", "-t2", "-c20", f"-d{SECONDS}s", "--timeout", "10s", "-s", str(folder / f"{name}.lua"),
                          base], capture_output=True, text=True, check=True).stdout
    return next(line for line in out.splitlines() if line.startswith("RESULT"))


def main() -> None:
    if not shutil.which("wrk"):
        print("未安装 wrk（apt-get install wrk）：跳过网页负载测试")
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        url = city_census("1306", d)
        api.evaluate("baoding-2023", "1306", date(2025, 12, 31), url=url)
        auth.add_user("bench", "bench-password", "administrator", "1306", url=url)
        print(f"保定市（1306）合成数据导入并评估：{time.perf_counter() - t:.0f} 秒")
        port = _port()
        env = dict(os.environ, WANGDI_DATABASE_URL=url)
        srv = subprocess.Popen([sys.executable, "-m", "wangdi", "serve", "--port", str(port), "--workers", "2"], env=env,
                               stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/login")
                    break
                except OSError:
                    time.sleep(0.2)
            token = _login(base)
            rng = random.Random(1)
            counties = divisions.children("1306")["code"].to_list()
            towns = divisions.descendants("1306", level=4)["code"].to_list()
            overview = ["/regions/1306", *[f"/regions/{c}" for c in counties], *[f"/regions/{c}" for c in rng.sample(towns, 40)]]
            codes = [r["code"] for r in _institutions(url)]
            institution = [f"/institutions/{c}" for c in rng.sample(codes, 200)]
            for p in overview + institution[:20]:  # warm the per-run caches, as a server in use would be
                urllib.request.urlopen(urllib.request.Request(base + p, headers={"Cookie": f"wangdi_session={token}"}))
            for name, paths in (("overview", overview), ("institution", institution)):
                print(f"{name:12s} 20 并发 {SECONDS} 秒：{run_wrk(base, name, paths, token, d)}（目标 p95 < 300 ms，无错误）")
        finally:
            srv.terminate()
            srv.wait(10)


def _institutions(url: str) -> list[dict[str, str]]:
    import sqlalchemy as sa

    from wangdi.registry import store
    from wangdi.registry.tables import CENSUS

    t = CENSUS["institution"]
    with store.init_db(url).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t.c.code).where(t.c.valid_to.is_(None)))]


if __name__ == "__main__":
    main()
