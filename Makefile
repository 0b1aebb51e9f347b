# Two commands for a newcomer: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export SEING_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test test-shifted bench loadtest install system-deps static i18n bytecode lint lock clean

# Reinstall whenever the project's dependencies or their locked versions change. requirements.lock
# pins every package of a working install (`make lock` refreshes it); as constraints, it makes every
# install the tested one, while a package it does not list yet is still installed.
$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

# Resolve pyproject.toml afresh (newest versions it allows) in a throwaway venv and pin the result.
# pip and setuptools belong to the venv, not to the project: left out.
LOCK_VENV := .venv-lock
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e '.[dev]'
	{ echo "# Every Python package of a working install, for CPython 3.11 on Linux: \`make lock\` rewrites it,"; \
	  echo "# \`make install\` installs with it as constraints. Audit it with pip-audit (README, Dependencies)."; \
	  $(LOCK_VENV)/bin/pip freeze --all --exclude-editable | grep -v -E '^(pip|setuptools)=='; } > requirements.lock
	rm -rf $(LOCK_VENV)

install: $(VENV)/.installed static i18n bytecode

# The project's modules compiled ahead: where PYTHONDONTWRITEBYTECODE is set (this machine's
# sessions, many containers) Python writes no .pyc, so every process start (each `seing serve`
# process, each test server) compiled all ~260 modules again: a fifth of an import's CPU.
# Python still reads these files then, and ignores any older than its source.
bytecode: $(VENV)/.installed
	@$(BIN)/python -m compileall -q domain ports adapters entrypoints

# Front-end libraries come from the npm registry through the committed lockfile.
static: $(VENV)/.installed
	@if [ -f scripts/vendor_static.sh ]; then sh scripts/vendor_static.sh; fi

i18n: $(VENV)/.installed
	@if [ -d entrypoints/locale ]; then $(BIN)/pybabel -q compile -d entrypoints/locale -D messages; fi

# Debian packages the tests drive: Chromium, SoftHSM2, poppler (pdfsig, pdftocairo, pdfunite), NSS's
# certutil, and the writers of the third-party corpus (Ghostscript, qpdf, img2pdf, LibreOffice Writer).
system-deps:
	@sh scripts/system_deps.sh

run: install
	$(BIN)/seing db upgrade
	$(BIN)/seing ca init
	@$(BIN)/seing demo seed
	$(BIN)/seing run

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .

# Every test on every core (pytest-xdist; each worker has its own databases and folders), then
# the suites that need no browser again with the system clock two years ahead.
TEST_WORKERS ?= auto
# --durations: the slowest tests of each pass are printed, so the next one to speed up is in the log.
# A test file with module-scoped fixtures runs in one worker, which builds them once; the other
# tests are shared out one by one (tests/conftest.py, pytest_xdist_make_scheduler).
# PYTHONDONTWRITEBYTECODE unset for pytest: with it, every worker of both passes compiled the
# project and rewrote the asserts of every test module again (about 8 s of CPU per worker);
# the bytecode goes to the ignored __pycache__ folders.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest
test: install system-deps lint
	$(PYTEST) -n $(TEST_WORKERS) --durations=15
	$(MAKE) --no-print-directory test-shifted

# A test that pins a date while the code under it reads the wall clock passes only on the day it
# was written; here it fails at once. libfaketime shifts the wall clock of pytest and of every
# program it starts (openssl, pdfsig…); monotonic time is left alone, so timeouts stay real.
# FAKETIME_FORCE_MONOTONIC_FIX=0: with monotonic time untouched there is nothing to fix in
# pthread_cond_timedwait, and the fix made every hand-over of the GIL 5-10 times slower.
# tests/shifted_clock/sitecustomize.py works around libfaketime 0.9.10's time.sleep bug.
# The browser suites are left out: the server code they drive runs under the other suites too.
# So are the `processes` tests (the load test, many processes under kill -9): what they check is
# processes and concurrency, through use cases the ceremony and worker suites run under the shifted
# clock, and each takes minutes. And the `moved_clock` tests, which set libfaketime's time
# themselves for the processes they start: shifting it again adds nothing.
SHIFT_DAYS ?= 730
test-shifted: install system-deps
	LD_PRELOAD="$$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n1)" FAKETIME="+$(SHIFT_DAYS)d" \
	FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 PYTHONPATH=tests/shifted_clock \
	SEING_TEST_CLOCK_SHIFT_DAYS=$(SHIFT_DAYS) \
	$(PYTEST) -n $(TEST_WORKERS) -m "not browser and not processes and not moved_clock" -p no:cacheprovider --durations=15

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules entrypoints/web/static/vendor test-artifacts

# The web and worker processes under load, beside a bare Litestar endpoint and 1 vs 2 web processes,
# all measured in this run (bench/loadtest.py; LOADTEST_ARGS="--rounds 5", LOADTEST_DATABASE_URL=postgresql://…).
loadtest: install system-deps
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)
