# Two commands for a newcomer: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check console benchmark instructions clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

console: $(STAMP)
	$(BIN)/python -m bot console

lint: $(STAMP)
	$(BIN)/ruff check bot flows storage tests benchmarks
	$(BIN)/ruff format --check bot flows storage tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict

test: lint typecheck
	$(BIN)/pytest

benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.run

instructions: $(STAMP)  # needs valgrind (apt-get install valgrind)
	$(BIN)/python -m benchmarks.instructions

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
