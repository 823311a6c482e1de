# The two commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lessonloop db upgrade
	$(BIN)/lessonloop validate
	$(BIN)/lessonloop chat

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

# Each benchmark rewrites its rows of README's performance table (bench/faq.py takes ~6 min).
bench: $(STAMP)
	$(BIN)/python bench/engine.py --readme
	$(BIN)/python bench/telegram.py --readme
	$(BIN)/python bench/slack.py --readme
	$(BIN)/python bench/faq.py --readme

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache lessonloop.db lessonloop.db-*
