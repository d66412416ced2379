# examapp: `make run` serves the app with demo data; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test lint format bench bench-bank install install-dev migrate-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: migrate the SQLite database under instance/, load demo data once, serve on :5000
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## test: the page's JavaScript units (Node's own runner), then the whole Python suite
## (browser tests included when Chromium is installed)
test: install-dev
	node --test tests/js/
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## migrate-check: one head, and the models agree with the migrations
migrate-check: install
	@heads=$$($(BIN)/flask db heads | grep -c head); \
	if [ "$$heads" != "1" ]; then echo "expected one migration head, found $$heads"; exit 1; fi
	$(BIN)/flask db upgrade
	$(BIN)/flask db check

## bench: exam day for N examinees on the local PostgreSQL (database exam_day; N=10000 for the city,
## FAULTS=1 to kill a worker and restart PostgreSQL mid-save, SERVER=granian to serve with granian
## instead of gunicorn, LOGIN=password for password logins instead of ticket codes); figures go in
## docs/benchmarks.md. The capacity ladder: benchmarks/capacity.py
N ?= 500
bench: install-dev
	$(BIN)/python benchmarks/exam_day.py --people $(N) $(if $(FAULTS),--faults) $(if $(SERVER),--server $(SERVER)) $(if $(LOGIN),--login $(LOGIN))

## bench-bank: the question bank benchmark
bench-bank: install-dev
	$(BIN)/python benchmarks/bench_bank.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
