# The two entry points of the quick start: `make demo` and `make test`.
# Both bootstrap .venv themselves on a fresh machine with Python 3.10+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint types imports unit bench schemas clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP) lint types imports unit

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests benchmarks

types: $(STAMP)
	$(BIN)/mypy reconciler

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q

demo: $(STAMP)
	@bash scripts/demo.sh

schemas: $(STAMP)
	$(BIN)/python -m reconciler.schemagen

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .cogctl .mypy_cache .ruff_cache .pytest_cache
