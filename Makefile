# The two commands a new user needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REQS ?= requirements/dev.txt
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | sha1sum | cut -c1-12)

.PHONY: run test bench lint messages migrate install clean

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(REQS)
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

AIOPS_BIND ?= 127.0.0.1:8000
export AIOPS_BIND

# RUN_ARGS= (empty) shows one line per request and task; the default keeps to warnings and restarts.
RUN_ARGS ?= --quiet

run: migrate
	$(BIN)/python manage.py seed_demo
	@echo "Open http://$(AIOPS_BIND)/ and log in as admin / demo-password"
	$(BIN)/python manage.py runstack $(RUN_ARGS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

BENCH_ARGS ?= tests/benchmarks

bench: install
	$(BIN)/python -m pytest -s -p no:cacheprovider --override-ini="addopts=" $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .

messages: install
	$(BIN)/python manage.py makemessages -l de --ignore=.venv --ignore=var --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/broker var/static var/test-artifacts
