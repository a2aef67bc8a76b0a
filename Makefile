# Tablero DPD — the two commands of the README (`make run`, `make test`) and the benchmarks.
# Works on a fresh machine: creates .venv, installs the project, builds the demo store.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= data/tablero.duckdb
PORT   ?= 8501
SRC    := src tests app.py pages bench

.PHONY: install run test lint bench demo clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# An editable install leaves our modules uncompiled; where PYTHONDONTWRITEBYTECODE is set
	@# (containers, CI) Python would compile them again at every start of `tablero`.
	$(BIN)/python -m compileall -q src
	@touch $(STAMP)

install: $(STAMP)

$(DB): | $(STAMP)
	$(BIN)/tablero demo --db $(DB)

demo: $(DB)

run: $(STAMP) $(DB)
	TABLERO_DEMO=1 TABLERO_DB=$(DB) $(BIN)/streamlit run app.py --server.port $(PORT) --server.address localhost

lint: $(STAMP)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/ruff check $(SRC)
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts
