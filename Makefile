# Tablero DPD — the two commands of the README (`make run`, `make test`) and the benchmarks.
# Works on a fresh machine: creates .venv, installs the project, builds the demo store.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= data/tablero.duckdb
PORT   ?= 8501
SRC    := src tests app.py pages bench setup.py

.PHONY: install run test lint bench demo clean lock wheel

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# requirements.lock: the versions tested together (constraints), so that an install next
	@# year is this one. `make lock` writes it again from this venv after a dependency change.
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
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

lock: $(STAMP)
	@{ sed -n '1,3p' requirements.lock; $(BIN)/python -m pip freeze --exclude-editable \
	  | grep -vi '^-e\|^tablero'; } > requirements.lock.new && mv requirements.lock.new requirements.lock

wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps -w dist .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts
