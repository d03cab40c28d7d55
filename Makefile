# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install messages lock lock-upgrade run serve test lint format bench clean simulate ha-install \
	ha-up ha-down test-ha

# The locked set first (every dependency and the test extra, exact versions), then the project
# itself without resolving anything again: what CI tests is what a fresh machine installs.
$(STAMP): setup.cfg pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The pages' translations: compile service/i18n/translations/*/LC_MESSAGES/messages.po to .mo
# (commit both; tests/test_pages_language.py checks they agree and that nothing is untranslated).
messages: $(STAMP)
	$(BIN)/python -m service.i18n.build

# requirements.lock from setup.cfg (install_requires + the test extra) by pip-tools. `make lock`
# keeps the pins it can and adds what setup.cfg gained; `make lock-upgrade` moves every pin to the
# newest release setup.cfg allows.
PIP_COMPILE = $(BIN)/pip-compile --quiet --extra test --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --output-file requirements.lock setup.cfg
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'pip-tools>=7.4,<8'
	$(PIP_COMPILE)

lock-upgrade:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'pip-tools>=7.4,<8'
	$(PIP_COMPILE) --upgrade

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
	@echo "Sign in (docs/sign-in.md; per-address limits count per worker with memory storage):"
	@$(BIN)/hourdelivery demo-sign-in
	@echo
	@# The scheduler beside gunicorn; Ctrl-C reaches both, and the trap ends the scheduler
	@# whenever gunicorn stops. HD_DEMO=1: the shop lists the demo consumers to sign in as.
	@# One HD_METRICS_DIR for both, so /metrics adds up the workers and the scheduler.
	@export HD_METRICS_DIR=$(CURDIR)/instance/metrics; \
	$(BIN)/hourdelivery scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
		HD_DEMO=1 HD_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c python:service.gunicorn_conf

# A short peak (Changsha's 20:00 drop, scaled down) on the `make run` database: its own gunicorn
# and scheduler on a simulated clock, stopped when the run ends (stop `make run` first: its
# scheduler would keep the leader lock). SIM_ARGS scales it; the report lands in instance/simulation.
SIM_PORT ?= 5014
SIM_ARGS ?= --consumers 40 --stores 8 --couriers 10 --quota 15 --duration-minutes 45
simulate: $(STAMP)
	$(BIN)/hourdelivery db upgrade
	$(BIN)/hourdelivery fixtures load
	@set -e; eval "export $$($(BIN)/hourdelivery simulate env --lead-s 15 | tr '\n' ' ')"; \
		HD_BIND=$(HOST):$(SIM_PORT) LOG_LEVEL=WARNING $(BIN)/gunicorn -c python:service.gunicorn_conf & web=$$!; \
		LOG_LEVEL=ERROR $(BIN)/hourdelivery scheduler & scheduler=$$!; \
		trap 'kill $$web $$scheduler 2>/dev/null' EXIT INT TERM; sleep 3; \
		$(BIN)/hourdelivery simulate run --url http://$(HOST):$(SIM_PORT) $(SIM_ARGS)

# The suite in TEST_WORKERS processes (pytest-xdist; each has its own templates, browser and
# servers on free ports). TEST_WORKERS=0 runs it in this one process. test-ha stays serial.
# worksteal: a worker that runs out takes tests queued for the other, so the live tests'
# minute-long ones do not leave one worker finishing alone.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

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
	rm -rf $(VENV) $(HA_VENV) instance .pytest_cache

# High availability (docs/ha.md): two PostgreSQL 15 nodes under Patroni with etcd, on ports of
# their own with data in instance/ha. Patroni runs as the postgres user, who cannot read a python
# under /root, so its venv is built on Debian's python3; etcd and the venv module from Debian.
HA_VENV := .venv-ha
PATRONI := patroni[etcd3,psycopg3]==4.1.5
$(HA_VENV)/.installed:
	@command -v etcd >/dev/null && test -x /usr/bin/python3 && /usr/bin/python3 -c 'import ensurepip' \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			etcd-server python3-venv postgresql-15 nginx >/dev/null; }
	test -x $(HA_VENV)/bin/python || /usr/bin/python3 -m venv $(HA_VENV)
	$(HA_VENV)/bin/pip install --quiet '$(PATRONI)'
	touch $@

ha-install: $(HA_VENV)/.installed

# Leaves the cluster running and prints its DATABASE_URL (libpq multi-host, read-write only).
ha-up: $(STAMP) ha-install
	$(PYTHON) deploy/ha/cluster.py up
	DATABASE_URL="$$($(PYTHON) deploy/ha/cluster.py url)" $(BIN)/hourdelivery db upgrade

ha-down:
	$(PYTHON) deploy/ha/cluster.py down

# The failover scenarios (tests/ha), kept out of `make test`. Outside CI a machine that cannot
# install or run the cluster skips them with the reason; under CI=true that fails.
test-ha: $(STAMP)
	@$(MAKE) ha-install || [ "$$CI" != true ] || exit 1
	$(BIN)/pytest tests/ha -m ha $(PYTEST_ARGS)
