# The two entry points of the quick start: `make demo` and `make test`.
# Both bootstrap .venv themselves on a fresh machine with Python 3.10+, installing the exact
# versions (and hashes) of requirements/lock.txt. `make lock` refreshes the lock;
# `make test DEPS=latest VENV=.venv-latest` runs the suite on the newest versions the ranges
# in pyproject.toml allow (what the scheduled upstream workflow does).
PYTHON ?= python3
VENV ?= .venv
DEPS ?= locked
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(DEPS)
LOCK := requirements/lock.txt
UV_VERSION := 0.13.9
LOCK_TOOLS := .venv-lock

.PHONY: demo test lint types imports unit bench schemas lock clean

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@rm -f $(VENV)/.installed-*
ifeq ($(DEPS),latest)
	$(BIN)/python -m pip install --quiet --upgrade --upgrade-strategy eager pip setuptools
	$(BIN)/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
else
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
endif
	@touch $(STAMP)

test: $(STAMP) lint types imports unit

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests benchmarks

types: $(STAMP)
	$(BIN)/mypy reconciler
	$(BIN)/mypy --config-file tests/mypy.ini tests

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q

demo: $(STAMP)
	@bash scripts/demo.sh

schemas: $(STAMP)
	$(BIN)/python -m reconciler.manifests.schemagen

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Resolve every dependency (runtime, dev tools, the build backend) for Python 3.10 and newer
# on every platform, with hashes; then the runtime subset at the same versions, which the
# GitHub Action installs. uv itself is pinned and installed in a venv of its own.
lock:
	@test -x $(LOCK_TOOLS)/bin/uv || ($(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION))
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml requirements/build.in --extra dev \
		--universal --python-version 3.10 --fork-strategy fewest --generate-hashes \
		--no-emit-package cognigy-reconciler --upgrade --quiet -o $(LOCK)
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml requirements/build.in \
		--universal --python-version 3.10 --fork-strategy fewest --generate-hashes \
		--no-emit-package cognigy-reconciler -c $(LOCK) --quiet -o requirements/runtime.txt

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) .cogctl .mypy_cache .ruff_cache .pytest_cache
