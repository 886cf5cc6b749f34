# The front door. Every target sets up what it needs from nothing but python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
STAMP := $(VENV)/.installed
SAM_STAMP := $(SAM_VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# A real python3.13 (not a pyenv shim) lets `sam build` check the Lambda runtime; optional.
PY313 ?= $(shell for p in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null) $$(command -v python3.13); do "$$p" -c "import sys; assert sys.version_info[:2] == (3, 13)" 2>/dev/null && echo "$$p" && break; done)

.PHONY: help install demo test lint typecheck bench eval sam clean

help:
	@echo "make demo   - run the showcase on embedded AWS (writes ./out/*.eml)"
	@echo "make test   - run the whole suite (template checks, unit, functional, end-to-end)"
	@echo "make bench  - API calls per email, cold start and memory figures"
	@echo "make eval   - classifier accuracy and confusion matrix"
	@echo "make lint   - ruff and mypy"

$(STAMP): pyproject.toml layers/helpdesk/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# aws-sam-cli pins its own boto3/pydantic ranges, so it lives in its own venv.
$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet 'aws-sam-cli>=1.120'
	touch $@

# checkov pins its own boto3, so it gets a venv of its own too (a dev-only tool, like sam).
$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	touch $@

install: $(STAMP) $(SAM_STAMP) $(CHECKOV_STAMP)

demo: $(STAMP)
	$(BIN)/helpdesk demo

test: $(STAMP) $(SAM_STAMP) $(CHECKOV_STAMP)
	SAM_CLI=$(abspath $(SAM_VENV))/bin/sam CHECKOV=$(abspath $(CHECKOV_VENV))/bin/checkov PY313="$(PY313)" \
		$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

eval: $(STAMP)
	$(BIN)/helpdesk eval

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) out .aws-sam .pytest_cache
