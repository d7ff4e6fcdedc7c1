# Two commands for a fresh machine: `make run` and `make test`. Each installs what is missing:
# first the Debian packages (tools/system-packages), then exactly the locked Python set (uv.lock).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# uv installs from the lock; uv itself comes from PyPI at the version and hashes of tools/uv-requirements.txt
TOOLS := .tools
UV := $(TOOLS)/bin/uv
# the suite against the newest releases the ranges of pyproject.toml allow, the lock untouched
NEWEST := .venv-newest
export UV_PYTHON_DOWNLOADS := never

# Debian packages each command needs
RUN_PACKAGES := nginx-light graphviz
TEST_PACKAGES := chromium nginx-light graphviz
BENCH_PACKAGES := nginx-light wrk

.PHONY: install run test lint bench clean upgrade test-newest system-run system-test system-bench

system-run system-test system-bench: system-%:
	@sh tools/system-packages $($(shell echo $* | tr a-z A-Z)_PACKAGES)

$(UV): tools/uv-requirements.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --no-deps --only-binary :all: --require-hashes \
		-r tools/uv-requirements.txt
	touch $(UV)

# --locked: refuses a uv.lock that no longer matches pyproject.toml; sync removes what is not locked
$(STAMP): pyproject.toml uv.lock $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --quiet --locked --extra test --python $(PYTHON)
	touch $(STAMP)

install: $(STAMP)

run: system-run $(STAMP)
	$(BIN)/ivr run

# the checks, on the locked environment ($(BIN)) or on the newest one
define lint_with
	$(1)/ruff check ivr callbacks sms maintenance tests bench
	$(1)/mypy
	$(1)/lint-imports --no-cache
endef

lint: $(STAMP)
	$(call lint_with,$(BIN))

test: system-test lint
	$(BIN)/pytest

# A maintainer's upgrade: the lock refreshed to the newest allowed releases, the suite run on it.
# Green: commit pyproject.toml and uv.lock together. Red: the release that broke is in the diff of uv.lock.
upgrade: system-test $(UV)
	$(UV) lock --upgrade --python $(PYTHON)
	$(MAKE) --no-print-directory test

# The suite on today's newest releases, in a throwaway environment; uv.lock is not touched.
# Red here and green in `make test`: a release broke, not our code.
test-newest: system-test $(UV)
	rm -rf $(NEWEST)
	$(UV) venv --quiet --python $(PYTHON) $(NEWEST)
	$(UV) pip install --quiet --python $(NEWEST)/bin/python --upgrade --no-config -e '.[test]'
	@$(UV) pip list --python $(NEWEST)/bin/python | grep -Ei '^(redis|rq|twilio|flask|mypy) '
	$(call lint_with,$(NEWEST)/bin)
	PATH=$(CURDIR)/$(NEWEST)/bin:$$PATH $(NEWEST)/bin/pytest

# Options through make: `make bench BENCH_ARGS="--quick --only granian"` (see bench/README.md, docs/benchmarks.md)
BENCH_ARGS ?=
bench: system-bench $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(NEWEST) $(TOOLS) instance .pytest_cache .mypy_cache .ruff_cache
