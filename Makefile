# Two commands are all the set-up: `make run` and `make test`.
# Each creates .venv when missing and installs the project into it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean venv venv-test

run: $(VENV)/.installed
	$(BIN)/mgdesk

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(VENV)/.installed-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_graph.py
	$(BIN)/python benchmarks/bench_gui.py
	$(BIN)/python benchmarks/bench_session.py

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) build dist *.egg-info
