# Two commands for a fresh machine: `make run` and `make test`. Each installs what is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench clean nginx

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# nginx reads whole requests before the web workers see them (deploy/nginx/); a Debian package
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
		(apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null)

run: $(STAMP) nginx
	$(BIN)/ivr run

lint: $(STAMP)
	$(BIN)/ruff check ivr callbacks tests bench
	$(BIN)/mypy

# the browser tests drive Debian's chromium (never a downloaded browser)
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium

test: lint $(CHROMIUM) nginx
	$(BIN)/pytest

# wrk is a Debian package; the benchmark installs it when it is missing.
# Options through make: `make bench BENCH_ARGS="--quick --only granian"` (see bench/README.md)
BENCH_ARGS ?=
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
