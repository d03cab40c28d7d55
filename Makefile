# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run serve test lint format bench clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/hourdelivery db upgrade
	$(BIN)/hourdelivery fixtures load
	@echo
	@echo "Shop:     http://$(HOST):$(PORT)/   (demo mode: one-click sign-in as a seed consumer)"
	@echo "Tablet:   http://$(HOST):$(PORT)/store     (sign in with the store token below)"
	@echo "Courier:  http://$(HOST):$(PORT)/courier   (the courier token)"
	@echo "Console:  http://$(HOST):$(PORT)/admin     (the operator token)"
	@echo "Metrics:  http://$(HOST):$(PORT)/metrics   (the operator token as a bearer)"
	@echo "API:      http://$(HOST):$(PORT)/v1/stores/nearby?lat=28.195&lon=112.976&radius_km=3"
	@echo "OpenAPI:  http://$(HOST):$(PORT)/openapi.json"
	@echo "Health:   http://$(HOST):$(PORT)/healthz"
	@echo "Demo tokens (send as 'Authorization: Bearer <token>'):"
	@$(BIN)/hourdelivery demo-tokens
	@echo
	@# The scheduler beside gunicorn; Ctrl-C reaches both, and the trap ends the scheduler
	@# whenever gunicorn stops. HD_DEMO=1: the shop lists the demo consumers to sign in as.
	@# One HD_METRICS_DIR for both, so /metrics adds up the workers and the scheduler.
	@export HD_METRICS_DIR=$(CURDIR)/instance/metrics; \
	$(BIN)/hourdelivery scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
		HD_DEMO=1 HD_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c python:service.gunicorn_conf

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Each benchmark prints one JSON line of figures per engine. BENCH_SCALE=tiny for a smoke run.
bench: $(STAMP)
	@set -e; for script in tests/bench/[!_]*.py; do \
		[ -e "$$script" ] || { echo "no benchmarks yet"; break; }; \
		module=$$(echo "$${script%.py}" | tr / .); \
		$(BIN)/python -m "$$module"; \
	done

clean:
	rm -rf $(VENV) instance .pytest_cache
