# One command each: `make demo` runs the pipeline locally on the samples, `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/newsdrop: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

# SAM CLI and checkov pin libraries that clash with moto's, so they get a venv of their own.
TOOLS := .venv-tools/bin
$(TOOLS)/sam:
	$(PY) -m venv .venv-tools
	$(TOOLS)/pip install -q --upgrade pip
	$(TOOLS)/pip install -q aws-sam-cli checkov
	touch $@

.PHONY: setup demo test lint deploy-checks bench
setup: $(BIN)/newsdrop

demo: setup
	$(BIN)/newsdrop run samples --subscribers demo/readers.csv --outbox outbox --site site

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml

# What `sam deploy` needs to succeed, checked offline: SAM lint, a real arm64 python3.13 build, checkov.
deploy-checks: setup $(TOOLS)/sam
	$(TOOLS)/sam validate --lint
	PYENV_VERSION=3.11.7:3.13.0 $(TOOLS)/sam build --parallel
	$(BIN)/python bench/package_size.py
	BC_SKIP_MAPPING=TRUE $(TOOLS)/checkov -f template.yaml --framework cloudformation --compact --quiet

bench: setup
	$(BIN)/python bench/ingest.py
