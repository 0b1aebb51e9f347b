# Two commands for a newcomer: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export SEING_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test bench install system-deps static i18n lint clean

# Reinstall whenever the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed static i18n

# Front-end libraries come from the npm registry through the committed lockfile.
static: $(VENV)/.installed
	@if [ -f scripts/vendor_static.sh ]; then sh scripts/vendor_static.sh; fi

i18n: $(VENV)/.installed
	@if [ -d entrypoints/locale ]; then $(BIN)/pybabel -q compile -d entrypoints/locale -D messages; fi

# Debian packages the tests drive: Chromium, SoftHSM2, poppler's pdfsig, NSS's certutil.
system-deps:
	@sh scripts/system_deps.sh

run: install
	$(BIN)/seing db upgrade
	$(BIN)/seing ca init
	@$(BIN)/seing demo seed
	$(BIN)/seing run

lint: install
	$(BIN)/lint-imports

test: install system-deps lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules entrypoints/web/static/vendor test-artifacts
